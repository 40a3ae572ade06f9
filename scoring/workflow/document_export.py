"""Bulk export: every submitted sheet of a session (or a panel) as one ZIP of signed PDFs.

The same loop serves the command line (``scoring export sheets``) and background jobs started
from the web. It prepares and stores each sheet in this process, in order, and renders and
seals in a pool of worker processes (``EXPORT_WORKERS``; 1: in this process). A web job runs
in ``scoring worker`` (the task queue, :mod:`scoring.ops.tasks`); its row in ``export_job``
carries the progress and a heartbeat, so any app server can show it, a reload of the page
finds it again, and :func:`sweep_exports` queues again (or fails, with the reason) a job
whose worker died.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import re
import zipfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from ..database import read_only, write_transaction
from ..documents.agreement_pdf import REPORT_KINDS
from ..documents.sealing import SealJob, render_nice, seal, seal_in_worker, seal_pool
from ..documents.tables import csv_writer
from ..extensions import db
from ..models import (
    Assignment,
    Document,
    ExportJob,
    InterviewSession,
    Panel,
    ScoreSheet,
    User,
    utcnow,
)
from ..ops.private_files import create_private, private_dir
from ..ops.storage import storage_dir
from ..rules.visibility import ADMIN, decisions, viewer_of
from .audit import RequestInfo, record
from .documents import (
    PreparedDocument,
    new_token,
    prepare_sheet_document,
    short_code,
    store_issued,
)
from .errors import WorkflowError
from .institution_seal import document_css, institution_key, signing_source
from .job_faults import lost_connection

__all__ = ["PDF_KINDS", "ExportError", "export_file", "export_sheet_ids", "export_workers",
           "run_export", "start_export", "sweep_exports", "beat", "write_sheets_zip"]


class ExportError(WorkflowError):
    """One document of a bulk export failed; the message names it."""

    def __init__(self, label: str, cause: Exception):
        why = type(cause).__name__ + ": " + str(cause)
        super().__init__("export_failed", _l("Export stopped at %(doc)s: %(why)s",
                                             doc=label, why=why), 500)
        self.label = label


def export_sheet_ids(session: InterviewSession, panel: Panel | None = None,
                     viewer=ADMIN) -> list[int]:
    """Return the ids of the submitted sheets ``viewer`` may see, in panel and interview order.

    The default viewer is the administrator's context: every sheet of a candidate whose
    sheets are all in (:mod:`scoring.rules.visibility`).
    """
    who = viewer_of(viewer)
    decided = decisions(who, **({"panel_ids": [panel.id]} if panel is not None
                                else {"session_id": session.id}))
    query = (select(ScoreSheet.id, ScoreSheet.assignment_id, ScoreSheet.examiner_id)
             .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
             .join(User, User.id == ScoreSheet.examiner_id)
             .where(ScoreSheet.session_id == session.id, ScoreSheet.status == "submitted")
             .order_by(Assignment.panel_id, Assignment.position, User.username))
    if panel is not None:
        query = query.where(Assignment.panel_id == panel.id)
    return [sid for sid, aid, uid in db.session.execute(query)
            if decided[aid].visible or (who.id is not None and uid == who.id)]


def _safe(name: str) -> str:
    """Return ``name`` as one safe archive path segment (never ``.``/``..``, no separators)."""
    cleaned = re.sub(r"[^\w.-]+", "_", name, flags=re.ASCII).strip("._-")
    return cleaned or "_"


def member_name(name: str) -> str:
    """Return ``name`` with every segment made safe, so no ZIP member escapes the folder."""
    return "/".join(_safe(part) for part in re.split(r"[/\\]", name))


def _label(sheet: ScoreSheet) -> str:
    a = sheet.assignment
    return (f"sheet #{sheet.id} ({a.panel.name}, candidate {a.candidate.participant_number}, "
            f"examiner {sheet.examiner.username})")


def export_workers() -> int:
    """Return how many processes render and seal (EXPORT_WORKERS, else up to 2 cores)."""
    configured = current_app.config.get("EXPORT_WORKERS")
    workers = int(configured) if configured else min(2, os.cpu_count() or 1)
    return max(1, workers)


def _seal_here(job: SealJob) -> Future:
    """Seal ``job`` in this process; return a done future holding the bytes or the error."""
    future: Future = Future()
    try:
        future.set_result(seal(job, institution_key()))
    except Exception as exc:
        future.set_exception(exc)
    return future


@dataclass
class _Pending:
    """A sheet on its way into the ZIP: its names, and its stored document or future PDF."""

    label: str
    name: str
    row: list[str]
    ready: Document | PreparedDocument
    pdf: Future | None


def _pending(sheet_id: int, lang: str, base_url: str | None,
             submit: Callable[[SealJob], Future]) -> _Pending:
    """Prepare one sheet (in this process) and hand its seal job to ``submit``."""
    sheet = db.session.get(ScoreSheet, sheet_id)
    label, a = _label(sheet), sheet.assignment
    name = (f"{_safe(a.panel.name)}/{_safe(a.candidate.participant_number)}_"
            f"{_safe(sheet.examiner.username)}.pdf")
    row = [name, a.panel.name, a.candidate.participant_number, sheet.examiner.username]
    try:
        ready = prepare_sheet_document(sheet, lang, base_url=base_url)
        pdf = submit(ready.job) if isinstance(ready, PreparedDocument) else None
    except Exception as exc:
        db.session.rollback()
        raise ExportError(label, exc) from exc
    return _Pending(label, name, row, ready, pdf)


def _complete(item: _Pending, actor: User | None,
              info: RequestInfo | None) -> tuple[bytes, str, str]:
    """Wait for the sheet's PDF, store and commit its document; return pdf, token, sha256."""
    try:
        if isinstance(item.ready, Document):
            document = item.ready
        else:  # sealed outside any transaction; stored in one short write
            document = store_issued(item.ready, item.pdf.result(), actor=actor, info=info)
        pdf, token, digest = document.pdf, document.token, document.sha256
    except Exception as exc:
        db.session.rollback()
        raise ExportError(item.label, exc) from exc
    return pdf, token, digest


def write_sheets_zip(session: InterviewSession, panel: Panel | None, output: Path, *,
                     lang: str = "id", base_url: str | None = None, actor: User | None = None,
                     info: RequestInfo | None = None,
                     progress: Callable[[int, int], None] | None = None,
                     workers: int | None = None, viewer=None) -> int:
    """Issue (or reuse) every sheet's signed PDF and write them to ``output`` as a ZIP.

    Sheets are prepared and stored here, in order; rendering and sealing run in ``workers``
    processes (default :func:`export_workers`; 1: in this process), at most two sheets per
    worker in flight. Each document is committed as it is stored. On a failure the sheets
    before it are kept, the partial file is removed and :class:`ExportError` names the
    document. Returns the number of sheets written. Only sheets ``viewer`` may see are
    written (default: ``actor``'s view, else the administrator's context).
    """
    with read_only():
        return _write_sheets_zip(session, panel, output, lang=lang, base_url=base_url,
                                 actor=actor, info=info, progress=progress, workers=workers,
                                 viewer=viewer)


def _write_sheets_zip(session: InterviewSession, panel: Panel | None, output: Path, *,
                      lang: str, base_url: str | None, actor: User | None,
                      info: RequestInfo | None, progress: Callable[[int, int], None] | None,
                      workers: int | None, viewer=None) -> int:
    """Seal every sheet in a window of workers and write them, with a manifest, to ``output``.

    Long because the worker pool, the window of sheets in flight and the partial file share one
    ``try``/``finally`` that must cancel, shut down and delete all three on any failure.
    """
    ids = export_sheet_ids(session, panel, viewer or actor or ADMIN)
    workers = max(1, min(workers or export_workers(), len(ids)))
    output = Path(output)
    partial = output.with_name(output.name + ".part")
    manifest = io.StringIO()
    writer = csv_writer(manifest)
    writer.writerow(["file", "panel", "participant_number", "examiner", "verification_code",
                     "sha256"])
    window: deque[_Pending] = deque()
    ahead = 2 * workers if workers > 1 else 1  # in flight; 1: each sheet done before the next
    pool = None
    try:
        if workers > 1:
            pool = seal_pool(workers, signing_source(), document_css(),
                             render_nice(current_app.config.get("RENDER_NICE", 0)))
            submit = functools.partial(pool.submit, seal_in_worker)
        else:
            submit = _seal_here
        create_private(partial)  # documents with names: 0600 from the start
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:
            done = 0

            def write_head() -> None:
                nonlocal done
                item = window.popleft()
                pdf, token, digest = _complete(item, actor, info)
                archive.writestr(member_name(item.name), pdf)
                writer.writerow(item.row + [short_code(token), digest])
                done += 1
                if progress is not None:
                    progress(done, len(ids))

            for sheet_id in ids:
                try:
                    window.append(_pending(sheet_id, lang, base_url, submit))
                except ExportError:
                    while window:  # the sheets before the failing one are kept
                        write_head()
                    raise
                if len(window) >= ahead:
                    write_head()
            while window:
                write_head()
            archive.writestr("manifest.csv", manifest.getvalue())
        partial.replace(output)
    finally:
        for item in window:
            if item.pdf is not None:
                item.pdf.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        partial.unlink(missing_ok=True)
    return len(ids)


def claim_job(job_id: int) -> tuple[ExportJob | None, bool]:
    """Mark the job ``job_id`` running if it is still queued, in one short write transaction.

    Return the job and whether this call claimed it: a duplicate delivery of a job that is
    already running or finished claims nothing, and its caller does nothing. ``done`` is kept:
    a job run again resumes (the sheets already issued are reused, not sealed again).
    """
    with write_transaction():
        claimed = db.session.execute(
            update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "queued")
            .values(status="running", attempts=ExportJob.attempts + 1,
                    heartbeat_at=utcnow())).rowcount
    return db.session.get(ExportJob, job_id), bool(claimed)


# Jobs that make one PDF (scoring.workflow.report_jobs): the agreement reports, the minutes.
PDF_KINDS = (*REPORT_KINDS, "minutes")


def export_file(job: ExportJob) -> Path:
    """Return where the file of ``job`` is (or will be) written: a ZIP, or a job's PDF."""
    suffix = "pdf" if job.kind in PDF_KINDS else "zip"
    return storage_dir() / "exports" / f"{job.token}.{suffix}"


def start_export(session: InterviewSession, panel: Panel | None, actor: User | None, *,
                 info: RequestInfo | None = None, lang: str = "id",
                 base_url: str | None = None) -> ExportJob:
    """Create a queued export job for the session's (or panel's) submitted sheets."""
    if panel is not None and panel.session_id != session.id:
        raise WorkflowError("not_found", _l("No such panel in this session."), 404)
    total = len(export_sheet_ids(session, panel, actor or ADMIN))
    if total == 0:
        raise WorkflowError("nothing_to_export", _l("No submitted sheet to export yet."))
    job = ExportJob(token=new_token(), session_id=session.id,
                    panel_id=panel.id if panel else None,
                    requested_by_id=actor.id if actor else None, status="queued", total=total,
                    lang=lang, base_url=base_url)
    db.session.add(job)
    db.session.flush()
    record("export.start", actor, job, {"panel": panel.name if panel else None, "total": total},
           session_id=session.id, info=info)
    return job


def run_export(job_id: int, base_url: str | None = None, lang: str | None = None) -> ExportJob:
    """Run a queued job to the end, recording progress in its row (call in an app context).

    Only a job still ``queued`` is claimed (a duplicate delivery is a no-op). Reads run in
    deferred transactions and each write (claim, progress and heartbeat, a stored document)
    in its own short write transaction, so examiners' saves never wait for a render.
    """
    with read_only():
        job, claimed = claim_job(job_id)
        if not claimed:
            return job
        lang = lang or job.lang
        base_url = base_url or job.base_url
        session = db.session.get(InterviewSession, job.session_id)
        panel = db.session.get(Panel, job.panel_id) if job.panel_id else None
        actor = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
        target = export_file(job)
        private_dir(target.parent)
        resumed_at = job.done  # a job run again rewrites its first sheets from the database

        def progress(done: int, total: int) -> None:
            if done <= resumed_at and done < total:
                return  # the heartbeat thread renews the lease meanwhile
            with write_transaction():
                db.session.execute(ExportJob.__table__.update().where(ExportJob.id == job_id)
                                   .values(done=done, total=total, heartbeat_at=utcnow()))

        try:
            write_sheets_zip(session, panel, target, lang=lang, base_url=base_url,
                             actor=actor, progress=progress)
        except Exception as exc:
            db.session.rollback()
            if lost_connection(exc):
                raise  # not the export's fault: queued again and resumed (report_jobs.run_job)
            message = str(exc.message) if isinstance(exc, WorkflowError) else repr(exc)
            current_app.logger.error("export job %s failed: %s", job_id, message)
            _finish(job_id, "failed", error=message[:2000])
        else:
            _finish(job_id, "done", path=str(target))
        return db.session.get(ExportJob, job_id)


def sweep_exports(lease_seconds: float, max_attempts: int) -> tuple[list[int], list[int]]:
    """Queue again the jobs whose worker died (no heartbeat within the lease), or fail them.

    A running job whose heartbeat is older than ``lease_seconds`` goes back to ``queued``
    while it has been tried fewer than ``max_attempts`` times, else it fails with the reason.
    A job queued longer than the lease (since it was created or last sent) is sent again: its
    message may be lost (a worker killed between taking it and claiming it, a Redis server
    restarted without persistence, a database down through all of a job's retries); a
    duplicate is harmless, as only a queued job is claimed. Returns the ids to enqueue and the
    ids failed.
    """
    stale = utcnow() - dt.timedelta(seconds=lease_seconds)
    with write_transaction():
        jobs = db.session.scalars(select(ExportJob).where(
            ExportJob.status == "running",
            or_(ExportJob.heartbeat_at.is_(None), ExportJob.heartbeat_at < stale))).all()
        requeue, failed = [], []
        for job in jobs:
            if job.attempts >= max_attempts:
                job.status, job.finished_at = "failed", utcnow()
                job.error = str(_l(
                    "The export stopped: its worker stopped answering (killed or crashed) "
                    "%(n)d times. Start the export again; if it keeps failing, tell the "
                    "administrator.", n=job.attempts))
                record("export.fail", None, job, {"attempts": job.attempts,
                                                  "reason": "worker lost"},
                       session_id=job.session_id)
                failed.append(job.id)
            else:
                job.status, job.heartbeat_at = "queued", utcnow()  # sent now
                requeue.append(job.id)
        waiting = db.session.scalars(select(ExportJob).where(
            ExportJob.status == "queued",
            func.coalesce(ExportJob.heartbeat_at, ExportJob.created_at) < stale)).all()
        for job in waiting:
            job.heartbeat_at = utcnow()  # sent again now: at most once per lease
            requeue.append(job.id)
    return requeue, failed


def beat(job_id: int) -> None:
    """Renew a running job's lease (its worker is alive)."""
    with write_transaction():
        db.session.execute(update(ExportJob).where(ExportJob.id == job_id,
                                                   ExportJob.status == "running")
                           .values(heartbeat_at=utcnow()))


def _finish(job_id: int, status: str, **values) -> None:
    with write_transaction():
        db.session.execute(ExportJob.__table__.update().where(ExportJob.id == job_id)
                           .values(status=status, finished_at=utcnow(), **values))
