"""The audit chain's head is every writer's lock: it is taken last and held for one append.

Every write (a tablet's draft save, a submission, a declaration, a login) appends an event
to the one hash chain, so on PostgreSQL every writer queues on the head row. Before, the
head was locked where the verb called ``record`` and held through the rest of the verb, the
ORM's flush and the commit (three statements and the Python between them for a draft save).
Now the events wait in the session and are appended just before the commit, after the
flush: on PostgreSQL in one statement, so the head is held for that statement and the
commit, and never while the transaction waits for another lock; on SQLite (one writer at a
time anyway) in three statements on the audit tables.
"""

from __future__ import annotations

from factories import make_world
from sql_log import post_tablet, sql_log, tablet_writes
from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import AuditEvent, AuditHead, User
from scoring.workflow import record
from scoring.workflow.audit import verify_chain

AUDIT_TABLES = ("audit_head", "audit_event")


def _statements_holding_the_head(app, client, aid: int, writes) -> list[list[str]]:
    """Send ``writes``; per transaction that touched the chain's head, return the statements
    from the first one on the head to the commit."""
    with sql_log(app) as log:
        for verb, body in writes:
            post_tablet(client, aid, verb, body)
    held, current = [], None
    for statement in log:
        if statement in ("COMMIT", "ROLLBACK"):
            if current is not None:
                held.append(current)
            current = None
        elif current is not None:
            current.append(statement)
        elif "audit_head" in statement:
            current = [statement]
    return held


def test_a_write_holds_the_chain_s_head_only_for_its_append(app, client, declared_examiner):
    aid, rubric = declared_examiner
    held = _statements_holding_the_head(app, client, aid, tablet_writes(rubric))
    assert len(held) == 3, held  # each request appended once
    with app.app_context():
        dialect = db.engine.dialect.name
    for statements in held:
        assert all(any(t in s for t in AUDIT_TABLES) for s in statements), statements
        if dialect == "postgresql":
            assert len(statements) == 1, statements  # the head, the event: one statement
        else:
            assert len(statements) <= 3, statements
    with app.app_context():
        assert verify_chain().ok
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == \
            db.session.get(AuditHead, 1).last_id


def test_events_recorded_in_a_transaction_are_seen_by_its_own_queries(app):
    """A query on the trail (the login throttle counting failures, a document reading the
    chain's head) sees the events its own transaction recorded; a rollback drops them."""
    with app.app_context():
        make_world()
        admin = db.session.scalars(select(User).order_by(User.id)).first()
        before = db.session.get(AuditHead, 1).last_id
        first = record("test.one", admin, data={"n": 1})
        record("test.two", admin, data={"n": 2})
        head = db.session.get(AuditHead, 1)
        assert head.last_id == before + 2
        assert first.id == before + 1 and first.hash and first.prev_hash
        count = select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.like("test.%"))
        assert db.session.scalar(count) == 2
        db.session.rollback()
        assert db.session.scalar(count) == 0
        assert db.session.get(AuditHead, 1).last_id == before
        record("test.three", admin, data={"n": 3})
        db.session.commit()
        assert db.session.scalar(count) == 1
        assert verify_chain().ok
