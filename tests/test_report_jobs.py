"""Agreement-report PDFs of whole sessions and panels run on the task queue, not in a request.

Asking for a report PDF answers at once with a progress page (a redirect to the job): the
request neither renders (seconds of CPU that held a web thread) nor keeps SQLite's write lock.
`scoring worker` (here: the job run directly, as the queue's task does) renders it; the page
and its JSON survive a reload; a job whose worker died is queued again or failed with a reason.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time

import pytest
from doc_helpers import pdf_text, signed_world
from factories import PASSWORD
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import AuditEvent, Document, ExportJob, utcnow
from scoring.ops.tasks import sweep
from scoring.workflow.report_jobs import job_file, run_job


def _login(client, username: str) -> None:
    client.post("/auth/login", data={"username": username, "password": PASSWORD})


def _probe_write_lock(app) -> None:
    """Take and release SQLite's write lock from another connection (fails if it is held)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite"):
        return
    probe = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
    finally:
        probe.close()


def _queued_as_chair(app, client, monkeypatch, candidates: int):
    """A real queue without a worker, a signed world, renders counted, its chair logged in;
    return the panel id, the session id and the list each render appends to."""
    app.config.update(HUEY_IMMEDIATE=False)  # a real queue (instance/huey.sqlite), no worker
    with app.app_context():
        world = signed_world(app, candidates=candidates)
        panel_id, session_id = world.panels[0].id, world.session.id
        chair = world.panels[0].chair.username
    renders: list[int] = []
    import scoring.documents.render as render

    real_render = render.render_pdf
    monkeypatch.setattr(render, "render_pdf",
                        lambda *a, **k: renders.append(1) or real_render(*a, **k))
    _login(client, chair)
    return panel_id, session_id, renders


@pytest.mark.parametrize("scope", ["panel", "session"])
def test_a_report_pdf_request_queues_a_job_and_answers_at_once(app, client, monkeypatch,
                                                                scope):
    panel_id, session_id, renders = _queued_as_chair(app, client, monkeypatch, 3)
    url = (f"/chair/panels/{panel_id}/report.pdf?target=0.9" if scope == "panel"
           else f"/chair/sessions/{session_id}/report.pdf")
    assert client.get(url).status_code == 405  # no GET that renders (or writes)
    started = time.monotonic()
    response = client.post(url)
    took = time.monotonic() - started
    assert response.status_code == 302, response.data[:300]
    token = re.search(r"/documents/exports/([^/?]+)$", response.headers["Location"]).group(1)
    assert renders == [] and took < 2.0  # nothing rendered in the request
    _probe_write_lock(app)  # and the request left the write lock free
    page = client.get(f"/documents/exports/{token}")  # a reload finds the job again
    assert page.status_code == 200 and "data-export-progress" in page.get_data(as_text=True)
    assert client.get(f"/documents/exports/{token}/progress").get_json()["status"] == "queued"
    assert client.get(f"/documents/exports/{token}/download").status_code == 404

    with app.app_context():  # what the queue's task runs in `scoring worker`
        job_id = db.session.scalar(select(ExportJob.id).where(ExportJob.token == token))
        job = run_job(job_id)
        assert (job.status, job.done, job.total, job.attempts) == ("done", 1, 1, 1)
        assert job_file(job).is_file()
        kinds = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "ExportJob")).all()
        assert kinds == ["report.start"]
        assert run_job(job_id).attempts == 1  # a duplicate delivery is a no-op
    assert renders == [1]
    progress = client.get(f"/documents/exports/{token}/progress").get_json()
    assert progress["status"] == "done" and progress["download_url"]
    with client.get(progress["download_url"]) as pdf:
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        data = pdf.data
    assert data.startswith(b"%PDF")
    assert re.search(r"Agreement report|Laporan kesepakatan", pdf_text(data))


def test_another_user_cannot_follow_someone_else_s_report_job(app, client):
    with app.app_context():
        world = signed_world(app, candidates=2)
        panel_id = world.panels[0].id
        chair, other = world.panels[0].chair.username, world.panels[1].chair.username
    _login(client, chair)
    location = client.post(f"/chair/panels/{panel_id}/report.pdf").headers["Location"]
    client.post("/auth/logout")
    other_client = client.application.test_client()
    _login(other_client, other)
    assert other_client.get(location).status_code == 404
    assert other_client.post(f"/chair/panels/{panel_id}/report.pdf").status_code == 404


def test_a_report_job_whose_worker_died_is_retried_then_failed_with_its_reason(app, client):
    app.config.update(EXPORT_LEASE_SECONDS=10, EXPORT_MAX_ATTEMPTS=2, HUEY_IMMEDIATE=False)
    with app.app_context():
        world = signed_world(app, candidates=2)
        panel_id = world.panels[0].id
        chair = world.panels[0].chair.username
    _login(client, chair)
    tokens = [client.post(f"/chair/panels/{panel_id}/report.pdf").headers["Location"]
              .rsplit("/", 1)[1] for _ in range(2)]
    with app.app_context():
        jobs = [db.session.scalar(select(ExportJob).where(ExportJob.token == t))
                for t in tokens]
        for job, attempts in zip(jobs, (1, 2), strict=True):  # "running", heartbeat stopped
            job.status, job.attempts = "running", attempts
            job.heartbeat_at = utcnow() - dt.timedelta(seconds=11)
        db.session.commit()
        retry_id, dead_id = jobs[0].id, jobs[1].id
    app.config.update(HUEY_IMMEDIATE=True)
    app.extensions.pop("scoring_tasks", None)  # the queue runs the retried job at once
    assert sweep(app) == ([retry_id], [dead_id])
    with app.app_context():
        retry, dead = db.session.get(ExportJob, retry_id), db.session.get(ExportJob, dead_id)
        assert (retry.status, retry.attempts) == ("done", 2)
        assert dead.status == "failed" and "2" in dead.error
    progress = client.get(f"/documents/exports/{tokens[1]}/progress").get_json()
    assert progress["status"] == "failed" and progress["error"] and not progress["download_url"]


def test_the_minutes_are_a_job_too_and_their_progress_survives_a_reload(app, client,
                                                                        monkeypatch):
    panel_id, session_id, renders = _queued_as_chair(app, client, monkeypatch, 2)
    url = f"/documents/minutes/{session_id}.pdf?panel={panel_id}&lang=en"
    assert client.get(url).status_code == 405  # no GET that renders, seals and stores
    board = client.get(f"/chair/panels/{panel_id}").get_data(as_text=True)
    assert f'action="/documents/minutes/{session_id}.pdf?panel={panel_id}"' in board
    documents = client.get(f"/documents/session/{session_id}").get_data(as_text=True)
    assert f'action="/documents/minutes/{session_id}.pdf?panel={panel_id}&amp;lang=en"' in documents
    response = client.post(url)
    assert response.status_code == 302, response.data[:300]
    token = re.search(r"/documents/exports/([^/?]+)$", response.headers["Location"]).group(1)
    assert renders == []  # nothing rendered in the request
    _probe_write_lock(app)
    page = client.get(f"/documents/exports/{token}").get_data(as_text=True)  # a reload
    assert "data-export-progress" in page and "<h1 id=\"export-title\">Berita acara (PDF)" in page
    assert client.get(f"/documents/exports/{token}/progress").get_json()["status"] == "queued"

    with app.app_context():  # what the queue's task runs in `scoring worker`
        job_id = db.session.scalar(select(ExportJob.id).where(ExportJob.token == token))
        job = run_job(job_id)
        assert (job.kind, job.status, job.done, job.lang) == ("minutes", "done", 1, "en")
        stored = db.session.scalars(select(Document).where(Document.kind == "minutes")).all()
        assert len(stored) == 1 and stored[0].panel_id == panel_id  # the signed document
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "ExportJob")).all()
        assert actions == ["minutes.start"]
    progress = client.get(f"/documents/exports/{token}/progress").get_json()
    assert progress["status"] == "done"
    with client.get(progress["download_url"]) as pdf:
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf.data == stored[0].pdf
        assert "minutes-en.pdf" in pdf.headers["Content-Disposition"]
    assert re.search(r"Minutes|Berita acara", pdf_text(pdf.data), re.IGNORECASE)
    # another chair may neither ask for this panel's minutes nor follow this job
    other = client.application.test_client()
    _login(other, "chair2")
    assert other.post(url).status_code == 404
    assert other.get(f"/documents/exports/{token}").status_code == 404
