"""Each examiner's record across sessions: deviation, consistency, flags, training results.

The blueprint lives here; its routes are in :mod:`.views` (imported by
:func:`scoring.web.register`).
"""

from flask import Blueprint

bp = Blueprint("examiners", __name__, url_prefix="/examiners")
