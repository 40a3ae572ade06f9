"""PDFs of whole sessions and panels as background jobs (``scoring worker``): the agreement
reports and the signed minutes (berita acara).

An agreement report PDF takes from half a second to several seconds of CPU: rendered in a web
request it held a server thread (and the GIL beside examiners' saves) that long. Asking for
it now only writes a queued job (a row of ``export_job`` with ``kind`` and ``params``) and
answers with the progress page that bulk exports use; the worker renders outside any write
transaction and stores the file under ``instance/exports/``. The lease, heartbeat and sweep of
:mod:`scoring.workflow.document_export` apply unchanged: a job whose worker died is queued
again, or failed with the reason after ``EXPORT_MAX_ATTEMPTS``. The minutes of a session are
rendered and sealed the same way, and stored as a signed document besides (issued once per
content, so asking again reuses it).
"""

from __future__ import annotations

import json

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..database import read_only, write_transaction
from ..documents.agreement_pdf import REPORT_KINDS, render_agreement_pdf
from ..extensions import db
from ..models import ExportJob, InterviewSession, Panel, User, utcnow
from ..ops.private_files import private_dir, write_private
from .audit import RequestInfo, record
from .document_export import PDF_KINDS, claim_job, run_export
from .document_export import export_file as job_file
from .documents import issue_minutes_document, new_token
from .errors import WorkflowError
from .job_faults import JobInterrupted, driver_message, lost_connection, release_job

__all__ = ["PDF_KINDS", "REPORT_KINDS", "job_file", "run_job", "run_report", "start_minutes",
           "start_report"]


def start_report(kind: str, session: InterviewSession, panel: Panel | None, actor: User, *,
                 target: float, lang: str = "id", info: RequestInfo | None = None) -> ExportJob:
    """Create a queued job for the agreement report PDF of ``panel`` (or the whole session)."""
    if kind not in REPORT_KINDS:
        raise ValueError(f"unknown report kind {kind!r}; expected one of {REPORT_KINDS}")
    return _queue_pdf(kind, session, panel, actor, lang=lang, info=info,
                      params={"target": target}, audit="report.start")


def start_minutes(session: InterviewSession, panel: Panel | None, actor: User, *,
                  lang: str = "id", base_url: str | None = None,
                  info: RequestInfo | None = None) -> ExportJob:
    """Create a queued job for the signed minutes of the session (or of one of its panels)."""
    return _queue_pdf("minutes", session, panel, actor, lang=lang, info=info,
                      base_url=base_url, audit="minutes.start")


def _queue_pdf(kind: str, session: InterviewSession, panel: Panel | None, actor: User, *,
               lang: str, info: RequestInfo | None, audit: str, params: dict | None = None,
               base_url: str | None = None) -> ExportJob:
    if panel is not None and panel.session_id != session.id:
        raise WorkflowError("not_found", _l("No such panel in this session."), 404)
    job = ExportJob(token=new_token(), kind=kind, session_id=session.id,
                    panel_id=panel.id if panel else None, requested_by_id=actor.id,
                    status="queued", total=1, lang=lang, base_url=base_url,
                    params=json.dumps(params) if params else None)
    db.session.add(job)
    db.session.flush()
    record(audit, actor, job, {"kind": kind, "panel": panel.name if panel else None,
                               "lang": lang, **(params or {})},
           session_id=session.id, info=info)
    return job


def run_job(job_id: int) -> ExportJob | None:
    """Run the queued job ``job_id``, whatever its kind (the task queue's entry point).

    When the database connection is lost under the job (a server restart), the job is queued
    again and :class:`JobInterrupted` raised: the task queue runs it again later, and it
    resumes from the documents already issued.
    """
    try:
        with read_only():
            kind = db.session.scalar(select(ExportJob.kind).where(ExportJob.id == job_id))
            db.session.commit()
        if kind is None:
            return None
        return run_report(job_id) if kind in PDF_KINDS else run_export(job_id)
    except Exception as exc:
        if not lost_connection(exc):
            raise
        current_app.logger.warning("job %s lost its database connection: %r", job_id, exc)
        release_job(job_id)
        raise JobInterrupted(driver_message(exc)) from exc


def run_report(job_id: int) -> ExportJob:
    """Render a queued PDF job to its file (call in an app context); a duplicate is a no-op.

    The claim and the end are two short write transactions; the report is read and rendered
    in a deferred (read) transaction, so no writer waits for it (the minutes' signed document
    is stored in a short write of its own).
    """
    with read_only():
        job, claimed = claim_job(job_id)
        if not claimed:
            return job
        try:
            pdf = _make_pdf(job)
            path = job_file(job)
            private_dir(path.parent)
            write_private(path.with_name(path.name + ".part"), pdf).replace(path)
        except Exception as exc:
            db.session.rollback()
            if lost_connection(exc):
                raise  # queued again and run later by run_job's caller
            current_app.logger.exception("report job %s failed", job_id)
            _finish(job_id, "failed", error=repr(exc)[:2000])
        else:
            _finish(job_id, "done", done=1, path=str(path))
        db.session.expire_all()
        return db.session.get(ExportJob, job_id)


def _make_pdf(job: ExportJob) -> bytes:
    """Return the PDF the job ``job`` asks for, as the user who asked for it may see it."""
    session = db.session.get(InterviewSession, job.session_id)
    panel = db.session.get(Panel, job.panel_id) if job.panel_id else None
    viewer = db.session.get(User, job.requested_by_id)
    if job.kind == "minutes":
        return issue_minutes_document(session, panel, job.lang, actor=viewer,
                                      base_url=job.base_url).pdf
    target = float(json.loads(job.params or "{}").get("target", 0.8))
    return render_agreement_pdf(job.kind, session, panel, viewer, target, job.lang)


def _finish(job_id: int, status: str, **values) -> None:
    with write_transaction():
        db.session.execute(update(ExportJob).where(ExportJob.id == job_id)
                           .values(status=status, finished_at=utcnow(), **values))
