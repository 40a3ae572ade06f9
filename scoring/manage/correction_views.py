"""Administration: corrections of a published session, and deleting a draft session."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext

from ..chair.forms import ConfirmForm, ReasonConfirmForm
from ..extensions import db
from ..models import InterviewSession
from ..web.helpers import form_action, request_info
from ..workflow import finality
from .guard import actor, admin_blueprint

bp = admin_blueprint("manage_finality", __name__)


def _run(session_id: int, form, call, done: str, target: str | None = None):
    """Run a correction action; a refusal is flashed on the session page."""
    return form_action(form, call, done, url_for("manage.session", session_id=session_id),
                       target)


@bp.route("/sessions/<int:session_id>/correction", methods=["POST"])
def open_correction(session_id: int):
    """Open a correction of a published session, with a reason."""
    session = db.get_or_404(InterviewSession, session_id)
    form = ReasonConfirmForm()
    return _run(session_id, form, lambda: finality.open_correction(
        session, actor(), form.reason.data, confirm=True, info=request_info()),
        gettext("A correction is open: chairs can reopen candidates; the public still sees "
                "the last publication."))


@bp.route("/sessions/<int:session_id>/correction/publish", methods=["POST"])
def publish_correction(session_id: int):
    """Publish the corrected results as a new, numbered publication."""
    session = db.get_or_404(InterviewSession, session_id)
    form = ReasonConfirmForm()
    return _run(session_id, form, lambda: finality.publish_correction(
        session, actor(), form.reason.data, confirm=True, info=request_info()),
        gettext("The correction is published."))


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
def delete(session_id: int):
    """Delete a draft session that holds no scores."""
    session = db.get_or_404(InterviewSession, session_id)
    return _run(session_id, ConfirmForm(), lambda: finality.delete_session(
        session, actor(), confirm=True, info=request_info()),
        gettext("The session is deleted."), url_for("manage.index"))
