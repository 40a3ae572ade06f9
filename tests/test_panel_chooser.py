"""Issue 13 points 1-2: choosing 50+ panel members, and roles that change in one account."""

from __future__ import annotations

import re

import pytest
from factories import PASSWORD, make_world
from sqlalchemy import select

from scoring import workflow
from scoring.extensions import db
from scoring.models import AuditEvent, Panel, User


@pytest.fixture
def many(app, client):
    """The factories' world plus 55 more examiners, the administrator logged in."""
    with app.app_context():
        w = make_world(candidates_per_panel=1, status="draft")
        for i in range(55):
            workflow.create_user(f"pg{i:02d}", f"Penguji {i:02d}", "examiner", PASSWORD)
        db.session.commit()
        ids = {u.username: u.id for u in db.session.scalars(select(User))}
        ids["session"] = w.session.id
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    return ids


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_panel_form_has_no_required_checkbox_and_a_plain_multiple_select(client, many):
    page = _text(client.get(f"/manage/sessions/{many['session']}/panels/new"))
    select_tag = re.search(r'<select[^>]*name="members"[^>]*>', page).group(0)
    assert "multiple" in select_tag and "data-member-chooser" in select_tag
    assert "required" not in select_tag
    assert 'type="checkbox"' not in page
    assert page.count('<option value="') >= 60  # every examiner and chair is offered
    assert "js/member-chooser.js" in page and "<script>" not in page  # CSP: self only
    assert 'data-label-search="Cari nama' in page  # the script's words come translated


def test_panel_of_chosen_members_in_the_order_chosen_with_a_chair_among_them(app, client,
                                                                               many):
    members = [many["pg40"], many["pg03"], many["chair1"]]
    response = client.post(f"/manage/sessions/{many['session']}/panels/new", data={
        "name": "Panel 9", "members": members, "chair": many["chair1"], "quorum": "2"})
    assert response.status_code == 302
    with app.app_context():
        panel = db.session.scalar(select(Panel).where(Panel.name == "Panel 9"))
        assert [m.user.username for m in panel.members] == ["pg40", "pg03", "chair1"]
        assert panel.chair.username == "chair1"


@pytest.mark.parametrize("lang, empty, outside", [
    ("id", "Pilih paling sedikit satu anggota.", "Ketua harus salah satu anggota yang dipilih."),
    ("en", "Choose at least one member.", "The chair must be one of the chosen members."),
])
def test_member_and_chair_errors_in_the_pages_language(client, many, lang, empty, outside):
    client.post(f"/lang/{lang}")
    url = f"/manage/sessions/{many['session']}/panels/new"
    response = client.post(url, data={"name": "Panel 9", "chair": "0"})
    assert response.status_code == 200 and empty in _text(response)
    response = client.post(url, data={"name": "Panel 9", "members": [many["pg01"]],
                                      "chair": many["chair1"]})
    assert outside in _text(response)
    response = client.post(url, data={"name": "Panel 9", "members": [many["pg01"]],
                                      "chair": many["pg01"]})
    assert 'id="chair-error"' in _text(response)  # an examiner who may not chair


def test_role_and_may_chair_are_editable_and_audited(app, client, many):
    uid = many["pg07"]
    response = client.post(f"/manage/users/{uid}/role", data={"role": "examiner",
                                                              "may_chair": "y"})
    assert response.status_code == 302
    page = _text(client.get(f"/manage/sessions/{many['session']}/panels/new"))
    chair_select = re.search(r'<select[^>]*name="chair".*?</select>', page).group(0)
    assert "(pg07)" in chair_select and "(pg08)" not in chair_select
    response = client.post(f"/manage/sessions/{many['session']}/panels/new", data={
        "name": "Panel 9", "members": [uid, many["pg08"]], "chair": uid})
    assert response.status_code == 302
    # the one account both scores on the panel and chairs it
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "pg07", "password": PASSWORD})
    home = _text(client.get("/"))
    assert "Panel 9" in home
    with app.app_context():
        panel_id = db.session.scalar(select(Panel.id).where(Panel.name == "Panel 9"))
    assert client.get(f"/chair/panels/{panel_id}").status_code == 200
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.set_role"))
        assert event.actor == "admin" and "may_chair" in event.data


def test_role_change_refused_while_it_would_orphan_a_chair(app, client, many):
    response = client.post(f"/manage/users/{many['chair1']}/role", data={"role": "examiner"})
    assert response.status_code == 400
    assert "Panel 1" in _text(response) and 'id="role-error"' in _text(response)
    response = client.post(f"/manage/users/{many['chair1']}/role",
                           data={"role": "examiner", "may_chair": "y"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, many["chair1"])
        assert (user.role, user.may_chair) == ("examiner", True)
    response = client.post(f"/manage/users/{many['admin']}/role", data={"role": "examiner"})
    assert response.status_code == 400  # not one's own role
