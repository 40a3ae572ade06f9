"""Forms of the administration pages and of the password reset page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import NIK_MESSAGE, is_nik
from ..web.forms import Form
from ..workflow.people import MIN_PASSWORD

CODE = Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
              message=_l("Use letters, digits, dots, dashes or underscores (no spaces)."))
PARTICIPANT = Regexp(r"^[A-Za-z0-9][A-Za-z0-9./-]{0,63}$",
                     message=_l("Use letters, digits, dots, slashes or dashes."))
USERNAME = Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$",
                  message=_l("2-64 letters, digits, dots, dashes or underscores."))
def _nik(form, field) -> None:
    if field.data and not is_nik(field.data):
        raise ValidationError(NIK_MESSAGE)


NIK = _nik
NIP = Regexp(r"^[0-9]{18}$", message=_l("A NIP has exactly 18 digits."))
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Not an e-mail address."))
NO_SPACE = {"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (the form macro renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class Chosen:
    """Require at least one chosen option, without marking each option ``required``.

    WTForms' ``DataRequired`` sets the ``required`` flag, which a checkbox list renders on every
    box: the browser then refuses the form until every box is ticked.
    """

    field_flags: dict = {}

    def __init__(self, message) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if not field.data:
            raise StopValidation(self.message)


class MemberSelectField(SelectMultipleField):
    """The panel members: a plain multiple select that static/js/member-chooser.js enhances."""


class ActionForm(Form):
    """A form with no fields: a button that POSTs with a CSRF token."""


class SessionForm(Form):
    """Create or edit a session; the rubric is a shipped file or an uploaded YAML."""

    code = StringField(_l("Session code"), validators=[DataRequired(), Length(max=64), CODE],
                       render_kw=NO_SPACE)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    held_on = DateField(_l("Interview date"), validators=[InputRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    publish_names = BooleanField(_l("Show candidates' names on the public results"))
    rubric_file = SelectField(_l("Rubric"), choices=[], validate_choice=False)
    rubric_upload = FileField(_l("Or upload a rubric (YAML)"),
                              render_kw={"accept": ".yaml,.yml,text/yaml"})


class PanelForm(Form):
    """Create or edit a panel: name, room, members, chair, quorum."""

    name = StringField(_l("Panel name"), validators=[DataRequired(), Length(max=100)])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=100)])
    members = MemberSelectField(_l("Members"), coerce=int, choices=[],
                                validators=[Chosen(_l("Choose at least one member."))])
    chair = SelectField(_l("Chair"), coerce=int, choices=[])
    # Ids of the people who may chair; set by the view with the choices.
    chair_allowed: frozenset = frozenset()
    quorum = IntegerField(_l("Quorum (sheets needed for a final score)"),
                          validators=[Optional(), NumberRange(min=1)],
                          render_kw={"inputmode": "numeric", "min": 1})

    def validate_quorum(self, field) -> None:
        """Refuse a quorum larger than the panel."""
        if field.data is not None and self.members.data and field.data > len(self.members.data):
            raise ValidationError(_l("The quorum cannot exceed the number of members."))

    def validate_chair(self, field) -> None:
        """Refuse a chair who is not among the chosen members or may not chair."""
        if not field.data:
            return
        if field.data not in (self.members.data or []):
            raise ValidationError(_l("The chair must be one of the chosen members."))
        if field.data not in self.chair_allowed:
            raise ValidationError(_l("This person may not chair a panel: change their role "
                                     "first (Examiners and staff)."))


class UserForm(Form):
    """Create an examiner, chair or administrator."""

    username = StringField(_l("Username"), validators=[DataRequired(), USERNAME],
                           render_kw=NO_SPACE)
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[
        SelectChoice("examiner", _l("Examiner")), SelectChoice("chair", _l("Panel chair")),
        SelectChoice("admin", _l("Administrator"))])
    may_chair = BooleanField(_l("May also chair a panel (examiners)"))
    nip = StringField(_l("NIP"), validators=[Optional(), NIP], render_kw={"inputmode": "numeric"})
    email = StringField(_l("E-mail"), validators=[Optional(), EMAIL, Length(max=200)])
    password = PasswordField(
        _l("Password"), validators=[Optional(), Length(min=MIN_PASSWORD, max=256)],
        render_kw={"autocomplete": "new-password"})


ROLE_CHOICES = [SelectChoice("examiner", _l("Examiner")), SelectChoice("chair", _l("Panel chair")),
                SelectChoice("admin", _l("Administrator"))]


class RoleForm(Form):
    """Change a user's role and whether an examiner may also chair a panel."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    may_chair = BooleanField(_l("May also chair a panel (examiners)"))


class ResetCodesForm(Form):
    """Print one-time reset codes for everyone of a role or a panel."""

    who = SelectField(_l("For"), choices=[])


class UserEditForm(Form):
    """Edit a user's name, NIP and e-mail."""

    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    nip = StringField(_l("NIP"), validators=[Optional(), NIP], render_kw={"inputmode": "numeric"})
    email = StringField(_l("E-mail"), validators=[Optional(), EMAIL, Length(max=200)])


class CandidateForm(Form):
    """Create or edit a candidate."""

    participant_number = StringField(_l("Participant number"),
                                     validators=[DataRequired(), PARTICIPANT], render_kw=NO_SPACE)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    position_applied = StringField(_l("Position applied for"),
                                   validators=[Optional(), Length(max=200)])
    nik = StringField(_l("NIK"), validators=[Optional(), NIK],
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})


class ImportForm(Form):
    """Upload a CSV or XLSX list."""

    file = FileField(_l("File (CSV or XLSX)"),
                     validators=[DataRequired(_l("Choose a file."))],
                     render_kw={"accept": ".csv,.xlsx,text/csv"})
    session = SelectField(_l("Session (for the panel and order columns)"), coerce=int,
                          choices=[])


class AssignForm(Form):
    """Put candidates on a panel by participant number, in the order listed."""

    numbers = TextAreaField(_l("Participant numbers, one per line, in interview order"),
                            validators=[DataRequired()], render_kw={"rows": 6, **NO_SPACE})


class ResetForm(Form):
    """Redeem a one-time reset code with a new password."""

    code = StringField(_l("Reset code"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", **NO_SPACE})
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD, max=256)],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"})
