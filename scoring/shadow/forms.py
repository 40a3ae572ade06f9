"""Forms of the shadow pages: seat a shadow beside a panel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired

from ..web.forms import ConflictForm, Form

__all__ = ["AttachForm", "ConflictForm"]


class AttachForm(Form):
    """Choose the trainee who shadows the panel."""

    user_id = SelectField(_l("Trainee examiner"), coerce=int, validators=[InputRequired()])
