"""Exports on the task queue (huey): a real `scoring worker`, SIGKILLed mid-job, and the sweep.

No job stays "running" forever: its heartbeat (``export_job.heartbeat_at``) stops with its
worker; after the lease the sweep queues it again, or fails it with the reason once it has
been tried ``EXPORT_MAX_ATTEMPTS`` times. A job whose database connection drops (a server
restart) is queued again and resumes. The queue is huey's SQLite file, or a real Redis server
(``HUEY_REDIS_URL``, several machines) started here on a free port.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from doc_helpers import signed_world
from factories import PASSWORD
from live_server import free_port
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import AuditEvent, ExportJob, utcnow
from scoring.ops.tasks import sweep
from scoring.workflow.document_export import export_file, start_export

ROOT = Path(__file__).resolve().parents[1]
CONSOLE = "from scoring.cli.console import main; main()"  # the `scoring` console script
LEASE = 10  # seconds; generous, so a loaded machine's stalls do not look like a death


def _job(app, job_id: int) -> ExportJob:
    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        db.session.expunge(job)
        db.session.remove()
        return job


@pytest.fixture
def redis_url(tmp_path):
    """Start a private redis-server (a free port, no persistence, no systemd); yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (bash .ci/setup --test installs it)")
    import redis

    folder = tmp_path / "redis"
    folder.mkdir()
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--daemonize", "no", "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("redis-server did not start: "
                                + (folder / "redis.log").read_text(errors="replace"))
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _use_queue(app, queue: str, request) -> dict:
    """Point ``app`` (and the workers started later) at the real queue ``queue``."""
    env: dict[str, str] = {}
    app.config.update(HUEY_IMMEDIATE=False)
    if queue == "redis":
        url = request.getfixturevalue("redis_url")
        app.config.update(HUEY_REDIS_URL=url)
        env["HUEY_REDIS_URL"] = url
    app.extensions.pop("scoring_tasks", None)  # made again, on the queue asked for
    return env


def _start_worker(app, log: Path, extra_env: dict | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "HUEY_REDIS_URL")}
    env.update(SCORING_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SCORING_INSTANCE_PATH=app.instance_path, SECRET_KEY="worker-secret",
               **(extra_env or {}))
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-c", CONSOLE, "worker"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def _wait(app, job_id: int, until, timeout: float = 120) -> ExportJob:
    deadline = time.monotonic() + timeout
    while True:
        job = _job(app, job_id)
        if until(job) or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def _stop(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGINT)
    try:
        worker.wait(20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_a_killed_worker_s_job_is_retried_by_the_next_worker(app, tmp_path, request, queue):
    instance = Path(app.instance_path)
    (instance / "config.py").write_text(
        f"EXPORT_LEASE_SECONDS = {LEASE}\nEXPORT_WORKERS = 1\n")
    env = _use_queue(app, queue, request)
    app.config.update(EXPORT_LEASE_SECONDS=LEASE)
    with app.app_context():
        world = signed_world(app, candidates=6)  # 18 submitted sheets
        job = start_export(world.session, world.panels[0], world.admin,
                           base_url="https://nilai.example.go.id")
        job_id = job.id
        db.session.commit()
    from scoring.ops.tasks import enqueue_export

    enqueue_export(app, job_id)
    log = tmp_path / "worker.log"
    first = _start_worker(app, log, env)
    try:
        running = _wait(app, job_id, lambda j: j.status == "running" and j.done >= 1)
        assert running.status == "running" and running.done < running.total, log.read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        stuck = _job(app, job_id)
        assert stuck.status == "running" and stuck.attempts == 1
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    second = _start_worker(app, log, env)
    try:
        finished = _wait(app, job_id, lambda j: j.status in ("done", "failed"), timeout=180)
    finally:
        _stop(second)
    assert finished.status == "done", (finished.error, log.read_text()[-3000:])
    assert finished.attempts == 2 and finished.done == finished.total == 18
    with app.app_context():
        assert export_file(finished).is_file()


def test_the_sweep_fails_a_job_out_of_attempts_with_its_reason(app):
    app.config.update(EXPORT_LEASE_SECONDS=LEASE, EXPORT_MAX_ATTEMPTS=2)
    with app.app_context():
        world = signed_world(app, candidates=1)
        jobs = []
        for attempts in (1, 2):
            job = start_export(world.session, world.panels[0], world.admin)
            job.status, job.attempts = "running", attempts
            job.heartbeat_at = utcnow() - dt.timedelta(seconds=LEASE + 1)
            jobs.append(job)
        fresh = start_export(world.session, world.panels[0], world.admin)
        fresh.status, fresh.attempts, fresh.heartbeat_at = "running", 1, utcnow()
        db.session.commit()
        retry_id, dead_id, fresh_id = jobs[0].id, jobs[1].id, fresh.id
    requeued, failed = sweep(app)  # immediate mode: the retry runs at once
    assert (requeued, failed) == ([retry_id], [dead_id])
    retry, dead, alive = _job(app, retry_id), _job(app, dead_id), _job(app, fresh_id)
    assert retry.status == "done" and retry.attempts == 2
    assert dead.status == "failed" and "2" in dead.error and dead.finished_at is not None
    assert alive.status == "running"  # its worker is alive (fresh heartbeat): left alone
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "export.fail")) == "export.fail"


def _drop_connection_on(monkeypatch, app, calls: int) -> list[int]:
    """Make the export lose its database connection when it stores its ``calls``-th sheet.

    On PostgreSQL the server really ends the job's connection (``pg_terminate_backend``, as a
    restart does) and the store then fails on it; on SQLite the driver's disconnect error is
    raised there. Return the list of stores tried (one int per call).
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    import scoring.workflow.document_export as export

    real, stores = export.store_issued, []

    def flaky(*args, **kwargs):
        stores.append(1)
        if len(stores) == calls:
            if db.engine.dialect.name == "postgresql":
                pid = db.session.scalar(text("SELECT pg_backend_pid()"))
                killer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
                with killer.begin() as conn:
                    conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                killer.dispose()
            else:
                raise OperationalError("INSERT INTO document ...", {},
                                       Exception("server closed the connection unexpectedly"),
                                       connection_invalidated=True)
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "store_issued", flaky)
    return stores


def _count_seals(monkeypatch) -> list[int]:
    import scoring.workflow.document_export as export

    real, seals = export.seal, []
    monkeypatch.setattr(export, "seal", lambda *a, **k: seals.append(1) or real(*a, **k))
    return seals


def test_an_export_that_loses_its_database_connection_is_retried_and_resumes(
        app, monkeypatch):
    app.config.update(EXPORT_WORKERS=1, EXPORT_RETRY_DELAY_SECONDS=0)
    with app.app_context():
        world = signed_world(app, candidates=3)  # 9 submitted sheets
        job_id = start_export(world.session, world.panels[0], world.admin,
                              base_url="https://nilai.example.go.id").id
        db.session.commit()
    stores = _drop_connection_on(monkeypatch, app, calls=5)
    seals = _count_seals(monkeypatch)
    from scoring.ops.tasks import enqueue_export

    enqueue_export(app, job_id)  # immediate mode: the task, and huey's retry, run here
    job = _job(app, job_id)
    assert job.status == "done", job.error
    assert (job.done, job.total) == (9, 9)
    # the 4 sheets stored before the drop were not sealed again: the retry resumed
    assert len(stores) == 10 and len(seals) == 10
    assert job.attempts == 1  # a lost connection is not a lost worker: no attempt spent
    with app.app_context():
        assert export_file(job).is_file()


def test_an_export_out_of_database_retries_fails_with_its_reason(app, monkeypatch):
    app.config.update(EXPORT_WORKERS=1, EXPORT_RETRY_DELAY_SECONDS=0)
    with app.app_context():
        world = signed_world(app, candidates=1)
        job_id = start_export(world.session, world.panels[0], world.admin,
                              base_url="https://nilai.example.go.id").id
        db.session.commit()
    from sqlalchemy.exc import OperationalError

    import scoring.workflow.document_export as export

    def never(*_a, **_k):
        raise OperationalError("INSERT INTO document ...", {},
                               Exception("server closed the connection unexpectedly"),
                               connection_invalidated=True)

    monkeypatch.setattr(export, "store_issued", never)
    from scoring.ops.tasks import enqueue_export

    enqueue_export(app, job_id)
    job = _job(app, job_id)
    assert job.status == "failed" and job.finished_at is not None
    assert "basis data" in job.error  # the reason, in the app's language (Indonesian)
    assert job.error.count("server closed the connection unexpectedly") == 1


def test_a_report_job_queued_by_the_app_on_redis_is_run_by_scoring_worker(
        app, client, tmp_path, request):
    env = _use_queue(app, "redis", request)
    with app.app_context():
        world = signed_world(app, candidates=2)
        panel_id, chair = world.panels[0].id, world.panels[0].chair.username
    client.post("/auth/login", data={"username": chair, "password": PASSWORD})
    response = client.post(f"/chair/panels/{panel_id}/report.pdf")
    assert response.status_code == 302, response.data[:300]
    token = response.headers["Location"].rsplit("/", 1)[1]
    from scoring.ops.tasks import get_huey

    huey = get_huey(app)
    assert type(huey.storage).__name__ == "RedisStorage" and huey.pending_count() == 1
    assert not (Path(app.instance_path) / "huey.sqlite").exists()  # not the SQLite queue
    with app.app_context():
        job_id = db.session.scalar(select(ExportJob.id).where(ExportJob.token == token))
    log = tmp_path / "worker.log"
    worker = _start_worker(app, log, env)
    try:
        job = _wait(app, job_id, lambda j: j.status in ("done", "failed"), timeout=120)
    finally:
        _stop(worker)
    assert job.status == "done", (job.error, log.read_text()[-3000:])
    assert "RedisHuey" in log.read_text() or "RedisStorage" in log.read_text()
    assert huey.pending_count() == 0
    progress = client.get(f"/documents/exports/{token}/progress").get_json()
    with client.get(progress["download_url"]) as pdf:
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_sweep_sends_again_a_queued_job_whose_message_was_lost(app):
    """A job queued but never taken (its message lost: a Redis restarted without persistence,
    a worker killed between taking it and claiming it) is sent again after the lease."""
    app.config.update(EXPORT_LEASE_SECONDS=LEASE)
    with app.app_context():
        world = signed_world(app, candidates=1)
        lost = start_export(world.session, world.panels[0], world.admin,
                            base_url="https://nilai.example.go.id")
        lost.created_at = utcnow() - dt.timedelta(seconds=LEASE + 1)
        waiting = start_export(world.session, world.panels[0], world.admin)
        db.session.commit()
        lost_id, waiting_id = lost.id, waiting.id
    requeued, failed = sweep(app)  # immediate mode: the job sent again runs at once
    assert (requeued, failed) == ([lost_id], [])
    assert _job(app, lost_id).status == "done"
    assert _job(app, waiting_id).status == "queued"  # queued just now: its message is there
    assert sweep(app) == ([], [])


def test_an_unexpected_error_in_a_job_fails_it_with_the_reason_not_running(app, monkeypatch):
    with app.app_context():
        world = signed_world(app, candidates=1)
        job_id = start_export(world.session, world.panels[0], world.admin).id
        db.session.commit()
    import scoring.workflow.report_jobs as report_jobs
    from scoring.workflow.document_export import claim_job

    def broken(job_id: int):
        claim_job(job_id)
        raise RuntimeError("a bug outside the export's own error handling")

    monkeypatch.setattr(report_jobs, "run_export", broken)
    from scoring.ops.tasks import enqueue_export

    enqueue_export(app, job_id)
    job = _job(app, job_id)
    assert job.status == "failed" and "a bug outside" in job.error
