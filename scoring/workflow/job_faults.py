"""Background jobs and a database that goes away: a restart is retried, not the job's failure.

A PostgreSQL restart (or a dropped connection) in the middle of a bulk export used to fail the
job with "Export stopped at sheet #9: OperationalError". Now :func:`lost_connection` tells
such an error from the job's own; the job is queued again (:func:`release_job`) and the task
queue runs it again after a delay (:mod:`scoring.ops.tasks`), resuming from the documents
already issued; once out of retries it fails with the reason (:func:`fail_job`).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, OperationalError

from ..database import write_transaction
from ..extensions import db
from ..models import ExportJob, utcnow

__all__ = ["JobInterrupted", "driver_message", "fail_job", "lost_connection", "release_job"]


class JobInterrupted(Exception):
    """A job lost its database connection (a server restart); it was queued again to resume."""


def lost_connection(exc: BaseException) -> bool:
    """Return whether ``exc`` (or what caused it) is the database connection lost or busy.

    A PostgreSQL restart ends every connection ("terminating connection due to administrator
    command", then "connection refused" while it starts): SQLAlchemy marks such an error
    ``connection_invalidated``; an ``OperationalError`` (SQLite's "database is locked" too) is
    also the database's state, not the job's fault, and worth another try.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError)
                                                 and exc.connection_invalidated):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def driver_message(exc: BaseException) -> str:
    """Return the first line of the database driver's message in ``exc`` or its causes."""
    seen: set[int] = set()
    found: BaseException = exc
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DBAPIError):
            found = exc.orig or exc
            break
        exc = exc.__cause__ or exc.__context__
    lines = str(found).strip().splitlines()
    return lines[0] if lines else type(found).__name__


def release_job(job_id: int) -> bool:
    """Queue a running job again after its database connection was lost; return whether.

    The attempt is given back: the sweep's ``EXPORT_MAX_ATTEMPTS`` counts lost workers, and a
    restarted database server is not one. While the database is still unreachable this fails
    and returns False; the job stays "running" and the sweep queues it after the lease.
    """
    try:
        db.session.rollback()
        with write_transaction():
            released = db.session.execute(
                update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "running")
                .values(status="queued", attempts=ExportJob.attempts - 1)).rowcount
    except DBAPIError:
        current_app.logger.warning("job %s: could not queue it again yet", job_id,
                                   exc_info=True)
        db.session.rollback()
        return False
    return bool(released)


def fail_job(job_id: int, error: str) -> None:
    """Mark a job that is not finished failed with ``error`` (its reason, shown to the user)."""
    db.session.rollback()
    with write_transaction():
        db.session.execute(update(ExportJob).where(ExportJob.id == job_id,
                                                   ExportJob.status.in_(("queued", "running")))
                           .values(status="failed", finished_at=utcnow(), error=error[:2000]))
