"""Discussion rules: hidden before, visible after (panel members only), pre scores never change."""

from __future__ import annotations

import pytest
from factories import PASSWORD, make_world
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import AuditEvent, Score
from scoring.rules.results import session_results
from scoring.workflow import (
    WorkflowError,
    can_see_colleagues,
    close_candidate,
    declare_conflict,
    open_discussion,
    override_final_score,
    revise_score,
    submit_sheet,
    verify_chain,
)


def _submit(assignment, user, levels: dict):
    declare_conflict(assignment, user, "none")
    state = {code: {"level": lv, "note": "Evidence." if lv in (1, 5) else ""}
             for code, lv in levels.items()}
    submit_sheet(assignment, user, client_id=f"t-{user.id}", seq=1, scores=state)


@pytest.fixture
def world(app):
    with app.app_context():
        w = make_world(candidates_per_panel=2)
        yield w


def _score_all(w, a, rows):
    for user, levels in zip(w.examiners[0], rows, strict=True):
        _submit(a, user, dict(zip(w.rubric.codes, levels, strict=True)))
    db.session.commit()


def test_discussion_needs_every_required_sheet(world):
    w = world
    a = w.assignments[0][0]
    chair, ex1, ex2 = w.examiners[0]
    _submit(a, chair, dict.fromkeys(w.rubric.codes, 3))
    _submit(a, ex1, dict.fromkeys(w.rubric.codes, 3))
    db.session.commit()
    with pytest.raises(WorkflowError) as err:
        open_discussion(a, chair)
    assert err.value.code == "sheets_outstanding"
    with pytest.raises(WorkflowError) as err:
        close_candidate(a, chair)
    assert err.value.code == "sheets_outstanding"


def test_only_the_panel_chair_opens_and_closes(world):
    w = world
    a = w.assignments[0][0]
    _score_all(w, a, [[3, 3, 3]] * 3)
    other_chair = w.examiners[1][0]
    for verb in (open_discussion, close_candidate):
        with pytest.raises(WorkflowError) as err:
            verb(a, other_chair)
        assert err.value.status == 404
    with pytest.raises(WorkflowError):
        open_discussion(a, w.examiners[0][1])  # an examiner of the panel


def test_scores_hidden_before_discussion_visible_after_for_members_only(world):
    w = world
    a = w.assignments[0][0]
    chair, ex1, ex2 = w.examiners[0]
    outsider = w.examiners[1][1]
    _score_all(w, a, [[3, 3, 3], [5, 3, 3], [2, 3, 3]])
    assert not can_see_colleagues(a, ex1)
    assert not can_see_colleagues(a, ex2)
    assert can_see_colleagues(a, chair)  # the chair, own sheet submitted, may always look
    open_discussion(a, chair)
    db.session.commit()
    assert a.status == "discussion" and a.discussion_opened_at is not None
    assert can_see_colleagues(a, ex1) and can_see_colleagues(a, ex2)
    assert not can_see_colleagues(a, outsider)  # not on this panel
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "assignment.open_discussion")).one()
    assert '"SERVICE":3' in event.data  # the discrepancy that triggered it is recorded


def test_revision_keeps_the_pre_score_and_needs_a_reason(world):
    w = world
    a = w.assignments[0][0]
    chair, ex1, ex2 = w.examiners[0]
    _score_all(w, a, [[3, 3, 3], [5, 3, 3], [2, 3, 3]])
    with pytest.raises(WorkflowError) as err:
        revise_score(a, ex1, "SERVICE", 4, "Discussed.")
    assert err.value.code == "not_in_discussion"
    open_discussion(a, chair)
    for reason in ("", "   ", None):
        with pytest.raises(WorkflowError) as err:
            revise_score(a, ex1, "SERVICE", 4, reason)
        assert err.value.code == "reason_required"
    with pytest.raises(WorkflowError) as err:
        revise_score(a, ex1, "SERVICE", 5, "Same as before.")
    assert err.value.code == "no_change"
    with pytest.raises(WorkflowError):
        revise_score(a, ex1, "SERVICE", 9, "Off the scale.")
    with pytest.raises(WorkflowError) as err:
        revise_score(a, w.examiners[1][1], "SERVICE", 4, "Not my panel.")
    assert err.value.status == 404
    revise_score(a, ex1, "SERVICE", 4, "The candidate's example was about a team, not the public.")
    revise_score(a, ex1, "SERVICE", 3, "On reflection, the example was second-hand.")
    db.session.commit()
    scores = db.session.scalars(select(Score).where(Score.criterion_code == "SERVICE")
                                .order_by(Score.id)).all()
    pre = {s.sheet.examiner.username: s.level for s in scores if s.phase == "pre"}
    post = [(s.sheet.examiner.username, s.level, s.reason) for s in scores if s.phase == "post"]
    assert pre == {"chair1": 3, "ex11": 5, "ex12": 2}  # never changed
    assert post == [("ex11", 3, "On reflection, the example was second-hand.")]
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action == "score.revise")).all()
    assert len(actions) == 2
    assert verify_chain().ok


def test_close_uses_the_formula_on_revised_scores_and_override_needs_a_reason(world):
    w = world
    a = w.assignments[0][0]
    chair, ex1, ex2 = w.examiners[0]
    _score_all(w, a, [[3, 3, 3], [5, 3, 3], [2, 3, 3]])
    with pytest.raises(WorkflowError) as err:
        close_candidate(a, chair)
    assert err.value.code == "discussion_required"  # a discrepancy must be discussed first
    open_discussion(a, chair)
    revise_score(a, ex1, "SERVICE", 4, "Weighed the evidence again.")
    close_candidate(a, chair)
    db.session.commit()
    expected = w.rubric.final_score({1: {"SERVICE": 3, "TEAM": 3, "COMMUNICATION": 3},
                                     2: {"SERVICE": 4, "TEAM": 3, "COMMUNICATION": 3},
                                     3: {"SERVICE": 2, "TEAM": 3, "COMMUNICATION": 3}})
    assert a.status == "closed" and a.final_score == expected and a.closed_by_id == chair.id
    with pytest.raises(WorkflowError):
        revise_score(a, ex2, "SERVICE", 3, "Too late.")
    with pytest.raises(WorkflowError) as err:
        override_final_score(a, chair, 4.0, "")
    assert err.value.code == "reason_required"
    with pytest.raises(WorkflowError) as err:
        override_final_score(a, chair, 7.0, "Off the scale.")
    assert err.value.code == "bad_score"
    override_final_score(a, chair, 3.5, "Appeal upheld: the recording shows a stronger answer.")
    db.session.commit()
    row = next(r for r in session_results(w.session) if r.participant_number == "P1-001")
    assert row.overridden and row.final_score == 3.5 and row.computed_score == expected
    assert row.override_reason.startswith("Appeal upheld")
    assert a.override_by_id == chair.id


def test_a_candidate_without_discrepancy_closes_directly(world):
    w = world
    a = w.assignments[0][1]
    _score_all(w, a, [[3, 4, 3], [4, 4, 3], [3, 3, 3]])
    close_candidate(a, w.examiners[0][0])
    db.session.commit()
    assert a.status == "closed" and a.final_score is not None


# --- the same rules through the web pages -------------------------------------------------

def _login(client, username):
    return client.post("/auth/login", data={"username": username, "password": PASSWORD})


def test_discussion_page_for_members_only_after_opening(app, client):
    with app.app_context():
        w = make_world(candidates_per_panel=1)
        a = w.assignments[0][0]
        _score_all(w, a, [[3, 3, 3], [5, 3, 3], [2, 3, 3]])
        aid = a.id
    _login(client, "ex11")
    assert client.get(f"/discussion/{aid}").status_code == 403
    page = client.get(f"/chair/candidates/{aid}")
    assert page.status_code == 403  # an examiner is not a chair
    client.post("/auth/logout")
    _login(client, "chair1")
    page = client.get(f"/chair/candidates/{aid}").get_data(as_text=True)
    assert "SERVICE" in page and "⚑" in page
    assert client.post(f"/chair/candidates/{aid}/discussion").status_code == 302
    client.post("/auth/logout")
    _login(client, "ex21")  # another panel's examiner
    assert client.get(f"/discussion/{aid}").status_code == 404
    client.post("/auth/logout")
    _login(client, "ex11")
    page = client.get(f"/discussion/{aid}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Examiner 12" in html and "criterion" in html
    response = client.post(f"/discussion/{aid}", data={"criterion": "SERVICE", "level": "4",
                                                      "reason": "Heard the others' evidence."})
    assert response.status_code == 302
    assert "→" in client.get(f"/discussion/{aid}").get_data(as_text=True)
    with app.app_context():
        levels = sorted((s.phase, s.level) for s in db.session.scalars(
            select(Score).where(Score.criterion_code == "SERVICE")))
        assert levels == [("post", 4), ("pre", 2), ("pre", 3), ("pre", 5)]
