"""Shadow examiners: they score like everyone else and count nowhere.

The decisive test builds one world with a shadow beside Panel 1 (declared, submitted, one
draft, one recusal), snapshots every export, report, document context, quorum tally and
visibility decision, removes the shadow's rows, and snapshots again: both must be equal.
"""

from __future__ import annotations

import json
import re

import pytest
from doc_helpers import levels_for, signed_world
from factories import PASSWORD
from sqlalchemy import delete, select

from scoring.chair.agreement_report import session_report
from scoring.documents.context import minutes_context, recap_context, sheet_context
from scoring.extensions import db
from scoring.models import (
    InterviewSession,
    Panel,
    ScoreSheet,
    ShadowSeat,
    ShadowSheet,
    User,
)
from scoring.rules.results import public_rows
from scoring.rules.visibility import ADMIN, decisions
from scoring.workflow import (
    WorkflowError,
    close_candidate,
    create_user,
    open_discussion,
    panel_quorum,
)
from scoring.workflow import shadow as verbs
from scoring.workflow.discussion import tally


@pytest.fixture
def shadowed(app):
    """Panel 1 fully scored; a trainee shadows it; candidate 1 closed, candidate 2 discussed."""
    with app.app_context():
        world = signed_world(app, candidates=4)
        trainee = create_user("trainee", "Trainee Examiner", "examiner", PASSWORD)
        panel = world.panels[0]
        verbs.attach_shadow(panel, trainee, actor=world.admin)
        a = world.assignments[0]
        for i, assignment in enumerate(a[:3]):
            verbs.declare_shadow_conflict(assignment, trainee, "none")
            state = levels_for(world.rubric, i + 2)
            if i < 2:
                verbs.submit_shadow_sheet(assignment, trainee, state, 1)
            else:
                verbs.save_shadow_draft(assignment, trainee, state, 1)
        verbs.declare_shadow_conflict(a[3], trainee, "family")
        chair = world.examiners[0][0]
        open_discussion(a[0], chair)
        close_candidate(a[0], chair)
        open_discussion(a[1], chair)
        db.session.commit()
    return app


def _snapshot(app) -> dict:
    out = {}
    with app.app_context():
        session = db.session.scalar(select(InterviewSession))
        panels = list(session.panels)
        out["report"] = session_report(session)
        out["public"] = public_rows(session)
        out["decisions"] = {k: repr(v) for k, v in decisions(ADMIN, session_id=session.id).items()}
        out["minutes"] = minutes_context(session)
        for p in panels:
            out[f"minutes {p.id}"] = minutes_context(session, p)
            required = {m.user_id for m in p.members if m.required}
            for a in p.assignments:
                statuses = {s.examiner_id: s.status for s in a.sheets}
                out[f"tally {a.id}"] = repr(tally(required, statuses, panel_quorum(p)))
                out[f"recap {a.id}"] = recap_context(a)
        for sheet in db.session.scalars(select(ScoreSheet).order_by(ScoreSheet.id)):
            out[f"sheet {sheet.id}"] = sheet_context(sheet)
        db.session.rollback()
    runner = app.test_cli_runner()
    for args in (["export", "results", "--session", "S1"], ["export", "scores", "--session", "S1"],
                 ["report", "--session", "S1", "--json"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        out[" ".join(args)] = result.output
    client = app.test_client()
    client.post("/auth/login", data={"username": "chair1", "password": PASSWORD})
    with app.app_context():
        pid = db.session.scalar(select(Panel.id).where(Panel.name == "Panel 1"))
        aids = [a.id for a in db.session.get(Panel, pid).assignments]
    urls = [f"/chair/panels/{pid}/state", f"/chair/panels/{pid}/scores.csv",
            f"/chair/panels/{pid}/results.csv", f"/chair/panels/{pid}/report",
            f"/chair/panels/{pid}"] + [f"/chair/candidates/{a}" for a in aids]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        out[url] = re.sub(r'name="csrf[-_]token"[^>]*>', "", body)
    return out


def test_shadow_sheets_change_no_export_report_document_quorum_or_statistic(shadowed):
    with_shadow = _snapshot(shadowed)
    with shadowed.app_context():
        assert db.session.query(ShadowSheet).count() == 4
        db.session.execute(delete(ShadowSheet))
        db.session.execute(delete(ShadowSeat))
        db.session.commit()
    without = _snapshot(shadowed)
    assert with_shadow.keys() == without.keys()
    for key in with_shadow:
        assert with_shadow[key] == without[key], key
    assert "trainee" not in json.dumps(with_shadow, default=str)


def test_shadow_is_not_a_member_and_cannot_be_one(shadowed):
    with shadowed.app_context():
        panel = db.session.scalar(select(Panel).where(Panel.name == "Panel 1"))
        assert "trainee" not in [m.user.username for m in panel.members]
        with pytest.raises(WorkflowError):
            verbs.attach_shadow(panel, panel.members[1].user)
        trainee = db.session.scalar(select(User).where(User.username == "trainee"))
        closed = panel.assignments[0]
        with pytest.raises(WorkflowError):  # no scoring after the close
            verbs.save_shadow_draft(closed, trainee, {}, 5)


def test_shadow_sees_the_comparison_only_after_close(shadowed):
    client = shadowed.test_client()
    client.post("/auth/login", data={"username": "trainee", "password": PASSWORD})
    with shadowed.app_context():
        a = [x.id for x in db.session.scalar(select(Panel).where(Panel.name == "Panel 1"))
             .assignments]
    closed = client.get(f"/shadow/{a[0]}").get_data(as_text=True)
    assert "Tingkat Anda dibandingkan tingkat akhir panel" in closed
    waiting = client.get(f"/shadow/{a[1]}").get_data(as_text=True)
    assert 'id="shadow-waiting"' in waiting and "comparison" not in waiting
    draft = client.get(f"/shadow/{a[2]}").get_data(as_text=True)
    assert 'data-mode="direct"' in draft and "Pendamping" in draft
    assert f'data-draft-url="/shadow/{a[2]}/draft"' in draft
    assert 'id="outbox-data"' not in draft and "offline.js" not in draft
    index = client.get("/shadow/").get_data(as_text=True)
    assert "Panel 1" in index
    # not the trainee's panel: nothing
    assert client.get(f"/shadow/{a[0] + 100}").status_code == 404
    # a real examiner's queue and the real API know nothing of the shadow
    assert client.get(f"/examine/{a[2]}").status_code == 404


def test_chair_sees_the_shadows_agreement(shadowed):
    with shadowed.app_context():
        panel = db.session.scalar(select(Panel).where(Panel.name == "Panel 1"))
        other = db.session.scalar(select(Panel).where(Panel.name == "Panel 2"))
        pid, oid = panel.id, other.id
    client = shadowed.test_client()
    client.post("/auth/login", data={"username": "chair1", "password": PASSWORD})
    page = client.get(f"/shadow/panels/{pid}").get_data(as_text=True)
    assert "trainee" in page and "%" in page
    assert client.get(f"/shadow/panels/{oid}").status_code == 403
    assert client.post(f"/shadow/panels/{pid}", data={"user_id": 1}).status_code == 403


def test_admin_seats_a_shadow_from_the_panel_page(shadowed):
    client = shadowed.test_client()
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    with shadowed.app_context():
        other = db.session.scalar(select(Panel).where(Panel.name == "Panel 2"))
        trainee = db.session.scalar(select(User).where(User.username == "trainee"))
        pid, uid = other.id, trainee.id
    assert client.post(f"/shadow/panels/{pid}", data={"user_id": uid}).status_code == 302
    with shadowed.app_context():
        assert db.session.query(ShadowSeat).filter_by(panel_id=pid).count() == 1
