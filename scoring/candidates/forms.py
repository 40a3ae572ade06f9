"""Forms of the candidate pages and of the administrator's objection queue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..web.forms import Form
from ..workflow.objections import MAX_RESPONSE, MAX_TEXT

CATEGORY_LABELS = {
    "calculation": _l("Score calculation"),
    "procedure": _l("Procedure"),
    "conflict": _l("Conflict of interest"),
    "conduct": _l("Conduct of the examiners"),
    "other": _l("Other"),
}
OUTCOME_LABELS = {"filed": _l("Waiting for a responder"), "assigned": _l("Being answered"),
                  "accepted": _l("Accepted"), "rejected": _l("Rejected"),
                  "pending": _l("Pending")}


class CandidateLoginForm(Form):
    """Participant number and personal access code (never a NIK)."""

    participant_number = StringField(
        _l("Participant number"), validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none",
                   "spellcheck": "false"})
    code = StringField(
        _l("Access code"), validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters",
                   "spellcheck": "false", "placeholder": "ABCD-EFGH-JKMN"})


class ObjectionForm(Form):
    """A candidate's objection: category, text, optional attachment."""

    category = RadioField(_l("What is your objection about?"),
                          choices=[SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()],
                          validators=[InputRequired()])
    text = TextAreaField(_l("Your objection"), validators=[DataRequired(), Length(max=MAX_TEXT)])
    attachment = FileField(_l("Attachment (optional: PDF, PNG or JPEG, at most 5 MB)"),
                           render_kw={"accept": "application/pdf,image/png,image/jpeg"})


class PolicyForm(Form):
    """The session's objection window (WIB) and whether evidence notes are shared."""

    opens_at = DateTimeLocalField(_l("Objections open (WIB)"), validators=[Optional()],
                                  format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Objections close (WIB)"), validators=[Optional()],
                                   format="%Y-%m-%dT%H:%M")
    share_notes = BooleanField(_l("Show the examiners' evidence notes to each candidate "
                                  "(examiners are told)"))


class ResponderForm(Form):
    """Who answers an objection."""

    responder = SelectField(_l("Responder"), coerce=int, validators=[InputRequired()])


class AnswerForm(Form):
    """The response to an objection."""

    decision = RadioField(_l("Decision"), choices=[SelectChoice("accepted", _l("Accepted")),
                                                   SelectChoice("rejected", _l("Rejected"))],
                          validators=[InputRequired()])
    response = TextAreaField(_l("Response (published to the candidate)"),
                             validators=[DataRequired(), Length(max=MAX_RESPONSE)])


class CorrectionForm(Form):
    """Publish the correction an accepted objection led to."""

    reason = TextAreaField(_l("What the correction changed"),
                           validators=[DataRequired(), Length(max=2000)])
    confirm = BooleanField(_l("I confirm: publish the corrected results"))
