"""The examiner's pages and JSON API through the test client."""

from __future__ import annotations

import re

import pytest
from factories import PASSWORD, full_state, make_world, publish_session
from live_server import jakarta_today
from sqlalchemy import select
from test_access_examine import PNG

from scoring.extensions import db
from scoring.models import Amendment, AuditEvent, ScoreSheet
from scoring.workflow import (
    create_session,
    declare_conflict,
    set_session_status,
    sheet_state,
    submit_sheet,
)

PAGE_BUDGET = 150 * 1024


@pytest.fixture
def world(app):
    with app.app_context():
        world = make_world(candidates_per_panel=3)
        ids = {"a": [a.id for a in world.assignments[0]],
               "other": [a.id for a in world.assignments[1]]}
        world.ids = ids
        return world


def _login(auth, username):
    assert auth.login(username, PASSWORD).status_code == 302


def test_queue_lists_own_panel_in_order_with_states(app, client, auth, world):
    with app.app_context():
        from scoring.models import Assignment, User

        ex = db.session.scalar(select(User).where(User.username == "ex11"))
        a0, a1 = (db.session.get(Assignment, i) for i in world.ids["a"][:2])
        declare_conflict(a1, ex, "family")
        declare_conflict(a0, ex, "none")
        submit_sheet(a0, ex, client_id="s", seq=1, scores=full_state(world.rubric))
        db.session.commit()
    _login(auth, "ex11")
    text = client.get("/examine/").get_data(as_text=True)
    numbers = re.findall(r'queue__number code">([^<]+)<', text)
    assert numbers == ["P1-001", "P1-002", "P1-003"]  # own panel only, interview order
    assert "Terkirim" in text and "Diterima server pukul" in text
    assert "Dikecualikan" in text and "Belum dimulai" in text
    assert "1377010100" not in text  # never the NIK


def test_queue_puts_today_first_and_hides_closed_sessions(app, client, auth, world):
    with app.app_context():
        from scoring.models import InterviewSession, Panel, User

        ex = db.session.scalar(select(User).where(User.username == "ex11"))
        today = create_session("S-TODAY", "Sesi hari ini", jakarta_today(), world.rubric)
        from scoring.workflow import create_panel

        create_panel(today, "Panel Pagi", [ex])
        set_session_status(today, "open")
        closed = create_session("S-OLD", "Sesi lama", jakarta_today(), world.rubric)
        create_panel(closed, "Panel Lama", [ex])
        publish_session(closed)
        db.session.commit()
        assert db.session.scalar(select(Panel).where(Panel.name == "Panel Lama"))
        assert db.session.get(InterviewSession, today.id)
    _login(auth, "ex11")
    text = client.get("/examine/").get_data(as_text=True)
    assert text.index("Sesi hari ini") < text.index("Sesi terbuka lainnya") < text.index(
        "Test session")
    assert "Sesi lama" not in text


def test_declaration_form_then_recusal(app, client, auth, world):
    _login(auth, "ex11")
    a = world.ids["a"][0]
    assert client.get(f"/examine/{a}").location.endswith(f"/examine/{a}/declare")
    page = client.get(f"/examine/{a}/declare").get_data(as_text=True)
    for word in ("Keluarga", "Satu tempat kerja", "Kenalan sebelumnya", "Hubungan lain"):
        assert word in page
    refused = client.post(f"/examine/{a}/declare", data={"relationship": "other"})
    assert refused.status_code == 200
    assert "field__errors" in refused.get_data(as_text=True)
    unconfirmed = client.post(f"/examine/{a}/declare",
                              data={"relationship": "other", "detail": "Tetangga"})
    assert unconfirmed.status_code == 200  # a recusal cannot be undone: confirm it
    done = client.post(f"/examine/{a}/declare",
                       data={"relationship": "other", "detail": "Tetangga",
                             "confirm_recusal": "y"})
    assert done.status_code == 302
    text = client.get(f"/examine/{a}").get_data(as_text=True)
    assert "Anda dikecualikan dari penilaian peserta ini." in text and "sheet-data" not in text


def test_scoring_page_is_generated_from_the_rubric(app, client, auth, world):
    _login(auth, "ex11")
    a = world.ids["a"][0]
    client.post(f"/examine/{a}/declare", data={"relationship": "none"})
    response = client.get(f"/examine/{a}")
    text = response.get_data(as_text=True)
    rubric = world.rubric
    for criterion in rubric.criteria:
        assert criterion.definition.get("en") in text
        for question in criterion.questions:
            assert question.text.get("en") in text
            for probe in question.probes:
                assert probe.get("en").replace("'", "&#39;") in text
        for level in rubric.scale.values:
            assert criterion.anchor(level).get("en").replace("'", "&#39;") in text
        assert text.count(f'name="level-{criterion.code}"') == len(rubric.scale.values)
        assert f'<label class="field__label" for="note-{criterion.code}">' in text
    assert "Wajib untuk nilai 1, 5" in text and "0 dari 3 kriteria dinilai" in text
    assert 'role="status"' in text and 'name="csrf-token"' in text
    # Identity: participant number and name only.
    assert "P1-001" in text and "Candidate 1.1" in text and "13770101" not in text
    # CSP-friendly: no inline script or style.
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))", text)
    assert "style=" not in text


def test_page_weight_is_under_150_kb(app, client, auth, world):
    _login(auth, "ex11")
    a = world.ids["a"][0]
    client.post(f"/examine/{a}/declare", data={"relationship": "none"})
    html = client.get(f"/examine/{a}").get_data()
    total = len(html)
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    assert any(x.endswith(b".js") for x in assets) and any(x.endswith(b".css") for x in assets)
    for url in assets:
        response = client.get(url.decode())
        assert response.status_code == 200
        total += len(response.get_data())
        response.close()
    print(f"scoring page weight: {total} bytes")
    assert total < PAGE_BUDGET
    assert not re.search(rb"https?://", html)


def test_assets_are_self_contained():
    from scoring.paths import data_dir

    for name in ("js/examine.js", "js/signature.js", "js/sw.js", "js/offline.js", "js/queue.js",
                 "css/examine.css"):
        text = (data_dir("static") / name).read_text()
        assert not re.search(r"https?://|@import|//cdn", text), name


def test_api_save_submit_state_and_errors(app, client, auth, world):
    _login(auth, "ex11")
    a = world.ids["a"][0]
    url = f"/api/examine/{a}"
    assert client.post(url + "/draft", json={"client_id": "c", "seq": 1, "scores": {}}
                       ).get_json()["error"] == "declaration_required"
    client.post(f"/examine/{a}/declare", data={"relationship": "none"})
    bad = client.post(url + "/draft", data="nope", content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_json"
    scores = {"SERVICE": {"level": 5, "note": ""}}
    ok = client.post(url + "/draft", json={"client_id": "c2", "seq": 2, "scores": scores})
    assert ok.get_json() == {"applied": True, "seq": 2, "status": "draft"}
    stale = client.post(url + "/draft", json={"client_id": "c1", "seq": 1, "scores": {}})
    assert stale.get_json() == {"applied": False, "seq": 2, "status": "draft"}
    incomplete = client.post(url + "/submit", json={"client_id": "s", "seq": 3,
                                                    "scores": scores, "signature": PNG})
    assert incomplete.status_code == 422
    assert {"criterion": "SERVICE", "what": "note"} in incomplete.get_json()["missing"]
    unsigned = client.post(url + "/submit", json={"client_id": "s", "seq": 3,
                                                  "scores": full_state(world.rubric)})
    assert unsigned.status_code == 422 and unsigned.get_json()["error"] == "signature_required"
    body = {"client_id": "s", "seq": 3, "scores": full_state(world.rubric), "signature": PNG}
    first = client.post(url + "/submit", json=body).get_json()
    again = client.post(url + "/submit", json=body).get_json()
    assert first == again and first["receipt"].startswith("Diterima server pukul")
    state = client.get(url + "/state").get_json()
    assert state["status"] == "submitted" and state["content_hash"] == first["content_hash"]
    page = client.get(f"/examine/{a}").get_data(as_text=True)
    assert first["receipt"] in page and "sheet-data" not in page  # locked: no scoring form
    # Another panel's candidate and a candidate that does not exist look the same.
    other = client.get(f"/api/examine/{world.ids['other'][0]}/state")
    missing = client.get("/api/examine/999999/state")
    assert other.status_code == missing.status_code == 404
    assert other.get_json() == missing.get_json()


def test_json_endpoints_need_the_csrf_token(csrf_app):
    with csrf_app.app_context():
        world = make_world()
        a = world.assignments[0][0]
        declare_conflict(a, world.examiners[0][1], "none")
        db.session.commit()
        a_id = a.id
    client = csrf_app.test_client()
    login = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login) or re.search(
        r'name="csrf_token" value="([^"]+)"', login)
    client.post("/auth/login", data={"username": "ex11", "password": PASSWORD,
                                     "csrf_token": token.group(1)})
    page = client.get(f"/examine/{a_id}").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    body = {"client_id": "c", "seq": 1, "scores": {}}
    refused = client.post(f"/api/examine/{a_id}/draft", json=body)
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf"
    accepted = client.post(f"/api/examine/{a_id}/draft", json=body,
                           headers={"X-CSRFToken": meta})
    assert accepted.status_code == 200
    with csrf_app.app_context():
        db.engine.dispose()


def test_service_worker_is_served_for_the_examine_scope(client):
    response = client.get("/examine/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b"caches" in response.data


def test_amendment_through_the_pages(app, client, auth, world):
    a = world.ids["a"][0]
    with app.app_context():
        from scoring.models import Assignment, User

        assignment = db.session.get(Assignment, a)
        for name in ("ex11", "ex12", "chair1"):
            user = db.session.scalar(select(User).where(User.username == name))
            declare_conflict(assignment, user, "none")
            submit_sheet(assignment, user, client_id=name, seq=1,
                         scores=full_state(world.rubric, 4))
        db.session.commit()
    _login(auth, "ex11")
    form = client.get(f"/examine/{a}/amend").get_data(as_text=True)
    assert 'name="level_TEAM"' in form and 'name="reason"' in form
    data = {f"level_{c}": "4" for c in world.rubric.codes}
    data.update(level_TEAM="2", reason="SALAH-KETUK")
    assert client.post(f"/examine/{a}/amend", data=data).status_code == 302
    assert "Menunggu ketua panel" in client.get(f"/examine/{a}").get_data(as_text=True)
    auth.logout()
    _login(auth, "chair1")
    listing = client.get("/chair/amendments/").get_data(as_text=True)
    assert "SALAH-KETUK" in listing  # every sheet is in: the chair may look
    with app.app_context():
        amendment_id = db.session.scalar(select(Amendment.id))
    refused = client.post(f"/chair/amendments/{amendment_id}", data={"decision": "reject"},
                          follow_redirects=True)
    assert "Berikan alasan." in refused.get_data(as_text=True)
    client.post(f"/chair/amendments/{amendment_id}", data={"decision": "approve"})
    with app.app_context():
        sheet = db.session.scalar(select(ScoreSheet).join(ScoreSheet.examiner).where(
            ScoreSheet.assignment_id == a, ScoreSheet.examiner.has(username="ex11")))
        assert sheet_state(sheet)["TEAM"]["level"] == 2
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "amendment.request" in actions and "amendment.approve" in actions
