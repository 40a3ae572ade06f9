"""Forms: a translated base form and the login form.

WTForms ships no Indonesian catalog. Rather than giving every validator a message by hand,
``Form`` routes WTForms' own built-in messages through the project's catalog: their English
msgids are listed below so that ``.ci/i18n update`` extracts them, and ``Meta.get_translations``
looks them up in ``translations/``. A validator may still take an explicit ``message``.
"""

from __future__ import annotations

from flask import request
from flask_babel import get_translations, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

CSRF_EXPIRED = _l("The form has expired. Reload the page and try again.")

# WTForms' built-in messages, marked for extraction (the strings must match WTForms exactly).
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid time value."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Date must be at least %(min)s."),
    _l("Date must be at most %(max)s."),
    _l("Date must be between %(min)s and %(max)s."),
    _l("Field must be equal to %(other_name)s."),
    _l("Invalid email address."),
    _l("Invalid URL."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("This field cannot be edited."),
    _l("This field is disabled and cannot have a value."),
)


def _wtforms_plural_messages() -> None:  # pragma: no cover - never called
    """Mark WTForms' plural messages for extraction (pybabel reads ``ngettext`` calls)."""
    ngettext("Field must be at least %(min)d character long.",
             "Field must be at least %(min)d characters long.", 1)
    ngettext("Field cannot be longer than %(max)d character.",
             "Field cannot be longer than %(max)d characters.", 1)
    ngettext("Field must be exactly %(max)d character long.",
             "Field must be exactly %(max)d characters long.", 1)
    ngettext("'%(value)s' is not a valid choice for this field.",
             "'%(value)s' are not valid choices for this field.", 1)


class _CatalogTranslations:
    """WTForms' translations interface over the project's catalog (WTForms formats itself)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


_TRANSLATIONS = _CatalogTranslations()


class Form(FlaskForm):
    """Base of every form: built-in and CSRF messages in the user's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _TRANSLATIONS

        def wrap_formdata(self, form, formdata):
            # These are HTML forms. Flask-WTF would read a JSON body as form data, and a body
            # such as `false` or {"name": 1} then crashes inside the fields (a 500): a JSON
            # body is no form data at all, so the form fails validation like an empty one.
            if formdata is not None and not hasattr(formdata, "getlist") and request.is_json:
                return None
            return super().wrap_formdata(form, formdata)

    def validate(self, extra_validators=None) -> bool:
        """Validate; replace Flask-WTF's English CSRF reasons with one translated message."""
        ok = super().validate(extra_validators)
        token = self._fields.get(self.meta.csrf_field_name) if self.meta.csrf else None
        if token is not None and token.errors:
            token.errors = [CSRF_EXPIRED]
        return ok


class LoginForm(Form):
    """Username and password."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none",
                   "autocorrect": "off", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))


# --- Examiner scoring (issue 4) -------------------------------------------------------------

from wtforms import RadioField, SelectField, TextAreaField  # noqa: E402
from wtforms.fields.choices import SelectChoice  # noqa: E402
from wtforms.validators import InputRequired, Optional, ValidationError  # noqa: E402

RELATIONSHIP_CHOICES = [
    SelectChoice("none", _l("No relationship: I do not know this candidate")),
    SelectChoice("family", _l("Family")),
    SelectChoice("workplace", _l("Same workplace, now or before")),
    SelectChoice("acquaintance", _l("Prior acquaintance")),
    SelectChoice("other", _l("Other relationship (describe it)")),
]


class ConflictForm(Form):
    """The conflict-of-interest declaration made before a candidate is first scored."""

    relationship = RadioField(_l("Your relationship to this candidate"),
                              choices=RELATIONSHIP_CHOICES, validators=[InputRequired()])
    # No Optional(): it would stop validate_detail from running on an empty field.
    detail = TextAreaField(_l("Details (required for another relationship)"),
                           validators=[Length(max=2000)])

    confirm_recusal = BooleanField(_l(
        "I understand that declaring a relationship recuses me from this candidate and "
        "cannot be undone"))

    def validate_detail(self, field) -> None:
        """Require a description when the relationship is 'other'."""
        if self.relationship.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Describe the relationship."))

    def validate_confirm_recusal(self, field) -> None:
        """Require the confirmation when the declaration recuses the examiner."""
        if self.relationship.data not in (None, "none") and not field.data:
            raise ValidationError(_l("A recusal cannot be undone: tick the box to confirm."))


class DecisionForm(Form):
    """A chair's decision on an amendment."""

    decision = RadioField(_l("Decision"), choices=[SelectChoice("approve", _l("Approve")),
                                   SelectChoice("reject", _l("Reject"))],
                          validators=[InputRequired()])
    note = TextAreaField(_l("Note (required when rejecting)"),
                         validators=[Optional(), Length(max=2000)])


def amendment_form(rubric, state: dict, lang: str):
    """Return a form class with a level and a note per criterion, and a reason."""
    levels = [SelectChoice(str(v), f"{v} - {rubric.scale.label(v).get(lang)}")
              for v in rubric.scale.values]

    class AmendmentForm(Form):
        pass

    for criterion in rubric.criteria:
        current = state.get(criterion.code) or {}
        setattr(AmendmentForm, f"level_{criterion.code}", SelectField(
            f"{criterion.code} · {criterion.name.get(lang)}", choices=levels,
            default=str(current.get("level", "")), validators=[InputRequired()]))
        setattr(AmendmentForm, f"note_{criterion.code}", TextAreaField(
            _l("Evidence note: %(c)s", c=criterion.code), default=current.get("note", ""),
            validators=[Optional(), Length(max=5000)]))
    AmendmentForm.reason = TextAreaField(_l("Reason for the change"),
                                         validators=[DataRequired(), Length(max=2000)])
    return AmendmentForm
