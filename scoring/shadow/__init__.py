"""Shadow examiners: a trainee scores beside a live panel and learns from the comparison.

The blueprint lives here; its routes are in :mod:`.views` (imported by
:func:`scoring.web.register`).
"""

from flask import Blueprint

bp = Blueprint("shadow", __name__, url_prefix="/shadow")
