"""The offline day: the pre-load manifest and the outbox's exactly-once JSON endpoints."""

from __future__ import annotations

import re

import pytest
from factories import PASSWORD, full_state, make_world
from live_server import jakarta_today
from sqlalchemy import func, select
from test_access_examine import PNG

from scoring.extensions import db
from scoring.models import Assignment, AuditEvent, ConflictDeclaration, ScoreSheet, User
from scoring.workflow import declare_conflict, save_draft, sheet_state, submit_sheet
from scoring.workflow.finality import mark_candidate


@pytest.fixture
def world(app):
    with app.app_context():
        world = make_world(candidates_per_panel=3)
        world.session.held_on = jakarta_today()
        db.session.commit()
        world.ids = [a.id for a in world.assignments[0]]
        world.other = [a.id for a in world.assignments[1]]
        return world


def _login(auth, username="ex11"):
    assert auth.login(username, PASSWORD).status_code == 302


def _count(app, model, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


def _events(app, action: str) -> int:
    return _count(app, AuditEvent, action=action)


def test_declaration_is_applied_once_and_its_replay_gets_the_same_receipt(app, client, auth,
                                                                          world):
    _login(auth)
    a = world.ids[0]
    body = {"client_id": "d-1", "seq": 1, "relationship": "none", "detail": ""}
    first = client.post(f"/api/offline/{a}/declare", json=body)
    again = client.post(f"/api/offline/{a}/declare", json=body)
    assert first.status_code == again.status_code == 200
    one, two = first.get_json(), again.get_json()
    assert one["status"] == "declared" and one["duplicate"] is False
    assert two["duplicate"] is True
    assert {k: v for k, v in one.items() if k != "duplicate"} == {
        k: v for k, v in two.items() if k != "duplicate"}
    assert one["receipt"].startswith("Diterima server pukul")
    assert _count(app, ConflictDeclaration, assignment_id=a) == 1
    assert _count(app, ScoreSheet, assignment_id=a) == 1
    assert _events(app, "sheet.declare_no_conflict") == 1
    # Another declaration (another client id) is refused: the first one counts.
    other = client.post(f"/api/offline/{a}/declare",
                        json={**body, "client_id": "d-2", "relationship": "family"})
    assert other.status_code == 409 and other.get_json()["error"] == "already_declared"
    assert other.get_json()["message"]
    with app.app_context():
        sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == a))
        assert sheet.status == "draft" and sheet.client_seq == 1


def test_declared_conflict_still_recuses_and_refuses_scores(app, client, auth, world):
    _login(auth)
    a = world.ids[1]
    refused = client.post(f"/api/offline/{a}/declare", json={
        "client_id": "d", "seq": 1, "relationship": "other", "detail": ""})
    assert refused.status_code == 400 and refused.get_json()["error"] == "detail_required"
    recused = client.post(f"/api/offline/{a}/declare", json={
        "client_id": "d", "seq": 1, "relationship": "family", "detail": "My cousin"})
    assert recused.get_json()["status"] == "recused"
    draft = client.post(f"/api/offline/{a}/draft", json={
        "client_id": "x", "seq": 2, "scores": {"SERVICE": {"level": 4, "note": ""}}})
    assert draft.status_code == 409 and draft.get_json()["error"] == "recused"
    assert _events(app, "sheet.recuse") == 1


def test_outbox_order_replay_duplicate_and_stale(app, client, auth, world):
    _login(auth)
    a = world.ids[0]
    url = f"/api/offline/{a}"
    scores = {"SERVICE": {"level": 4, "note": ""}}
    # Out of order: a draft that arrives before its declaration is refused, nothing written.
    early = client.post(url + "/draft", json={"client_id": "c2", "seq": 2, "scores": scores})
    assert early.status_code == 409 and early.get_json()["error"] == "declaration_required"
    assert _count(app, ScoreSheet, assignment_id=a) == 0
    client.post(url + "/declare", json={"client_id": "d", "seq": 1, "relationship": "none"})
    ok = client.post(url + "/draft", json={"client_id": "c2", "seq": 2, "scores": scores})
    assert ok.get_json() == {"status": "draft", "seq": 2, "duplicate": False}
    newer = {"SERVICE": {"level": 2, "note": "Vague."}}
    assert client.post(url + "/draft", json={"client_id": "c3", "seq": 3, "scores": newer}
                       ).status_code == 200
    # The same request again (its answer was lost): acknowledged, nothing changes.
    replay = client.post(url + "/draft", json={"client_id": "c3", "seq": 3, "scores": newer})
    assert replay.get_json() == {"status": "draft", "seq": 3, "duplicate": True}
    # A late, older state is refused with a message and never overwrites the newer one.
    stale = client.post(url + "/draft", json={"client_id": "c2", "seq": 2, "scores": scores})
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["error"] == "stale_seq" and body["server_seq"] == 3
    assert "2" in body["message"] and "3" in body["message"]
    same_number = client.post(url + "/draft", json={"client_id": "zz", "seq": 3,
                                                    "scores": scores})
    assert same_number.status_code == 409 and same_number.get_json()["error"] == "stale_seq"
    with app.app_context():
        sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == a))
        assert sheet_state(sheet) == newer and sheet.client_seq == 3
    assert _events(app, "sheet.save_draft") == 2
    # A submission older than the server's draft is refused rather than signing other scores.
    old_submit = client.post(url + "/submit", json={
        "client_id": "s0", "seq": 3, "scores": full_state(world.rubric), "signature": PNG})
    assert old_submit.status_code == 409 and old_submit.get_json()["error"] == "stale_seq"
    body = {"client_id": "s", "seq": 4, "scores": full_state(world.rubric), "signature": PNG}
    first = client.post(url + "/submit", json=body)
    again = client.post(url + "/submit", json=body)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert first.get_json()["receipt"].startswith("Diterima server pukul")
    assert _events(app, "sheet.submit") == 1
    late_draft = client.post(url + "/draft", json={"client_id": "c5", "seq": 5,
                                                   "scores": scores})
    assert late_draft.status_code == 409 and late_draft.get_json()["error"] == \
        "already_submitted"
    with app.app_context():
        sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == a))
        assert sheet.status == "submitted" and sheet_state(sheet) == full_state(world.rubric)


def test_closed_candidate_refuses_a_late_submission_with_a_message(app, client, auth, world):
    a = world.ids[2]
    with app.app_context():
        ex = db.session.scalar(select(User).where(User.username == "ex11"))
        assignment = db.session.get(Assignment, a)
        declare_conflict(assignment, ex, "none")
        save_draft(assignment, ex, full_state(world.rubric), client_id="c1", seq=1)
        mark_candidate(assignment, assignment.panel.chair, "absent", "Did not come.")
        db.session.commit()
    _login(auth)
    late = client.post(f"/api/offline/{a}/submit", json={
        "client_id": "s", "seq": 2, "scores": full_state(world.rubric), "signature": PNG})
    assert late.status_code == 409
    assert late.get_json()["error"] == "candidate_closed"
    assert late.get_json()["message"] == "Hasil peserta ini sudah ditutup."
    declare = client.post(f"/api/offline/{world.ids[1]}/declare", json={
        "client_id": "d", "seq": 1, "relationship": "none"})
    assert declare.status_code == 200  # the other candidates stay open
    with app.app_context():
        sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == a))
        assert sheet.status == "draft" and sheet.submitted_at is None


def test_outbox_endpoints_answer_only_for_own_panels(app, client, auth, world):
    _login(auth)
    other = world.other[0]
    for verb, body in (("declare", {"client_id": "d", "seq": 1, "relationship": "none"}),
                       ("draft", {"client_id": "d", "seq": 2, "scores": {}}),
                       ("submit", {"client_id": "d", "seq": 3, "signature": PNG})):
        response = client.post(f"/api/offline/{other}/{verb}", json=body)
        assert response.status_code == 404, verb
    bad = client.post(f"/api/offline/{world.ids[0]}/declare", json={
        "client_id": "", "seq": 1, "relationship": "none"})
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_client_id"
    text = client.post(f"/api/offline/{world.ids[0]}/declare", json={
        "client_id": "d", "seq": 1, "relationship": "other", "detail": ["x"]})
    assert text.status_code == 400 and text.get_json()["error"] == "bad_detail"


def test_day_manifest_keeps_todays_pages_and_only_own_data(app, client, auth, world):
    a0, a1, a2 = world.ids
    with app.app_context():
        ex, colleague = (db.session.scalar(select(User).where(User.username == name))
                         for name in ("ex11", "ex12"))
        for aid in (a0, a1):
            assignment = db.session.get(Assignment, aid)
            declare_conflict(assignment, colleague, "none")
            submit_sheet(assignment, colleague, client_id="col", seq=1, scores={
                code: {"level": 5, "note": "COLLEAGUE-SECRET-NOTE"} for code in world.rubric.codes},
                signature_png=None)
        declare_conflict(db.session.get(Assignment, a0), ex, "none")
        submit_sheet(db.session.get(Assignment, a0), ex, client_id="own", seq=1,
                     scores=full_state(world.rubric))
        declare_conflict(db.session.get(Assignment, a1), ex, "none")
        db.session.commit()
    _login(auth)
    day = client.get("/api/offline/day")
    assert day.status_code == 200 and "no-store" in day.headers["Cache-Control"]
    body = day.get_json()
    assert body["cache"].startswith("scoring-examine-") and body["csrf"]
    assert body["sheets"][str(a0)]["state"] == "submitted"
    assert body["sheets"][str(a0)]["receipt"].startswith("Diterima server pukul")
    assert body["sheets"][str(a1)] == {"state": "draft", "receipt": None}
    assert body["sheets"][str(a2)] == {"state": "not_started", "receipt": None}
    assert set(body["sheets"]) == {str(a) for a in world.ids}  # own panel only
    urls = body["urls"]
    assert "/examine/" in urls and f"/examine/{a0}" in urls and f"/examine/{a1}" in urls
    assert f"/examine/{a2}/declare" in urls and f"/examine/{a2}" not in urls
    assert "/static/js/offline.js" in urls and "/static/css/examine.css" in urls
    # Everything the tablet keeps answers 200 without a redirect and holds no colleague's
    # score or note: the examiner's own pages only.
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        assert "COLLEAGUE-SECRET-NOTE" not in text, url
        response.close()
    declare_page = client.get(f"/examine/{a2}/declare").get_data(as_text=True)
    assert 'id="sheet-data"' in declare_page and 'id="outbox-data"' in declare_page
    assert 'data-mode="outbox"' in declare_page  # a real sheet goes through the outbox


def test_service_worker_cache_name_follows_the_assets(app, client, tmp_path, monkeypatch):
    from scoring.offline import queries

    script = client.get("/examine/sw.js").get_data(as_text=True)
    assert f'var CACHE = "{queries.cache_name()}";' in script
    assert "__CACHE_NAME__" not in script
    static = tmp_path / "static"
    (static / "js").mkdir(parents=True)
    (static / "js" / "examine.js").write_text("one")
    monkeypatch.setattr(queries, "data_dir", lambda name: static)
    before = queries.assets_version.__wrapped__()
    (static / "js" / "examine.js").write_text("two")
    assert queries.assets_version.__wrapped__() != before
    assert re.fullmatch(r"[0-9a-f]{12}", before)


def test_day_manifest_is_for_scorers_only(app, client, auth, world):
    assert client.get("/api/offline/day").status_code == 401
    auth.login("admin", "admin-password")
    assert client.get("/api/offline/day").status_code == 403
