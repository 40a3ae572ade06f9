"""The examiner's pages: the queue, the declaration, the scoring page, amendment requests."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    url_for,
)
from flask_babel import format_time, gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import workflow
from ..database import retry_if_disconnected, writes_at_end
from ..i18n import current_language
from ..models import SCORER_ROLES
from ..paths import data_dir
from ..web.forms import ConflictForm, amendment_form
from ..web.helpers import request_info, role_required
from . import queries as examining
from .fragments import scoring_criteria

bp = Blueprint("examine", __name__, url_prefix="/examine")
# The scoring form (examine/_scoring.html) is also included by calibration's practice pages.
bp.add_app_template_global(scoring_criteria)
SCORERS = SCORER_ROLES


def _today():
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def receipt_text(submitted_at) -> str:
    """Return "Received by the server at 10:42" in the user's language and time zone."""
    return gettext("Received by the server at %(time)s",
                   time=format_time(submitted_at, "HH:mm"))


@bp.route("/")
@role_required(*SCORERS)
def queue():
    """List the candidates of the examiner's panels in interview order, today's first."""
    groups = examining.examiner_queue(current_user, _today())
    return render_template("examine/queue.html", groups=groups, receipt_text=receipt_text)


@bp.route("/<int:assignment_id>/declare", methods=["GET", "POST"])
@retry_if_disconnected  # a declaration is made once: a repeated one finds the sheet started
@writes_at_end
@role_required(*SCORERS)
def declare(assignment_id: int):
    """Ask for the conflict-of-interest declaration before a candidate is first opened."""
    assignment = examining.member_assignment(current_user, assignment_id)
    if examining.own_sheet(assignment, current_user) is not None:
        return redirect(url_for(".sheet", assignment_id=assignment_id))
    form = ConflictForm()
    if form.validate_on_submit():
        # The same declaration sent twice at once: the first counts.
        with suppress(IntegrityError):
            workflow.perform(workflow.declare_conflict, assignment,
                             current_user._get_current_object(), form.relationship.data,
                             form.detail.data or "", info=request_info())
        return redirect(url_for(".sheet", assignment_id=assignment_id))
    # The scoring form comes with the declaration: a tablet that declares offline scores on.
    return render_template("examine/declare.html", form=form, assignment=assignment,
                           rubric=workflow.session_rubric(assignment.panel.session),
                           sheet=None, state={}, lang=current_language())


@bp.route("/<int:assignment_id>")
@role_required(*SCORERS)
def sheet(assignment_id: int):
    """Show the scoring page (draft), the locked sheet with its receipt, or the recusal."""
    assignment = examining.member_assignment(current_user, assignment_id)
    sheet = examining.own_sheet(assignment, current_user)
    if sheet is None:
        return redirect(url_for(".declare", assignment_id=assignment_id))
    rubric = workflow.session_rubric(assignment.panel.session)
    response = current_app.make_response(render_template(
        "examine/sheet.html", assignment=assignment, sheet=sheet, rubric=rubric,
        state=workflow.sheet_state(sheet), lang=current_language(),
        amendments=examining.sheet_amendments(sheet) if sheet.status == "submitted" else [],
        receipt=receipt_text(sheet.submitted_at) if sheet.submitted_at else "",
    ))
    # Never kept in the browser's cache or back/forward cache: after a submit, Back must
    # fetch the page again and show the receipt, not the editable form as it was.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:assignment_id>/amend", methods=["GET", "POST"])
@role_required(*SCORERS)
def amend(assignment_id: int):
    """Request a change to one's own submitted sheet, with a reason, for the chair."""
    assignment = examining.member_assignment(current_user, assignment_id)
    sheet = workflow.require_amendable(examining.own_sheet(assignment, current_user))
    rubric = workflow.session_rubric(assignment.panel.session)
    state = workflow.sheet_state(sheet)
    form = amendment_form(rubric, state, current_language())()
    if form.validate_on_submit():
        changes = {c.code: {"level": int(form[f"level_{c.code}"].data),
                            "note": form[f"note_{c.code}"].data or ""} for c in rubric.criteria}
        workflow.perform(workflow.request_amendment, sheet, current_user._get_current_object(),
                         changes, form.reason.data, info=request_info())
        return redirect(url_for(".sheet", assignment_id=assignment_id))
    return render_template("examine/amend.html", form=form, assignment=assignment)


@bp.route("/sw.js")
def service_worker():
    """Serve the service worker from /examine/ so that its scope covers the scoring pages.

    Its cache name carries the assets' version: a changed asset changes the script, so a
    tablet installs the new worker, which moves the kept pages to the new cache.
    """
    from ..offline.queries import cache_name  # the feature package imports this module

    script = (data_dir("static") / "js" / "sw.js").read_text("utf-8")
    script = script.replace("__CACHE_NAME__", cache_name())
    return current_app.response_class(script, mimetype="text/javascript",
                                      headers={"Cache-Control": "no-cache"})
