"""The audit trail is a hash chain; `scoring audit verify` names the first broken event."""

import json

import pytest
from factories import audit_guard_off, make_world
from sqlalchemy import text

from scoring.extensions import db
from scoring.workflow import verify_chain


def _without_guard(sql: str) -> None:
    """Tamper as an attacker with database access would: drop the guard, change, restore."""
    with audit_guard_off():
        db.session.execute(text(sql))
        db.session.commit()


def test_chain_is_intact_after_normal_work(app, runner):
    with app.app_context():
        make_world()
        check = verify_chain()
        assert check.ok and check.events > 10
    result = runner.invoke(args=["audit", "verify", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True


def test_edited_event_is_named(app, runner):
    with app.app_context():
        make_world()
        _without_guard("UPDATE audit_event SET data = data || ' ' WHERE id = 5")
        check = verify_chain()
        assert not check.ok and check.first_bad_id == 5 and "edited" in check.problem
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "event 5" in result.output


def test_deleted_event_is_named(app):
    with app.app_context():
        make_world()
        _without_guard("DELETE FROM audit_event WHERE id = 7")
        check = verify_chain()
        assert not check.ok and check.first_bad_id == 7


def test_deleted_tail_is_detected(app):
    with app.app_context():
        make_world()
        last = db.session.execute(text("SELECT max(id) FROM audit_event")).scalar()
        _without_guard(f"DELETE FROM audit_event WHERE id = {last}")
        check = verify_chain()
        assert not check.ok and check.first_bad_id == last


def test_reordered_events_are_detected(app):
    with app.app_context():
        make_world()
        _without_guard("UPDATE audit_event SET id = -3 WHERE id = 3")
        _without_guard("UPDATE audit_event SET id = 3 WHERE id = 4")
        _without_guard("UPDATE audit_event SET id = 4 WHERE id = -3")
        check = verify_chain()
        assert not check.ok and check.first_bad_id == 3


def test_a_tampering_test_leaves_the_guard_on(app):
    # The PostgreSQL test database is truncated between tests, not copied: a guard left off
    # here made a later test of the guard fail, depending on the order the tests ran in.
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite: each test has its own copy of the database")
        make_world()
        _without_guard("UPDATE audit_event SET data = data || ' ' WHERE id = 5")
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("UPDATE audit_event SET action = 'x' WHERE id = 1"))
            db.session.commit()
        db.session.rollback()
