"""SQLite writers queue at the gate before BEGIN IMMEDIATE, and it is always given back.

The gate (``scoring.database.WriterGate``) only orders writers; SQLite's lock still decides.
It must be released whatever ends the transaction (commit, rollback, an error, the pool's
reset), or every later writer would wait out the busy timeout.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from sqlalchemy import func, select, text

from scoring.database import WriterGate, read_only
from scoring.extensions import db
from scoring.models import AuditEvent
from scoring.workflow import record


@pytest.fixture
def sqlite_app(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's writer gate")
    return app


def _gate_free(path: str) -> bool:
    """Return whether another process-level holder could take the gate's file lock now."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_the_gate_is_held_for_a_write_transaction_and_given_back(sqlite_app):
    with sqlite_app.app_context():
        gate = db.engine.url.database + "-gate"
        db.session.execute(text("SELECT 1"))  # a writer's transaction (BEGIN IMMEDIATE)
        assert not _gate_free(gate)
        db.session.commit()
        assert _gate_free(gate)
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        assert _gate_free(gate)
        db.session.execute(text("SELECT 1"))
        db.session.remove()  # the pool's reset on return rolls back
        assert _gate_free(gate)
        with read_only():  # a read transaction never takes the gate
            db.session.execute(text("SELECT 1"))
            assert _gate_free(gate)
            db.session.rollback()


def test_concurrent_writers_all_pass_the_gate_in_turn(sqlite_app):
    with sqlite_app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.commit()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with sqlite_app.app_context():
                for i in range(5):
                    record("test.gate", None, None, {"n": n, "i": i})
                    time.sleep(0.002)  # hold the lock a little: the others queue
                    db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 30
        db.session.commit()
        assert _gate_free(db.engine.url.database + "-gate")


def test_a_gate_that_cannot_be_passed_in_time_gives_up(tmp_path):
    gate = WriterGate(str(tmp_path / "db-gate"), timeout=0.2)
    assert gate.acquire()
    other = WriterGate(str(tmp_path / "db-gate"), timeout=0.2)  # another "process"'s gate
    started = time.monotonic()
    assert not other.acquire()  # the caller goes on to SQLite's own busy wait
    assert 0.15 < time.monotonic() - started < 2
    gate.release()
    assert other.acquire()
    other.release()
