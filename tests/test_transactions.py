"""SQLite lets readers read: deferred reads beside a writer, short write transactions.

A read-only request (GET) opens a deferred transaction and reads a WAL snapshot while another
connection holds the write lock; a writing request still takes the lock at BEGIN
(``BEGIN IMMEDIATE``), and a document issued on a GET is rendered and sealed before its one
short write transaction. A tablet's hot paths (``database.writes_at_end``) read their login and
look-ups deferred and hold the lock only while the verb runs.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from doc_helpers import signed_world
from factories import PASSWORD, full_state, make_world
from sql_log import post_tablet, sql_log, tablet_writes
from sqlalchemy import func, select

from scoring.database import read_only, write_transaction
from scoring.extensions import db
from scoring.models import Assignment, AuditEvent, Document
from scoring.workflow import record


def _sqlite_path(app) -> str:
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL readers never wait for writers")
    return url.database


def _hold_write_lock(path: str) -> sqlite3.Connection:
    """Open another connection that holds SQLite's write lock until it is rolled back."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def _login(client, username: str) -> None:
    client.post("/auth/login", data={"username": username, "password": PASSWORD})


def test_a_read_proceeds_while_another_connection_holds_the_write_lock(app, client):
    with app.app_context():
        world = make_world()
        panel_id = world.panels[0].id
        path = _sqlite_path(app)
    _login(client, "chair1")
    other = _hold_write_lock(path)
    try:
        started = time.monotonic()
        board = client.get(f"/chair/panels/{panel_id}/state")
        page = client.get(f"/chair/panels/{panel_id}")
        health = client.get("/healthz")
        elapsed = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
    assert (board.status_code, page.status_code, health.status_code) == (200, 200, 200)
    assert board.is_json
    assert elapsed < 2.0  # before: each waited the 5 s busy_timeout, then "database is locked"


@pytest.fixture
def declared(app, declared_examiner):
    """Log ex11 in, declared for a candidate; return (assignment id, rubric, database path)."""
    with app.app_context():
        path = _sqlite_path(app)
    return (*declared_examiner, path)


def _post_while_a_writer_holds_the_lock(client, db_path: str, url: str, body: dict):
    """POST ``body`` while another connection holds the write lock for 0.6 s; return the
    answer and how long it took."""
    other = _hold_write_lock(db_path)
    release = threading.Timer(0.6, other.rollback)
    release.start()
    started = time.monotonic()
    response = client.post(url, headers={"Accept": "application/json"}, json=body)
    waited = time.monotonic() - started
    release.join()
    other.close()
    return response, waited


def test_a_writing_request_takes_the_write_lock_before_it_reads(client, declared):
    aid, rubric, path = declared
    response, waited = _post_while_a_writer_holds_the_lock(
        client, path, f"/api/examine/{aid}/draft",
        {"client_id": "t", "seq": 1, "scores": full_state(rubric, 3)})
    assert response.status_code == 200, response.get_json()
    assert waited >= 0.5  # it waited for the lock, at BEGIN, instead of reading a stale snapshot


@pytest.mark.parametrize("path", ["/api/examine/{aid}/draft", "/api/offline/{aid}/draft"])
def test_a_tablet_s_save_reads_beside_a_writer_and_locks_only_for_the_verb(
        app, client, declared, monkeypatch, path):
    import scoring.examine.queries as examining
    import scoring.workflow.sheets as sheets

    aid, rubric, db_path = declared
    locked = {}

    def probe(label):
        other = sqlite3.connect(db_path, isolation_level=None, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            locked[label] = False
        except sqlite3.OperationalError:
            locked[label] = True
        finally:
            other.close()

    def spy(module, name, label):
        real = getattr(module, name)

        def wrapped(*args, **kwargs):
            probe(label)
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapped)

    spy(examining, "member_assignment", "look-up")
    spy(sheets, "_sheet_for_writing", "verb")  # the online and the outbox verbs both call it
    response = client.post(path.format(aid=aid), headers={"Accept": "application/json"}, json={
        "client_id": "t", "seq": 1, "scores": full_state(rubric, 3)})
    assert response.status_code == 200, response.get_json()
    assert locked == {"look-up": False, "verb": True}
    again, waited = _post_while_a_writer_holds_the_lock(  # the save waits for the writer
        client, db_path, path.format(aid=aid),
        {"client_id": "t", "seq": 2, "scores": full_state(rubric, 2)})
    assert again.status_code == 200 and waited >= 0.5
    with app.app_context():
        sheet = db.session.get(Assignment, aid).sheets[0]
        assert sheet.client_seq == 2  # applied after the other writer, under the lock


def test_write_transaction_holds_the_lock_for_the_block_only(app):
    with app.app_context():
        make_world()
        path = _sqlite_path(app)
        probe = sqlite3.connect(path, isolation_level=None, timeout=0)
        with read_only():
            before = db.session.scalar(select(func.count()).select_from(AuditEvent))
            probe.execute("BEGIN IMMEDIATE")  # a read transaction leaves the lock free
            probe.execute("ROLLBACK")
            with write_transaction():
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    probe.execute("BEGIN IMMEDIATE")
                record("test.write", None, None, {"n": 1})
            probe.execute("BEGIN IMMEDIATE")  # committed and released at the end
            probe.execute("ROLLBACK")
            after = db.session.scalar(select(func.count()).select_from(AuditEvent))
        probe.close()
        assert after == before + 1


def test_write_transaction_refuses_changes_made_before_it(app):
    with app.app_context():
        world = make_world()
        with read_only():
            assignment = db.session.get(Assignment, world.assignments[0][0].id)
            assignment.position = 77
            with pytest.raises(RuntimeError, match="unsaved changes"), write_transaction():
                pass
            db.session.rollback()


def test_a_document_issued_on_a_get_is_stored_in_one_short_write(app, client, monkeypatch):
    """The render and seal run without the write lock; the store holds it briefly."""
    with app.app_context():
        world = signed_world(app, candidates=1)
        sheet_id = world.assignments[0][0].sheets[0].id
        path = _sqlite_path(app)
    import scoring.workflow.documents as documents

    real_seal = documents.seal
    locked_while_sealing = []

    def spying_seal(job, key):
        probe = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            locked_while_sealing.append(False)
        except sqlite3.OperationalError:
            locked_while_sealing.append(True)
        finally:
            probe.close()
        return real_seal(job, key)

    monkeypatch.setattr(documents, "seal", spying_seal)
    _login(client, "chair1")
    response = client.get(f"/documents/sheet/{sheet_id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert locked_while_sealing == [False]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_a_tablet_s_save_and_submit_hold_the_write_lock_for_a_few_statements(
        app, client, declared):
    """Every statement under SQLite's write lock makes every other tablet wait: the verb reads
    what it checks in three statements (the assignment with its panel, members, session and
    candidate; the sheet; its scores) and sends the changed scores as one executemany.
    Before: 13 statements for a save that changed every score, 16 for this submission."""
    aid, rubric, _path = declared

    def under_lock(log: list[str]) -> list[str]:
        begun = max(i for i, s in enumerate(log) if s.startswith("BEGIN IMMEDIATE"))
        return [s[:60] for s in log[begun:] if s not in ("COMMIT", "ROLLBACK")]

    sent = []
    for verb, body in tablet_writes(rubric):
        with sql_log(app) as log:
            post_tablet(client, aid, verb, body)
        sent.append(under_lock(log))
    _first, resave, submit = sent
    assert sum(s.startswith("UPDATE score ") for s in resave) == 1, resave  # one executemany
    assert len(resave) <= 10, resave
    assert len(submit) <= 10, submit
