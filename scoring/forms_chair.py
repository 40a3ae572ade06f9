"""Forms of the chair's reconciliation and the examiners' post-discussion revision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from .forms import Form


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
