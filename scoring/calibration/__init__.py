"""Calibration: practice sets with reference levels, practice on the tablet, the gate.

The blueprint lives here; its routes are in :mod:`.views` (imported by
:func:`scoring.web.register`), so the pure modules :mod:`.sets`, :mod:`.figures` and
:mod:`.markdown` import without Flask routes or the database.
"""

from flask import Blueprint

bp = Blueprint("calibration", __name__, url_prefix="/calibration")
