"""Forms of the calibration pages: start a set, a session's requirement, an override."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from ..web.forms import Form


class StartForm(Form):
    """Start (or continue) a practice set: only the CSRF token."""


class RequirementForm(Form):
    """What a session asks of its examiners before they may sit on a panel."""

    set_id = SelectField(_l("Calibration set"), coerce=int, validators=[InputRequired()])
    min_exact = DecimalField(_l("Exact agreement at least (%)"), places=None,
                             validators=[InputRequired(), NumberRange(0, 100)])
    min_adjacent = DecimalField(_l("Adjacent agreement at least (%)"), places=None,
                                validators=[InputRequired(), NumberRange(0, 100)])
    max_abs_deviation = DecimalField(_l("Mean deviation within ± (points)"), places=None,
                                     validators=[InputRequired(), NumberRange(0, 10)])
    valid_days = IntegerField(_l("A pass stays valid for (days)"),
                              validators=[InputRequired(), NumberRange(1, 3650)])


class OverrideForm(Form):
    """Seat an examiner who has not passed, with the reason (audited, in the minutes)."""

    user_id = SelectField(_l("Examiner"), coerce=int, validators=[InputRequired()])
    reason = TextAreaField(_l("Reason for the override"),
                           validators=[InputRequired(), Length(min=10, max=2000)])


class ImportForm(Form):
    """Upload a set file (YAML); sets with media files go through the command line."""

    file = FileField(_l("Calibration set (YAML)"), validators=[FileRequired()],
                     render_kw={"accept": ".yaml,.yml,text/yaml"})
