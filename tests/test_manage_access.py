"""Access matrix: every admin, public and reset route x {anonymous, examiner, chair, admin}.

The set of routes is read from the application, so a new route of these blueprints fails the
test until it is listed here with the answer each role must get.
"""

from __future__ import annotations

import datetime as dt

import pytest
from factories import PASSWORD, make_world

from scoring.extensions import db
from scoring.models import Candidate, User
from scoring.workflow import set_session_status


def file_an_objection(world):
    """Open the objection window around now and file one objection with an attachment."""
    from datetime import timedelta

    from doc_helpers import TINY_PNG

    from scoring.models import utcnow
    from scoring.workflow import CLI
    from scoring.workflow.candidates import issue_codes, live_code
    from scoring.workflow.objections import file_objection, set_policy

    issue_codes(world.session, info=CLI)
    set_policy(world.session, opens_at=utcnow() - timedelta(hours=1),
               closes_at=utcnow() + timedelta(days=3), share_notes=False)
    code = live_code(1)
    objection = file_objection(code, "procedure", "The panel started late.",
                               ("photo.png", TINY_PNG))
    db.session.commit()
    return objection

MANAGE = ("manage", "manage_people", "manage_panels", "manage_imports", "manage_rubrics")
PUBLIC = ("public", "reset")
ROLES = {"anonymous": None, "examiner": ("ex11", PASSWORD), "chair": ("chair1", PASSWORD),
         "admin": ("admin", "admin-password")}

# endpoint -> (method, URL template); ids are filled from the world.
MANAGE_ROUTES = {
    "manage.index": ("GET", "/manage/"),
    "manage.session_new": ("GET", "/manage/sessions/new"),
    "manage.session": ("GET", "/manage/sessions/{session}"),
    "manage.session_edit": ("GET", "/manage/sessions/{session}/edit"),
    "manage.session_status": ("POST", "/manage/sessions/{session}/status/open"),
    "manage.session_results_page": ("GET", "/manage/sessions/{session}/results"),
    "manage.session_export": ("GET", "/manage/sessions/{session}/results.csv"),
    "manage_people.users": ("GET", "/manage/users"),
    "manage_people.user_new": ("GET", "/manage/users/new"),
    "manage_people.user": ("GET", "/manage/users/{user}"),
    "manage_people.user_active": ("POST", "/manage/users/{user}/active"),
    "manage_people.user_reset": ("POST", "/manage/users/{user}/reset"),
    "manage_people.user_unlock": ("POST", "/manage/users/{user}/unlock"),
    "manage_people.user_role": ("POST", "/manage/users/{user}/role"),
    "manage_people.reset_codes": ("POST", "/manage/users/reset-codes"),
    "manage_rubrics.guide": ("GET", "/manage/rubrics/format"),
    "manage_rubrics.template": ("GET", "/manage/rubrics/TEMPLATE.yaml"),
    "manage_people.candidates": ("GET", "/manage/candidates"),
    "manage_people.candidate_new": ("GET", "/manage/candidates/new"),
    "manage_people.candidate": ("GET", "/manage/candidates/{candidate}"),
    "manage_imports.upload": ("GET", "/manage/import/candidates"),
    "manage_imports.confirm": ("POST", "/manage/import/candidates/confirm"),
    "manage_panels.panel_new": ("GET", "/manage/sessions/{session}/panels/new"),
    "manage_panels.panel": ("GET", "/manage/panels/{panel}"),
    "manage_panels.panel_edit": ("GET", "/manage/panels/{panel}/edit"),
    "manage_panels.panel_assign": ("POST", "/manage/panels/{panel}/assign"),
    "manage_panels.panel_order": ("POST", "/manage/panels/{panel}/order"),
    "manage_panels.assignment_remove": ("POST", "/manage/assignments/{assignment}/remove"),
    # issue 16: candidates' codes and the objection queue (objection routes: test_objections)
    "candidates.codes": ("POST", "/manage/sessions/{session}/candidate-codes"),
    "candidates.reissue": ("POST", "/manage/assignments/{assignment}/candidate-code"),
    "candidates.queue": ("GET", "/manage/sessions/{session}/objections"),
    "candidates.reissue_number": ("POST", "/manage/sessions/{session}/candidate-code"),
    "candidates.objection_detail": ("GET", "/manage/objections/{objection}"),
    "candidates.assign": ("POST", "/manage/objections/{objection}/assign"),
    "candidates.answer": ("POST", "/manage/objections/{objection}/answer"),
    "candidates.correction": ("POST", "/manage/objections/{objection}/correction"),
    "candidates.attachment": ("GET", "/manage/objections/{objection}/attachment"),
}
PUBLIC_ROUTES = {
    "public.index": ("GET", "/public/"),
    "public.criteria": ("GET", "/public/S1/"),
    "public.criteria_pdf": ("GET", "/public/S1/criteria.pdf"),
    "public.results": ("GET", "/public/S1/results"),
    "reset.redeem": ("GET", "/auth/reset/"),
    "reset.redeem_link": ("GET", "/auth/reset/ABCD-EFGH-JKMN"),
}


@pytest.fixture
def world(app):
    with app.app_context():
        w = make_world(candidates_per_panel=2, status="closed")
        objection = file_an_objection(w)
        ids = {"objection": objection.id, "session": w.session.id, "panel": w.panels[0].id,
               "assignment": w.assignments[0][0].id,
               "user": db.session.scalar(db.select(User.id).where(User.username == "ex12")),
               "candidate": db.session.scalar(db.select(Candidate.id))}
    return ids


def _client(app, role):
    client = app.test_client()
    if ROLES[role]:
        username, password = ROLES[role]
        response = client.post("/auth/login", data={"username": username, "password": password})
        assert response.status_code == 302
    return client


def test_every_route_of_these_blueprints_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.split(".")[0] in MANAGE + PUBLIC
                 or (rule.endpoint.startswith("candidates.")
                     and rule.rule.startswith("/manage/"))}
    assert endpoints == set(MANAGE_ROUTES) | set(PUBLIC_ROUTES)


@pytest.mark.parametrize("role", ROLES)
def test_admin_routes(app, world, role):
    client = _client(app, role)
    for endpoint, (method, template) in MANAGE_ROUTES.items():
        url = template.format(**world)
        response = client.open(url, method=method)
        where = f"{role} {method} {url} ({endpoint})"
        if role == "anonymous":
            assert response.status_code == 302, where
            assert "/auth/login" in response.headers["Location"], where
        elif role in ("examiner", "chair"):
            assert response.status_code == 403, where
        elif method == "GET":
            assert response.status_code == 200, where
        else:  # admin POSTs without a form: a redirect or a 400, never a refusal
            assert response.status_code in (200, 302, 400), where


@pytest.mark.parametrize("role", ["anonymous", "examiner"])
def test_admin_routes_answer_json_clients_with_json(app, world, role):
    client = _client(app, role)
    response = client.get("/manage/", headers={"Accept": "application/json"})
    assert response.status_code == (401 if role == "anonymous" else 403)
    assert response.is_json and response.get_json()["message"]


@pytest.mark.parametrize("role", ROLES)
def test_public_routes_need_no_login(app, world, role):
    client = _client(app, role)
    for endpoint, (method, url) in PUBLIC_ROUTES.items():
        response = client.open(url, method=method)
        assert response.status_code == 200, f"{role} {url} ({endpoint})"


def test_drafts_are_not_public_and_results_wait_for_closing(app, world):
    client = app.test_client()
    assert client.get("/public/S1/results").status_code == 200  # closed: published
    with app.app_context():
        from factories import example_rubric

        from scoring.workflow import create_session

        session = create_session("S2", "Second", dt.date(2025, 12, 1), example_rubric())
        set_session_status(session, "open")
        db.session.commit()
        sid = session.id
    assert client.get("/public/S2/").status_code == 200
    assert client.get("/public/S2/results").status_code == 404
    with app.app_context():
        from scoring.models import InterviewSession

        session = db.session.get(InterviewSession, sid)
        set_session_status(session, "draft", confirm=True)
        db.session.commit()
    for url in ("/public/S2/", "/public/S2/criteria.pdf", "/public/S2/results"):
        assert client.get(url).status_code == 404, url
    assert b"S2" not in client.get("/public/").data
