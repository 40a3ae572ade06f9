"""A database restart costs the tablets nothing: dead pooled connections are replaced, and a
save or submission whose connection died under it is run again (it is applied once)."""

from __future__ import annotations

import pytest
from factories import PASSWORD, full_state, make_world
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from scoring import workflow
from scoring.extensions import db
from scoring.models import ScoreSheet


def test_a_save_whose_connection_died_is_run_again_and_applied_once(app, client, declared_examiner,
                                                                     monkeypatch):
    aid, rubric = declared_examiner
    real = workflow.save_draft
    calls = []

    def dies_once(*args, **kwargs):
        calls.append(1)
        result = real(*args, **kwargs)
        if len(calls) == 1:  # the write was made, then the server went away
            raise OperationalError("UPDATE score_sheet", {}, Exception("server closed"),
                                   connection_invalidated=True)
        return result

    monkeypatch.setattr(workflow, "save_draft", dies_once)
    saved = client.post(f"/api/examine/{aid}/draft",
                        json={"client_id": "t", "seq": 3, "scores": full_state(rubric, 2)})
    assert saved.status_code == 200 and saved.get_json()["applied"], saved.get_json()
    assert len(calls) == 2
    with app.app_context():
        sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == aid))
        assert sheet.client_seq == 3 and workflow.sheet_state(sheet) == full_state(rubric, 2)


def test_other_database_errors_are_not_retried(app, client, declared_examiner, monkeypatch):
    aid, rubric = declared_examiner
    calls = []

    def fails(*args, **kwargs):
        calls.append(1)
        raise OperationalError("UPDATE score_sheet", {}, Exception("disk full"))

    monkeypatch.setattr(workflow, "save_draft", fails)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = client.post(f"/api/examine/{aid}/draft",
                         json={"client_id": "t", "seq": 3, "scores": full_state(rubric, 2)})
    assert answer.status_code == 500 and len(calls) == 1


def test_pooled_connections_killed_by_a_restart_are_replaced(app, client, declared_examiner):
    """PostgreSQL only: every server connection of the app is ended, as a restart does."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    aid, rubric = declared_examiner
    assert client.get(f"/api/examine/{aid}/state").status_code == 200  # the pool holds one
    killer = create_engine(url, isolation_level="AUTOCOMMIT")
    with killer.connect() as conn:
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    killer.dispose()
    assert ended >= 1
    state = client.get(f"/api/examine/{aid}/state")
    assert state.status_code == 200 and state.get_json()["status"] == "draft"
    saved = client.post(f"/api/examine/{aid}/draft",
                        json={"client_id": "t", "seq": 1, "scores": full_state(rubric, 3)})
    assert saved.status_code == 200 and saved.get_json()["applied"]


def test_a_connection_lost_while_ending_a_request_keeps_its_answer(app, client, declared_examiner,
                                                                  monkeypatch):
    """The answer was made, then the server went away: the rollback at the end fails."""
    from sqlalchemy.orm import Session

    aid, _rubric = declared_examiner
    real = Session.close
    failures = []

    def close_fails_once(self):
        if not failures:
            failures.append(1)
            raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"),
                                   connection_invalidated=True)
        return real(self)

    monkeypatch.setattr(Session, "close", close_fails_once)
    state = client.get(f"/api/examine/{aid}/state")
    assert state.status_code == 200 and failures == [1]
    with app.app_context():
        assert db.engine.pool.checkedout() == 0  # no connection left in its transaction
    assert client.get(f"/api/examine/{aid}/state").status_code == 200


def test_the_login_is_looked_up_again_when_its_connection_died(app, client, declared_examiner,
                                                               monkeypatch):
    """The cookie's login is read before any view (a before_request hook)."""
    from scoring.workflow import logins

    aid, _rubric = declared_examiner
    real = logins.load_login
    calls = []

    def dies_once(token):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT login_session", {}, Exception("terminating"),
                                   connection_invalidated=True)
        return real(token)

    monkeypatch.setattr("scoring.web.load_login", dies_once)
    assert client.get(f"/api/examine/{aid}/state").status_code == 200 and len(calls) == 2


def test_a_declaration_whose_connection_died_is_made_once(app, client, monkeypatch):
    """The declaration form posted while the database restarts: made again, recorded once."""
    from scoring.models import AuditEvent

    with app.app_context():
        world = make_world()
        aid = world.assignments[0][0].id
    client.post("/auth/login", data={"username": "ex11", "password": PASSWORD})
    real = workflow.declare_conflict
    calls = []

    def dies_once(*args, **kwargs):
        calls.append(1)
        result = real(*args, **kwargs)
        if len(calls) == 1:
            raise OperationalError("INSERT INTO audit_event", {}, Exception("terminating"),
                                   connection_invalidated=True)
        return result

    monkeypatch.setattr(workflow, "declare_conflict", dies_once)
    answer = client.post(f"/examine/{aid}/declare", data={"relationship": "none"})
    assert answer.status_code == 302 and len(calls) == 2
    with app.app_context():
        declared = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("%declar%"))).all()
        assert len(declared) == 1, declared
