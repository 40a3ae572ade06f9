"""Background work on huey, an existing task queue: bulk exports and report PDFs run in
``scoring worker``.

The queue lives in ``instance/huey.sqlite`` (SqliteHuey; ``HUEY_SQLITE_PATH`` moves it) by
default, so one machine needs nothing more, however many app servers it runs (they share the
file); with ``HUEY_REDIS_URL`` set (and the ``redis`` extra installed) every app server and
worker of several machines share a Redis queue instead. ``HUEY_IMMEDIATE`` runs each task at
once in the process that enqueues it (tests). The queue only carries job ids: a job's state,
progress and lease are rows of ``export_job``, so they survive reloads and restarts, and the
sweep in every worker re-queues (or fails, with the reason) a job whose worker died.

The huey instance is made on first use, not in ``create_app`` (the factory does no I/O); the
WSGI entry imports huey's modules ahead (:func:`import_queue`).
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

from flask import Flask

from ..extensions import db

QUEUE_NAME = "scoring"


def make_huey(app: Flask):
    """Return the huey instance the configuration asks for."""
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    if app.config.get("HUEY_IMMEDIATE"):
        return MemoryHuey(QUEUE_NAME, immediate=True)
    if app.config.get("HUEY_REDIS_URL"):
        if importlib.util.find_spec("redis") is None:
            raise RuntimeError("HUEY_REDIS_URL is set but the redis package is missing: "
                               "install it with pip install -e '.[redis]'")
        return RedisHuey(QUEUE_NAME, url=app.config["HUEY_REDIS_URL"])
    path = app.config.get("HUEY_SQLITE_PATH") or Path(app.instance_path) / "huey.sqlite"
    return SqliteHuey(QUEUE_NAME, filename=str(path))


def import_queue() -> None:
    """Import huey (with the redis, gevent and psycopg modules it imports: some 0.4 s of CPU)
    without making the queue (no I/O). ``scoring.wsgi`` calls it in gunicorn's master, so no
    worker pays for it on its first export request, holding the GIL its tablets' requests
    wait for."""
    import huey  # noqa: F401


def get_huey(app: Flask):
    """Return the app's huey instance with the tasks registered (made once per app)."""
    tasks = app.extensions.get("scoring_tasks")
    if tasks is None:
        with _lock:
            tasks = app.extensions.get("scoring_tasks")
            if tasks is None:
                tasks = app.extensions["scoring_tasks"] = _register(app, make_huey(app))
    return tasks["huey"]


_lock = threading.Lock()


def _register(app: Flask, huey) -> dict:
    # huey's own retries carry a job over a database restart: run_job has queued the job
    # again (JobInterrupted), and huey runs this task again after the delay.
    @huey.task(name="export_sheets", retries=int(app.config["EXPORT_DB_RETRIES"]),
               retry_delay=float(app.config["EXPORT_RETRY_DELAY_SECONDS"]), context=True)
    def export_sheets(job_id: int, task=None) -> None:
        from ..workflow.job_faults import JobInterrupted, fail_job
        from ..workflow.report_jobs import run_job

        done = threading.Event()
        heart = threading.Thread(target=_heartbeat, args=(app, job_id, done), daemon=True,
                                 name=f"export-{job_id}-heartbeat")
        heart.start()
        with app.app_context():
            try:
                run_job(job_id)  # a ZIP of sheets, a report PDF or the minutes, by its kind
            except JobInterrupted as exc:
                if task is not None and task.retries:
                    raise  # huey runs the task again after EXPORT_RETRY_DELAY_SECONDS
                _give_up(app, job_id, exc)
            except Exception as exc:  # not the job's own error (it records those): say why
                app.logger.exception("job %s failed", job_id)
                fail_job(job_id, repr(exc))
            finally:
                done.set()
                db.session.remove()
        heart.join()

    return {"huey": huey, "export_sheets": export_sheets}


def _give_up(app: Flask, job_id: int, exc: Exception) -> None:
    """Fail a job whose database connection was lost more often than the retries allow."""
    from flask_babel import force_locale, gettext

    from ..workflow.job_faults import fail_job

    with force_locale(app.config.get("BABEL_DEFAULT_LOCALE", "id")):
        reason = gettext("The job lost its database connection %(n)d times (the database "
                         "server restarted or is unreachable): %(why)s. Start it again.",
                         n=int(app.config["EXPORT_DB_RETRIES"]) + 1, why=str(exc))
    app.logger.error("job %s failed: %s", job_id, reason)
    fail_job(job_id, reason)


def _heartbeat(app: Flask, job_id: int, done: threading.Event) -> None:
    """Renew the job's lease every third of it until the job ends (its own session)."""
    from ..database import read_only
    from ..workflow.document_export import beat

    interval = max(0.5, float(app.config["EXPORT_LEASE_SECONDS"]) / 3)
    while not done.wait(interval):
        with app.app_context(), read_only():
            try:
                beat(job_id)
            except Exception:  # noqa: BLE001 - a missed beat is retried; the sweep is lenient
                app.logger.exception("heartbeat of export %s failed", job_id)
            finally:
                db.session.remove()


def enqueue_export(app: Flask, job_id: int) -> None:
    """Queue the export job ``job_id`` (committed first: the worker reads its row)."""
    get_huey(app)
    app.extensions["scoring_tasks"]["export_sheets"](job_id)


def sweep(app: Flask) -> tuple[list[int], list[int]]:
    """Re-queue export jobs whose worker died; fail those out of attempts. Return both ids."""
    from ..workflow.document_export import sweep_exports

    with app.app_context():
        try:
            requeued, failed = sweep_exports(app.config["EXPORT_LEASE_SECONDS"],
                                             app.config["EXPORT_MAX_ATTEMPTS"])
        finally:
            db.session.remove()
    for job_id in requeued:
        enqueue_export(app, job_id)
    return requeued, failed
