"""The audit chain's head is every writer's lock: it is taken last and held for one append.

Every write (a tablet's draft save, a submission, a declaration, a login) appends an event
to the one hash chain, so on PostgreSQL every writer queues on the head row. Before, the
head was locked where the verb called ``record`` and held through the rest of the verb, the
ORM's flush and the commit (three statements and the Python between them for a draft save).
Now the events wait in the session and are appended at the commit, after the flush: on
PostgreSQL by the database itself inside the COMMIT (a deferred trigger on audit_pending), so
the head is held for the COMMIT alone, never across a round trip to the app server nor while
the transaction waits for another lock; on SQLite (one writer at a time anyway) in three
statements on the audit tables just before the COMMIT.
"""

from __future__ import annotations

from factories import make_world
from sql_log import post_tablet, sql_log, tablet_writes
from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import AuditEvent, AuditHead, AuditPending, User
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
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect == "postgresql":
        # The database appends inside the COMMIT: no statement the app sends takes the
        # head, and the events are handed over last, just before the COMMIT.
        with sql_log(app) as log:
            for verb, body in tablet_writes(rubric):
                post_tablet(client, aid, verb, body)
        assert not [s for s in log if "audit_head" in s or "audit_event" in s], log
        handed = [i for i, s in enumerate(log) if s.startswith("INSERT INTO audit_pending")]
        assert len(handed) == 3, log  # each request appended once ...
        assert all(log[i + 1] == "COMMIT" for i in handed), log  # ... as its last statement
    else:
        held = _statements_holding_the_head(app, client, aid, tablet_writes(rubric))
        assert len(held) == 3, held  # each request appended once
        for statements in held:
            assert all(any(t in s for t in AUDIT_TABLES) for s in statements), statements
            assert len(statements) <= 3, statements
    with app.app_context():
        assert verify_chain().ok
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == \
            db.session.get(AuditHead, 1).last_id
        assert db.session.scalar(select(func.count()).select_from(AuditPending)) == 0


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


def test_a_transaction_about_to_commit_leaves_the_head_free(app):
    """On PostgreSQL the events are numbered and hashed inside COMMIT, so a transaction that
    has sent everything but its COMMIT (and waits for its app server's thread to send it)
    holds no lock on the chain's head: every other writer goes on meanwhile."""
    from sqlalchemy import text

    from scoring.workflow.audit import append_pending

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            import pytest

            pytest.skip("SQLite serialises every writer with BEGIN IMMEDIATE")
        make_world()
        db.session.commit()
        admin = db.session.scalars(select(User).order_by(User.id)).first()
        before = db.session.get(AuditHead, 1).last_id
        db.session.commit()
        record("test.waiting", admin, data={"n": 1})
        db.session.flush()
        append_pending(db.session)  # what before_commit does, short of the COMMIT itself
        with db.engine.connect() as other:
            other.execute(text("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE NOWAIT"))
            other.rollback()
        db.session.commit()
        assert db.session.get(AuditHead, 1).last_id == before + 1
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "test.waiting" and event.id == before + 1
        assert verify_chain().ok


def test_the_database_hashes_the_same_text_as_verify(app):
    """Events appended inside the COMMIT (PostgreSQL) and at once (a transaction that reads
    the trail) hash to what ``scoring audit verify`` recomputes in Python, whatever their
    text holds: quotes, backslashes, newlines, non-Latin script, emoji."""
    with app.app_context():
        make_world()
        db.session.commit()
        admin = db.session.scalars(select(User).order_by(User.id)).first()
        texts = ['Nilai "baik" \\ catatan\nbaris dua', "Penguji — ñ, ß, 漢字, ١٢٣", "🙂\t\u2028"]
        for note in texts:
            record("test.text", admin, data={"note": note, "n": None})
        db.session.commit()  # appended inside the COMMIT on PostgreSQL
        record("test.text", admin, data={"note": texts[1]}, actor_name="x")
        db.session.scalar(select(func.count()).select_from(AuditEvent))  # appended at once
        record("test.text", admin, data={"note": texts[2]})  # joins inside the COMMIT
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "test.text")) == 5
        assert verify_chain().ok
