"""Forms of the chair's reconciliation and the examiners' post-discussion revision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DecimalField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from ..web.forms import Form


class ActionForm(Form):
    """A button that changes state (open discussion, close): only the CSRF token."""


class OverrideForm(Form):
    """A manual final score: it needs a reason, kept beside the computed score."""

    score = DecimalField(_l("Final score"), places=None, validators=[InputRequired()],
                         render_kw={"inputmode": "decimal", "step": "0.01"})
    reason = TextAreaField(_l("Reason for overriding the formula"),
                           validators=[InputRequired(), Length(max=2000)])


def revise_form(rubric, codes: list[str], lang: str):
    """Return a form class: which criterion, the new level, and why."""
    criteria = [SelectChoice(c.code, f"{c.code} - {c.name.get(lang)}") for c in rubric.criteria
                if c.code in codes]
    levels = [SelectChoice(str(v), f"{v} - {rubric.scale.label(v).get(lang)}")
              for v in rubric.scale.values]

    class ReviseForm(Form):
        criterion = SelectField(_l("Criterion"), choices=criteria, validators=[InputRequired()])
        level = RadioField(_l("Your score after discussion"), choices=levels,
                           validators=[InputRequired()])
        reason = TextAreaField(_l("Why you change your score"),
                               validators=[InputRequired(), Length(max=2000)])

    return ReviseForm


class ConfirmForm(Form):
    """An action that cannot be undone: the box must be ticked, and checked on the server."""

    confirm = BooleanField(_l("I understand this cannot be undone"),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


class ReasonConfirmForm(ConfirmForm):
    """An irreversible action that also needs a reason (reopen, correction, mark)."""

    reason = TextAreaField(_l("Reason"), validators=[InputRequired(_l("Give a reason.")),
                                                     Length(max=2000)])


class AbsentForm(ReasonConfirmForm):
    """Mark a panel member absent for one candidate."""

    examiner = SelectField(_l("Panel member"), coerce=int, validators=[InputRequired()])


class MarkForm(ReasonConfirmForm):
    """Take a candidate out of the ranking with a reason."""

    status = SelectField(_l("Outcome"), choices=[
        SelectChoice("not_assessable", _l("Not assessable")),
        SelectChoice("absent", _l("Candidate absent")),
        SelectChoice("withdrawn", _l("Candidate withdrew"))], validators=[InputRequired()])


class SubstituteForm(Form):
    """Seat a substitute examiner on the panel for a candidate below quorum."""

    username = StringField(_l("Username of the substitute examiner"),
                           validators=[InputRequired(), Length(max=64)])
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(_l("Give a reason.")),
                                                     Length(max=2000)])
