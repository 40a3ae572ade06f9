"""Signed PDFs to download, and bulk exports of a session's sheets with a progress page."""

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectField

from ..chair import queries as reports_data
from ..extensions import db
from ..models import Assignment, Document, ExportJob, InterviewSession, Panel, ScoreSheet
from ..ops.tasks import enqueue_export
from ..web.forms import Form
from ..web.helpers import request_info
from ..workflow import perform
from ..workflow.document_export import start_export
from ..workflow.documents import (
    LANGS,
    can_download_minutes,
    can_download_recap,
    can_download_sheet,
    issue_recap_document,
    issue_sheet_document,
    verify_base_url,
)
from ..workflow.report_jobs import PDF_KINDS, REPORT_KINDS, job_file, start_minutes

bp = Blueprint("documents", __name__, url_prefix="/documents")


class ExportForm(Form):
    """Which sheets to export: the whole session or one panel."""

    panel = SelectField(_l("Sheets of"), coerce=int)


def _lang() -> str:
    lang = request.args.get("lang", "id")
    if lang not in LANGS:
        abort(404)
    return lang


def _issued(verb, *objects) -> Document:
    """Issue a document in the request's language as the caller (once: later, the stored one)."""
    return perform(verb, *objects, _lang(), actor=current_user, info=request_info())


def _send(document: Document, name: str):
    response = send_file(io.BytesIO(document.pdf), mimetype="application/pdf",
                         download_name=f"{name}-{document.lang}.pdf", etag=document.sha256,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/sheet/<int:sheet_id>.pdf")
@login_required
def sheet(sheet_id: int):
    """Send the signed PDF of a submitted sheet (its examiner, the panel chair, admins)."""
    sheet = db.get_or_404(ScoreSheet, sheet_id)
    if not can_download_sheet(current_user, sheet):
        abort(404)
    # Issued once, on the first download; later downloads send the stored document.
    document = _issued(issue_sheet_document, sheet)
    number = sheet.assignment.candidate.participant_number
    return _send(document, f"sheet-{number}-{sheet.examiner.username}")


@bp.route("/recap/<int:assignment_id>.pdf")
@login_required
def recap(assignment_id: int):
    """Send the signed recap of a closed candidate (the panel chair, admins)."""
    assignment = db.get_or_404(Assignment, assignment_id)
    if not can_download_recap(current_user, assignment):
        abort(404)
    document = _issued(issue_recap_document, assignment)
    return _send(document, f"recap-{assignment.candidate.participant_number}")


@bp.route("/minutes/<int:session_id>.pdf", methods=["POST"])
@login_required
def minutes(session_id: int):
    """Queue the signed minutes of a session (admins) or of one panel (its chair, admins)."""
    session = db.get_or_404(InterviewSession, session_id)
    panel = _panel_arg(session)
    if not can_download_minutes(current_user, session, panel):
        abort(404)
    # Rendering and sealing a session's minutes takes seconds: `scoring worker` does it.
    job_id, token = perform(_start_minutes, session, panel, _lang())
    enqueue_export(current_app._get_current_object(), job_id)
    return redirect(url_for(".export", token=token))


def _start_minutes(session: InterviewSession, panel: Panel | None, lang: str) -> tuple[int, str]:
    job = start_minutes(session, panel, current_user, lang=lang, base_url=verify_base_url(),
                        info=request_info())
    return job.id, job.token  # read before the commit: no reads after it


def _panel_arg(session: InterviewSession) -> Panel | None:
    ref = request.values.get("panel", type=int)
    if not ref:
        return None
    panel = db.get_or_404(Panel, ref)
    if panel.session_id != session.id:
        abort(404)
    return panel


def _exportable_panels(session: InterviewSession) -> list[Panel]:
    if current_user.role == "admin":
        return list(session.panels)
    return [p for p in session.panels if p.chair_id == current_user.id]


@bp.route("/session/<int:session_id>", methods=["GET", "POST"])
@login_required
def session(session_id: int):
    """List a session's signed documents and start a bulk export of its sheets."""
    session = db.get_or_404(InterviewSession, session_id)
    panels = _exportable_panels(session)
    if not panels:
        abort(404)
    form = ExportForm()
    choices = [(0, _l("All panels"))] if current_user.role == "admin" else []
    form.panel.choices = choices + [(p.id, p.name) for p in panels]
    if form.validate_on_submit():
        panel = next((p for p in panels if p.id == form.panel.data), None)
        # The job's id and token are read before the commit, and nothing after it: the
        # worker may take the write lock at once.
        job_id, token = perform(_start_export, session, panel)
        enqueue_export(current_app._get_current_object(), job_id)  # `scoring worker` runs it
        return redirect(url_for(".export", token=token))
    counts = reports_data.submitted_sheet_counts(session)
    rows = [{"id": p.id, "name": p.name, "sheets": counts.get(p.id, 0)} for p in panels]
    return render_template("documents/session.html", session=session, panels=rows, form=form,
                           is_admin=current_user.role == "admin")


def _start_export(session: InterviewSession, panel: Panel | None) -> tuple[int, str]:
    job = start_export(session, panel, current_user, info=request_info(),
                       base_url=verify_base_url())
    return job.id, job.token


def _job(token: str) -> ExportJob:
    job = reports_data.export_job(token)
    if job is None or (current_user.role != "admin" and job.requested_by_id != current_user.id):
        abort(404)
    return job


def _progress(job: ExportJob) -> dict:
    ready = job.status == "done" and job_file(job).is_file()
    return {"status": job.status, "done": job.done, "total": job.total, "error": job.error,
            "download_url": url_for(".export_download", token=job.token) if ready else None}


@bp.route("/exports/<token>")
@login_required
def export(token: str):
    """Show an export's progress (the page polls; a reload finds the job again)."""
    job = _job(token)
    session = db.get_or_404(InterviewSession, job.session_id)
    panel = db.session.get(Panel, job.panel_id) if job.panel_id else None
    what = "report" if job.kind in REPORT_KINDS else job.kind  # report, minutes or sheets
    return render_template("documents/export.html", job=job, progress=_progress(job),
                           session=session, panel=panel, what=what)


@bp.route("/exports/<token>/progress")
@login_required
def export_progress(token: str):
    """Return an export's progress as JSON."""
    return jsonify(_progress(_job(token)))


@bp.route("/exports/<token>/download")
@login_required
def export_download(token: str):
    """Send the finished ZIP, or the finished PDF (a report, the minutes)."""
    job = _job(token)
    path = job_file(job)
    if job.status != "done" or not path.is_file():
        abort(404)
    session = db.get_or_404(InterviewSession, job.session_id)
    if job.kind in PDF_KINDS:
        panel = db.session.get(Panel, job.panel_id) if job.panel_id else None
        what = ["minutes", job.lang] if job.kind == "minutes" else ["report"]
        name = "-".join([session.code, *([panel.name] if panel else []), *what])
        return send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name="".join(ch if ch.isalnum() or ch in "-_." else "-"
                                               for ch in name) + ".pdf")
    return send_file(path, mimetype="application/zip", as_attachment=True,
                     download_name=f"{session.code}-sheets.zip")
