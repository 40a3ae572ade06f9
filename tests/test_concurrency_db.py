"""Concurrent read-then-write transactions lose nothing (SQLite: BEGIN IMMEDIATE; PG: row lock).

Every audit append reads the chain's head and writes the next event: the worst case of
read-then-write. Threads append at once; the chain must be complete and verify.
"""

import threading

from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import AuditEvent
from scoring.workflow import record, verify_chain

THREADS, EACH = 8, 15


def test_concurrent_appends_lose_nothing(app):
    errors = []
    barrier = threading.Barrier(THREADS)

    def work(n):
        with app.app_context():
            barrier.wait()
            for i in range(EACH):
                try:
                    record("test.append", None, None, {"thread": n, "i": i})
                    db.session.commit()
                except Exception as exc:  # noqa: BLE001 - collected and asserted below
                    db.session.rollback()
                    errors.append(repr(exc))
            db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == THREADS * EACH
        check = verify_chain()
        assert check.ok, check.problem
