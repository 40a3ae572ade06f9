"""Administration in the browser (Flask test client): sessions, rubrics, people, panels, results."""

from __future__ import annotations

import datetime as dt
import io
import re
from datetime import timedelta

import pytest
from factories import PASSWORD, full_state, make_world
from openpyxl import load_workbook
from sqlalchemy import func, select

from scoring import workflow
from scoring.extensions import db
from scoring.models import (
    Assignment,
    AuditEvent,
    Candidate,
    InterviewSession,
    Panel,
    PasswordReset,
    User,
)
from scoring.paths import data_dir


@pytest.fixture
def admin(app, client):
    """An empty database with one administrator, logged in."""
    with app.app_context():
        workflow.create_user("admin", "Admin BKPSDM", "admin", "admin-password")
        db.session.commit()
    assert client.post("/auth/login", data={"username": "admin",
                                            "password": "admin-password"}).status_code == 302
    return client


@pytest.fixture
def world_admin(app, client):
    """The factories' world (open session, two panels), the administrator logged in."""
    with app.app_context():
        w = make_world(candidates_per_panel=3, status="open")
        ids = {"session": w.session.id, "panels": [p.id for p in w.panels],
               "assignments": [[a.id for a in row] for row in w.assignments]}
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    return ids


def _events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_create_session_with_shipped_rubric_and_edit_it(app, admin):
    page = admin.get("/manage/sessions/new")
    assert "example-en.yaml" in page.get_data(as_text=True)
    response = admin.post("/manage/sessions/new", data={
        "code": "CPNS-2025", "name": "Wawancara CPNS", "held_on": "2025-11-28",
        "place": "Aula", "rubric_file": "example-en.yaml", "publish_names": "y"},
        headers={"User-Agent": "pytest-admin"})
    assert response.status_code == 302
    with app.app_context():
        session = db.session.scalar(select(InterviewSession))
        assert (session.code, session.status, session.rubric_id) == ("CPNS-2025", "draft",
                                                                      "example-en")
        assert session.publish_names is True
        sid = session.id
    [created] = _events(app, "session.create")
    assert created.user_agent == "pytest-admin" and created.actor == "admin"
    response = admin.post(f"/manage/sessions/{sid}/edit", data={
        "name": "Wawancara CPNS 2025", "held_on": "2025-11-29", "place": "Aula Balai Kota",
        "rubric_file": "wawancara-kompetensi-asn.yaml"})
    assert response.status_code == 302
    with app.app_context():
        session = db.session.get(InterviewSession, sid)
        assert session.name == "Wawancara CPNS 2025"
        assert session.held_on == dt.date(2025, 11, 29)
        assert session.publish_names is False  # the unticked box
        assert session.rubric_id == "wawancara-kompetensi-asn"
    assert _events(app, "session.update") and _events(app, "session.change_rubric")


def test_session_form_errors_are_next_to_fields_in_indonesian(admin):
    response = admin.post("/manage/sessions/new", data={"code": "bad code", "name": ""})
    html = _text(response)
    assert response.status_code == 200
    assert 'id="code-error"' in html and 'id="name-error"' in html
    assert "Isian ini wajib diisi." in html  # WTForms' own message, in Indonesian
    assert 'id="rubric_file-error"' in html or 'id="held_on-error"' in html


def test_invalid_uploaded_rubric_lists_every_error_with_its_line(app, admin):
    bad = (data_dir("rubrics") / "example-en.yaml").read_text().replace(
        "quorum: 2", "quorum: 0").replace("weight: 2", "weight: -1")
    response = admin.post("/manage/sessions/new", data={
        "code": "S-BAD", "name": "Bad rubric", "held_on": "2025-11-28",
        "rubric_upload": (io.BytesIO(bad.encode()), "mine.yaml")},
        content_type="multipart/form-data")
    html = _text(response)
    errors = re.search(r'<ul class="field__errors" id="rubric_upload-error">(.*?)</ul>', html)
    assert errors, html
    items = re.findall(r"<li>(.*?)</li>", errors.group(1))
    assert len(items) >= 2
    assert any("quorum" in i for i in items) and any("weight" in i for i in items)
    assert all(re.match(r"(baris|line) \d+: ", i) for i in items)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InterviewSession)) == 0


def test_valid_uploaded_rubric_is_snapshotted(app, admin):
    text = (data_dir("rubrics") / "example-en.yaml").read_bytes()
    response = admin.post("/manage/sessions/new", data={
        "code": "S-UP", "name": "Uploaded", "held_on": "2025-11-28",
        "rubric_upload": (io.BytesIO(text), "example.yaml")}, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        session = db.session.scalar(select(InterviewSession))
        assert session.rubric_id == "example-en" and len(session.rubric_hash) == 64


def test_rubric_is_locked_once_a_sheet_holds_a_level(app, client, world_admin):
    sid = world_admin["session"]
    with app.app_context():
        assignment = db.session.get(Assignment, world_admin["assignments"][0][0])
        examiner = db.session.scalar(select(User).where(User.username == "ex11"))
        workflow.declare_conflict(assignment, examiner, "none")
        db.session.commit()
    # A declaration alone does not lock the rubric (issue 10, finding 6).
    page = _text(client.get(f"/manage/sessions/{sid}/edit"))
    assert 'name="rubric_file"' in page
    with app.app_context():
        assignment = db.session.get(Assignment, world_admin["assignments"][0][0])
        examiner = db.session.scalar(select(User).where(User.username == "ex11"))
        rubric = workflow.session_rubric(assignment.panel.session)
        workflow.save_draft(assignment, examiner, full_state(rubric, 3), client_id="t", seq=1)
        db.session.commit()
        before = db.session.get(InterviewSession, sid).rubric_hash
    page = _text(client.get(f"/manage/sessions/{sid}/edit"))
    assert 'name="rubric_file"' not in page and 'name="rubric_upload"' not in page
    client.post(f"/manage/sessions/{sid}/edit", data={
        "name": "Test session", "held_on": "2025-11-28",
        "rubric_file": "wawancara-kompetensi-asn.yaml"})
    with app.app_context():
        assert db.session.get(InterviewSession, sid).rubric_hash == before


def test_open_close_and_back_to_draft_are_audited(app, client, world_admin):
    sid = world_admin["session"]

    def status():
        with app.app_context():
            return db.session.get(InterviewSession, sid).status

    post = client.post
    assert post(f"/manage/sessions/{sid}/status/draft").status_code == 302
    assert status() == "open"  # returning to draft cannot be undone: it needs the box
    post(f"/manage/sessions/{sid}/status/draft", data={"confirm": "y"})
    assert status() == "draft"
    post(f"/manage/sessions/{sid}/status/open")
    assert status() == "open"
    refused = post(f"/manage/sessions/{sid}/status/closed", data={"confirm": "y"},
                   follow_redirects=True)
    assert status() == "open"  # candidates are neither closed nor marked: refused, listed
    assert "P1-001" in refused.get_data(as_text=True)
    assert [e.data for e in _events(app, "session.status")][-2:] == [
        '{"status":["open","draft"]}', '{"status":["draft","open"]}']
    assert client.post(f"/manage/sessions/{sid}/status/bogus").status_code == 404


def test_lists_are_searchable_sortable_and_paginated(app, admin):
    with app.app_context():
        for i in range(30):
            workflow.create_candidate(f"PRM-{i:03d}", f"Calon {chr(65 + i % 26)}{i}")
        db.session.commit()
    first = _text(admin.get("/manage/candidates"))
    assert "PRM-000" in first and "PRM-025" not in first
    assert "Halaman 1 dari 2" in first
    second = _text(admin.get("/manage/candidates?page=2"))
    assert "PRM-025" in second and "PRM-000" not in second
    desc = _text(admin.get("/manage/candidates?sort=participant_number&dir=desc"))
    assert desc.index("PRM-029") < desc.index("PRM-020")
    found = _text(admin.get("/manage/candidates?q=prm-01"))
    assert "PRM-010" in found and "PRM-020" not in found
    # an unknown sort column is ignored, never passed to SQL
    assert admin.get("/manage/candidates?sort=nik;drop").status_code == 200
    users = _text(admin.get("/manage/users?q=admin&role=admin"))
    assert "Admin BKPSDM" in users


def test_create_user_without_password_gives_a_one_time_code(app, admin, client):
    response = admin.post("/manage/users/new", data={
        "username": "penguji7", "full_name": "Penguji Tujuh", "role": "examiner",
        "nip": "198001012005011001"})
    html = _text(response)
    assert response.status_code == 200
    code = re.search(r'id="reset-code">([A-Z0-9-]+)<', html).group(1)
    assert len(code) == 14 and "/auth/reset/" in html
    with app.app_context():
        reset = db.session.scalar(select(PasswordReset))
        assert code.replace("-", "") not in reset.code_hash  # only the hash is stored
    for event in _events(app, "user.reset_issued"):
        assert code not in event.data and code.replace("-", "") not in event.data
    admin.post("/auth/logout")
    link = re.search(r'reset-link">([^<]+)<', html).group(1)
    path = link.split("localhost", 1)[-1]
    form = client.get(path)
    assert code in form.get_data(as_text=True)
    done = client.post(path, data={"code": code.lower(), "password": "rahasia-baru",
                                   "confirm": "rahasia-baru"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/auth/login")
    assert client.post("/auth/login", data={"username": "penguji7",
                                            "password": "rahasia-baru"}).status_code == 302
    client.post("/auth/logout")
    again = client.post("/auth/reset/", data={"code": code, "password": "lain-lagi-123",
                                              "confirm": "lain-lagi-123"})
    assert again.status_code == 200 and 'id="code-error"' in again.get_data(as_text=True)
    assert _events(app, "user.reset_redeemed")


def test_reset_codes_expire_and_a_new_code_cancels_the_old(app):
    with app.app_context():
        user = workflow.create_user("ex", "Ex", "examiner", "old-password")
        first = workflow.create_password_reset(user)
        second = workflow.create_password_reset(user)
        db.session.commit()
        with pytest.raises(workflow.WorkflowError):
            workflow.redeem_password_reset(first, "new-password-1")
        db.session.rollback()
        reset = db.session.scalars(select(PasswordReset).order_by(PasswordReset.id)).all()[-1]
        reset.expires_at = reset.created_at - timedelta(seconds=1)
        db.session.commit()
        with pytest.raises(workflow.WorkflowError):
            workflow.redeem_password_reset(second, "new-password-1")
        db.session.rollback()
        third = workflow.create_password_reset(user)
        with pytest.raises(workflow.WorkflowError) as weak:
            workflow.redeem_password_reset(third, "short")
        assert weak.value.code == "weak_password"
        assert workflow.redeem_password_reset(third, "new-password-1") == user
        assert user.check_password("new-password-1")


def test_deactivate_and_reactivate(app, client, world_admin):
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == "ex11"))
        me = db.session.scalar(select(User.id).where(User.username == "admin"))
    assert client.post(f"/manage/users/{uid}/active", data={"active": "0"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, uid).active is False
    client.post(f"/manage/users/{uid}/active", data={"active": "1"})
    client.post(f"/manage/users/{me}/active", data={"active": "0"})  # never oneself
    with app.app_context():
        assert db.session.get(User, uid).active is True
        assert db.session.get(User, me).active is True
    assert len(_events(app, "user.set_active")) == 2


def test_candidate_create_and_edit_keep_the_nik_out_of_the_audit(app, admin):
    response = admin.post("/manage/candidates/new", data={
        "participant_number": "PRM-1", "name": "Siti", "nik": "1377010101010001"})
    assert response.status_code == 302
    duplicate = admin.post("/manage/candidates/new", data={
        "participant_number": "PRM-1", "name": "Other"})
    assert 'id="participant_number-error"' in _text(duplicate)
    bad_nik = admin.post("/manage/candidates/new", data={
        "participant_number": "PRM-2", "name": "Other", "nik": "123"})
    assert 'id="nik-error"' in _text(bad_nik)
    with app.app_context():
        cid = db.session.scalar(select(Candidate.id))
    admin.post(f"/manage/candidates/{cid}", data={"name": "Siti Rahma",
                                                  "nik": "1377010101010002"})
    with app.app_context():
        assert db.session.get(Candidate, cid).nik == "1377010101010002"
        for event in db.session.scalars(select(AuditEvent)):
            assert "137701010101000" not in event.data
    listing = admin.get("/manage/candidates").get_data(as_text=True)
    assert "1377010101010002" not in listing  # masked in lists too


def test_panel_create_edit_assign_order_and_remove(app, client, world_admin):
    sid = world_admin["session"]
    with app.app_context():
        people = {u.username: u.id for u in db.session.scalars(select(User))}
        for i in range(3):
            workflow.create_candidate(f"NEW-{i}", f"New {i}")
        db.session.commit()
    members = [people["ex11"], people["ex12"], people["chair1"]]
    response = client.post(f"/manage/sessions/{sid}/panels/new", data={
        "name": "Panel 3", "room": "R3", "members": members,
        "chair": people["chair1"], "quorum": "4"})
    assert 'id="quorum-error"' in _text(response)  # more than the members
    response = client.post(f"/manage/sessions/{sid}/panels/new", data={
        "name": "Panel 3", "room": "R3", "members": members,
        "chair": people["chair1"], "quorum": "2"})
    assert response.status_code == 302
    with app.app_context():
        panel = db.session.scalar(select(Panel).where(Panel.name == "Panel 3"))
        pid = panel.id
        assert [m.user.username for m in panel.members] == ["ex11", "ex12", "chair1"]
    response = client.post(f"/manage/panels/{pid}/edit", data={
        "name": "Panel 3", "room": "R3b", "members": [people["ex12"], people["ex21"]],
        "chair": "0", "quorum": ""})
    assert response.status_code == 302
    with app.app_context():
        panel = db.session.get(Panel, pid)
        assert {m.user.username for m in panel.members} == {"ex12", "ex21"}
        assert panel.chair is None and panel.quorum is None and panel.room == "R3b"
    bad = client.post(f"/manage/panels/{pid}/assign", data={"numbers": "NEW-0\nNOPE"})
    assert bad.status_code == 400 and "NOPE" in _text(bad)
    client.post(f"/manage/panels/{pid}/assign", data={"numbers": "NEW-0\nNEW-1, NEW-2"})
    with app.app_context():
        rows = db.session.scalars(select(Assignment).where(Assignment.panel_id == pid)
                                  .order_by(Assignment.position)).all()
        assert [a.candidate.participant_number for a in rows] == ["NEW-0", "NEW-1", "NEW-2"]
        ids = [a.id for a in rows]
    client.post(f"/manage/panels/{pid}/order", data={
        f"pos-{ids[0]}": "3", f"pos-{ids[1]}": "1", f"pos-{ids[2]}": "2"})
    with app.app_context():
        rows = db.session.scalars(select(Assignment).where(Assignment.panel_id == pid)
                                  .order_by(Assignment.position)).all()
        assert [a.candidate.participant_number for a in rows] == ["NEW-1", "NEW-2", "NEW-0"]
    client.post(f"/manage/assignments/{ids[0]}/remove")
    with app.app_context():
        assert db.session.get(Assignment, ids[0]) is None
    for action in ("panel.create", "panel.update", "assignment.create", "panel.reorder",
                   "assignment.remove"):
        assert _events(app, action), action


def test_member_with_sheets_cannot_be_removed(app, client, world_admin):
    pid = world_admin["panels"][0]
    with app.app_context():
        assignment = db.session.get(Assignment, world_admin["assignments"][0][0])
        ex = db.session.scalar(select(User).where(User.username == "ex11"))
        workflow.declare_conflict(assignment, ex, "none")
        db.session.commit()
        others = [u.id for u in db.session.scalars(select(User).where(
            User.username.in_(["chair1", "ex12"])))]
    response = client.post(f"/manage/panels/{pid}/edit", data={
        "name": "Panel 1", "members": others, "chair": "0"})
    assert response.status_code == 200 and 'id="members-error"' in _text(response)


def test_conflict_declared_in_any_session_is_warned(app, client, world_admin):
    with app.app_context():
        assignment = db.session.get(Assignment, world_admin["assignments"][0][0])
        ex = db.session.scalar(select(User).where(User.username == "ex11"))
        workflow.declare_conflict(assignment, ex, "family")
        rubric = workflow.session_rubric(assignment.panel.session)
        other = workflow.create_session("S2", "Second", dt.date(2025, 12, 5), rubric)
        panel = workflow.create_panel(other, "Panel A", [ex])
        db.session.commit()
        number = assignment.candidate.participant_number
        pid, sid = panel.id, other.id
    response = client.post(f"/manage/panels/{pid}/assign", data={"numbers": number})
    assert response.status_code == 302
    panel_page = _text(client.get(f"/manage/panels/{pid}"))
    assert number in panel_page and "S1" in panel_page and "ex11" in panel_page
    assert "alert--warning" in panel_page
    assert "ex11" in _text(client.get(f"/manage/sessions/{sid}"))


def test_results_page_and_exports(app, client, world_admin):
    sid = world_admin["session"]
    with app.app_context():
        assignment = db.session.get(Assignment, world_admin["assignments"][0][0])
        rubric = workflow.session_rubric(assignment.panel.session)
        for member in assignment.panel.members:
            workflow.declare_conflict(assignment, member.user, "none")
            workflow.submit_sheet(assignment, member.user, client_id="t", seq=1,
                                  scores=full_state(rubric, 4))
        assignment.override_score = 4.5
        assignment.override_reason = "Panel agreed after appeal"
        db.session.commit()
    page = _text(client.get(f"/manage/sessions/{sid}/results"))
    assert "P1-001" in page and "Panel agreed after appeal" in page
    csv = client.get(f"/manage/sessions/{sid}/results.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "P1-001" in csv.get_data(as_text=True).splitlines()[2]  # after title and header
    xlsx = client.get(f"/manage/sessions/{sid}/results.xlsx")
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.active["C3"].value == "P1-001"
    assert client.get(f"/manage/sessions/{sid}/results.pdf").status_code == 404
    assert len(_events(app, "results.export")) == 2


def test_home_page_links_to_administration(app, client, world_admin):
    html = client.get("/").get_data(as_text=True)
    assert "/manage/" in html and f"/manage/sessions/{world_admin['session']}" in html


def test_examiner_sees_no_admin_links(app, client, world_admin):
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "ex11", "password": PASSWORD})
    assert "/manage/" not in client.get("/").get_data(as_text=True)


def test_editing_a_candidate_records_the_nik_only_as_changed(app):
    with app.app_context():
        world = make_world(candidates_per_panel=1)
        candidate = world.assignments[0][0].candidate
        workflow.update_candidate(candidate, name="Renamed", nik="1377010101019999")
        db.session.commit()
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "candidate.update")).one()
        assert candidate.nik == "1377010101019999" and "Renamed" in event.data
        assert "***" in event.data and "9999" not in event.data
