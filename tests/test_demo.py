"""``scoring demo``: the classic demo unchanged by default; ``--panels``/``--candidates-per-panel``
make a load-sized one of the same shape."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import (
    Assignment,
    Candidate,
    InterviewSession,
    Panel,
    Score,
    ScoreSheet,
    User,
)
from scoring.ops.demo import DEMO_CODE, load_demo

# The fingerprint of the classic demo's candidates, assignments and scores, taken from the
# code before `--panels` existed (same seed, same data).
CLASSIC = "5df37d58edfcc6b16f5567a0fb2bff772df21d6a390014f39c03f915346ee090"


def _classic():
    """Select the classic demo session's id (issue 16 adds a published session beside it)."""
    return select(InterviewSession.id).where(InterviewSession.code == DEMO_CODE) \
        .scalar_subquery()


def fingerprint() -> str:
    """Return a hash of every candidate, assignment, sheet and score of the demo session."""
    digest = hashlib.sha256()
    queries = [
        select(Candidate.participant_number, Candidate.name, Candidate.nik,
               Candidate.position_applied)
        .join(Assignment, Assignment.candidate_id == Candidate.id)
        .where(Assignment.session_id == _classic()).order_by(Candidate.id),
        select(Assignment.panel_id, Assignment.position, Assignment.candidate_id)
        .where(Assignment.session_id == _classic()).order_by(Assignment.id),
        select(User.username, ScoreSheet.status, Candidate.participant_number,
               Score.criterion_code, Score.level, Score.note)
        .join(ScoreSheet, ScoreSheet.id == Score.sheet_id)
        .join(User, User.id == ScoreSheet.examiner_id)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .where(Assignment.session_id == _classic())
        .order_by(Candidate.participant_number, User.username, Score.criterion_code),
        select(ScoreSheet.status, ScoreSheet.assignment_id, ScoreSheet.examiner_id)
        .where(ScoreSheet.session_id == _classic()).order_by(ScoreSheet.id),
    ]
    for query in queries:
        # Sorted here, not by the database, whose collation may differ (SQLite, PostgreSQL).
        for row in sorted(repr(tuple(row)) for row in db.session.execute(query)):
            digest.update(row.encode())
    return digest.hexdigest()


def test_the_default_demo_is_the_classic_demo(app):
    with app.app_context():
        load_demo(dt.date(2025, 11, 28))
        db.session.commit()
        assert fingerprint() == CLASSIC


def test_a_load_sized_demo_has_the_asked_panels_and_candidates(app, runner):
    assert runner.invoke(args=["init"]).exit_code == 0
    result = runner.invoke(args=["demo", "--panels", "5", "--candidates-per-panel", "4"])
    assert result.exit_code == 0, result.output
    assert "5 panels of 4 examiners, 20 candidates" in result.output
    lines = result.output.splitlines()
    assert any(line.split()[:3] == ["ketua5", "ketua5-demo", "chair"] for line in lines)
    assert any(line.split()[:3] == ["penguji15", "penguji15-demo", "examiner"] for line in lines)
    assert not any(line.strip().startswith("ketua6") for line in lines)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Panel).where(
            Panel.session_id == _classic())) == 5
        assert db.session.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.session_id == _classic())) == 20
        per_panel = db.session.execute(select(Assignment.panel_id, func.count())
                                       .where(Assignment.session_id == _classic())
                                       .group_by(Assignment.panel_id)).all()
        assert sorted(n for _, n in per_panel) == [4] * 5
        # 3 of 4 interviewed per panel; one member still writing on the last of them
        submitted = db.session.scalar(select(func.count()).select_from(ScoreSheet).where(
            ScoreSheet.status == "submitted", ScoreSheet.session_id == _classic()))
        assert submitted == 5 * (3 * 4 - 1 - 1)
    again = runner.invoke(args=["demo"])
    assert "already loaded" in again.output and "ketua5" in again.output
    check = runner.invoke(args=["audit", "verify", "--json"])
    assert json.loads(check.output)["ok"] is True


def test_demo_refuses_zero_panels(runner):
    result = runner.invoke(args=["demo", "--panels", "0"])
    assert result.exit_code == 2 and "--panels" in result.output


def test_demo_issues_codes_prints_two_candidate_logins_and_has_objections(app, runner):
    """Issue 16: codes for every candidate, two candidate logins that work, one objection
    answered and one pending in a published session."""
    from scoring.candidates.demo import PUBLISHED_CODE
    from scoring.models import CandidateCode, Objection
    from scoring.rules.visibility import session_public

    assert runner.invoke(args=["init"]).exit_code == 0
    result = runner.invoke(args=["demo", "--panels", "2", "--candidates-per-panel", "3"])
    assert result.exit_code == 0, result.output
    logins = [line.split()[:3] for line in result.output.splitlines()
              if line.strip().endswith(("objection answered", "objection pending"))]
    assert len(logins) == 2 and all(role == "candidate" for _, _, role in logins)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CandidateCode)) == 6 + 8
        published = db.session.scalar(select(InterviewSession).where(
            InterviewSession.code == PUBLISHED_CODE))
        assert session_public(published)
        assert sorted(o.status for o in db.session.scalars(select(Objection))) == \
            ["assigned", "rejected"]
    client = app.test_client()
    for number, code, _ in logins:
        response = client.post("/hasil", data={"participant_number": number, "code": code})
        assert response.status_code == 302, number
        assert client.get("/hasil/saya").status_code == 200
    again = runner.invoke(args=["demo"])
    assert all(f"{n}" in again.output and c in again.output for n, c, _ in logins)
    check = runner.invoke(args=["audit", "verify", "--json"])
    assert json.loads(check.output)["ok"] is True
