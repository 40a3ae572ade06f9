"""The panel chair: live board, one candidate's reconciliation, agreement reports, exports.

Access: a panel's chair for their panel (and its session's report and exports); administrators
may read everything but change nothing. Anyone else gets 403 (wrong role) or 404 (a panel that
is not theirs: nothing leaks about it).
"""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from .. import workflow
from ..database import retry_if_disconnected
from ..documents.tables import MIMETYPES, long_rows, results_table, session_table
from ..extensions import db
from ..i18n import current_language
from ..models import Assignment, InterviewSession, Panel
from ..ops.tasks import enqueue_export
from ..rules.visible_results import visible_results
from ..web.helpers import request_info, role_required
from ..workflow import report_jobs
from . import agreement_report as agreement
from . import interpret, report_lead
from . import queries as reports_data
from .finality_views import forms_for
from .forms import ActionForm, ConfirmForm, OverrideForm

bp = Blueprint("chair", __name__, url_prefix="/chair")


def _panel(panel_id: int, write: bool = False) -> Panel:
    """Return a panel the user chairs (admins: any panel, read-only)."""
    panel = db.get_or_404(Panel, panel_id)
    if current_user.role == "admin":
        if write:
            abort(403)
        return panel
    if panel.chair_id != current_user.id:
        abort(404)
    return panel


def _assignment(assignment_id: int, write: bool = False) -> Assignment:
    assignment = db.get_or_404(Assignment, assignment_id)
    _panel(assignment.panel_id, write)
    return assignment


def _session(session_id: int) -> InterviewSession:
    """Return a session the user may report on: admins, or a chair of one of its panels."""
    session = db.get_or_404(InterviewSession, session_id)
    if current_user.role != "admin" and not any(p.chair_id == current_user.id
                                                for p in session.panels):
        abort(404)
    return session


def _target() -> float:
    """Return the chair's target reliability from ?target=, default 0.80, kept in 0.50-0.99."""
    try:
        value = float(request.args.get("target", agreement.DEFAULT_TARGET))
    except ValueError:
        return agreement.DEFAULT_TARGET
    return min(max(value, 0.5), 0.99) if value == value else agreement.DEFAULT_TARGET


@bp.route("/panels/<int:panel_id>")
@role_required("chair", "admin")
def panel(panel_id: int):
    """Show the live board of a panel (refreshed by static/js/board.js)."""
    panel = _panel(panel_id)
    data = reports_data.board(panel, current_user, current_app.config["LIVE_FEEDBACK_MIN_SHEETS"])
    return render_template("chair/panel.html", panel=panel, board=data, i=interpret)


@bp.route("/panels/<int:panel_id>/state")
@retry_if_disconnected
@role_required("chair", "admin")
def board_state(panel_id: int):
    """Return the board as JSON: states, quorum, discrepancy flags, provisional deviations."""
    panel = _panel(panel_id)
    data = reports_data.board(panel, current_user, current_app.config["LIVE_FEEDBACK_MIN_SHEETS"])
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/candidates/<int:assignment_id>")
@role_required("chair", "admin")
def candidate(assignment_id: int):
    """Show one candidate: sheet states, then the scores, discrepancies and actions."""
    assignment = _assignment(assignment_id)
    detail = reports_data.candidate_detail(assignment, current_user)
    return render_template("chair/candidate.html", a=assignment, d=detail, i=interpret,
                           form=ActionForm(), override=OverrideForm(), lang=current_language(),
                           fin=forms_for(assignment))


def _act(assignment_id: int, verb, form_class=ActionForm):
    assignment = _assignment(assignment_id, write=True)
    if not form_class().validate_on_submit():
        abort(400)
    workflow.perform(verb, assignment, current_user._get_current_object(), info=request_info())
    return redirect(url_for(".candidate", assignment_id=assignment_id))


@bp.route("/candidates/<int:assignment_id>/discussion", methods=["POST"])
@role_required("chair")
def open_discussion(assignment_id: int):
    """Open discussion of the candidate for the panel."""
    return _act(assignment_id, workflow.open_discussion)


@bp.route("/candidates/<int:assignment_id>/close", methods=["POST"])
@role_required("chair")
def close(assignment_id: int):
    """Close the candidate with the formula's final score (confirmed: it cannot be undone)."""
    return _act(assignment_id, workflow.close_candidate, ConfirmForm)


@bp.route("/candidates/<int:assignment_id>/override", methods=["POST"])
@role_required("chair")
def override(assignment_id: int):
    """Override the final score by hand, with a reason."""
    assignment = _assignment(assignment_id, write=True)
    form = OverrideForm()
    if form.validate_on_submit():
        workflow.perform(workflow.override_final_score, assignment,
                         current_user._get_current_object(), float(form.score.data),
                         form.reason.data, info=request_info())
        return redirect(url_for(".candidate", assignment_id=assignment_id))
    detail = reports_data.candidate_detail(assignment, current_user)
    return render_template("chair/candidate.html", a=assignment, d=detail, i=interpret,
                           form=ActionForm(), override=form, lang=current_language(),
                           fin=forms_for(assignment)), 400


@bp.route("/panels/<int:panel_id>/report")
@role_required("chair", "admin")
def panel_report(panel_id: int):
    """Show the agreement report of a panel."""
    panel = _panel(panel_id)
    report = agreement.panel_report(panel, _target(), viewer=current_user)
    return render_template("chair/panel_report.html", panel=panel, r=report, i=interpret,
                           charts=interpret.panel_charts(report), lang=current_language(),
                           **report_lead.context(report))


def _panel_leads(report: dict, session: InterviewSession) -> dict[int, dict]:
    """Return each panel's lead in a session report, with the URL of its evidence (the
    panel's report) where the user may open it (None for a panel someone else chairs)."""
    mine = {p.id for p in session.panels
            if current_user.role == "admin" or p.chair_id == current_user.id}
    return {p["panel"]["id"]: {
        **report_lead.context({**p, "criteria": report["criteria"]}),
        "evidence_url": url_for(".panel_report", panel_id=p["panel"]["id"],
                                target=report["target"]) if p["panel"]["id"] in mine else None}
        for p in report["panels"]}


@bp.route("/panels/<int:panel_id>/report.pdf", methods=["POST"])
@role_required("chair", "admin")
def panel_report_pdf(panel_id: int):
    """Queue the agreement report of a panel as a PDF; answer with the job's progress page."""
    panel = _panel(panel_id)
    return _queue_report("panel_report", panel.session, panel)


@bp.route("/sessions/<int:session_id>/report")
@role_required("chair", "admin")
def session_report(session_id: int):
    """Show the agreement report of a session: every panel side by side."""
    session = _session(session_id)
    report = agreement.session_report(session, _target(), viewer=current_user)
    return render_template("chair/session_report.html", session=session, r=report, i=interpret,
                           chart=interpret.session_chart(report), lang=current_language(),
                           leads=_panel_leads(report, session))


@bp.route("/sessions/<int:session_id>/report.pdf", methods=["POST"])
@role_required("chair", "admin")
def session_report_pdf(session_id: int):
    """Queue the agreement report of a session as a PDF; answer with the progress page."""
    session = _session(session_id)
    return _queue_report("session_report", session, None)


def _queue_report(kind: str, session: InterviewSession, panel: Panel | None):
    """Start a report job for ``scoring worker`` (seconds of rendering never hold a thread)."""
    if not ActionForm().validate_on_submit():
        abort(400)

    def start() -> tuple[int, str]:
        job = report_jobs.start_report(kind, session, panel, current_user._get_current_object(),
                                       target=_target(), lang=current_language(),
                                       info=request_info())
        return job.id, job.token  # read before the commit: no reads after it

    job_id, token = workflow.perform(start)  # the worker may take the lock at once
    enqueue_export(current_app._get_current_object(), job_id)
    return redirect(url_for("documents.export", token=token))


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)


def _download(data: bytes, fmt: str, filename: str):
    return send_file(io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=_safe(filename))


def _fmt(fmt: str) -> str:
    if fmt not in MIMETYPES:
        abort(404)
    return fmt


@bp.route("/panels/<int:panel_id>/scores.<fmt>")
@role_required("chair", "admin")
def panel_scores(panel_id: int, fmt: str):
    """Download the panel's raw pre- and post-discussion scores in long format."""
    panel = _panel(panel_id)
    rows = long_rows(reports_data.long_score_rows(panel.session, panel, viewer=current_user))
    return _download(session_table(reports_data.LONG_HEADER, rows, _fmt(fmt),
                                   current_language(), panel.session, panel), fmt,
                     f"{panel.session.code}-{panel.name}-scores.{fmt}")


@bp.route("/sessions/<int:session_id>/scores.<fmt>")
@role_required("chair", "admin")
def session_scores(session_id: int, fmt: str):
    """Download the session's raw pre- and post-discussion scores in long format."""
    session = _session(session_id)
    rows = long_rows(reports_data.long_score_rows(session, viewer=current_user))
    return _download(session_table(reports_data.LONG_HEADER, rows, _fmt(fmt),
                                   current_language(), session), fmt,
                     f"{session.code}-scores.{fmt}")


@bp.route("/panels/<int:panel_id>/results.<fmt>")
@role_required("chair", "admin")
def panel_results(panel_id: int, fmt: str):
    """Download the panel's results by position (formasi) with the formula's inputs."""
    panel, lang = _panel(panel_id), current_language()
    keys, rows = results_table(visible_results(panel.session, current_user, panel),
                               workflow.session_rubric(panel.session).codes, lang)
    return _download(session_table(keys, rows, _fmt(fmt), lang, panel.session, panel), fmt,
                     f"{panel.session.code}-{panel.name}-results.{fmt}")


@bp.route("/sessions/<int:session_id>/results.<fmt>")
@role_required("chair", "admin")
def session_results_export(session_id: int, fmt: str):
    """Download the session's results by position (formasi) with the formula's inputs."""
    session, lang = _session(session_id), current_language()
    keys, rows = results_table(visible_results(session, current_user),
                               workflow.session_rubric(session).codes, lang)
    return _download(session_table(keys, rows, _fmt(fmt), lang, session), fmt,
                     f"{session.code}-results.{fmt}")

