"""Access matrix: every route of the examiner's pages x every kind of user.

Each cell asserts the exact status, and that nothing a colleague wrote (their notes, their
amendment's reason) appears in the body - not in pages, not in JSON, not in errors.
"""

from __future__ import annotations

import base64

import pytest
from factories import PASSWORD, full_state, make_world

from scoring.extensions import db
from scoring.workflow import declare_conflict, request_amendment, save_draft, submit_sheet

SECRETS = ("SECRET-EX12-NOTE", "SECRET-EX12-DRAFT", "SECRET-EX12-REASON")
PNG = ("data:image/png;base64," + base64.b64encode(base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5Er"
    "kJggg==")).decode())

ROLES = ("anonymous", "examiner", "other_examiner", "chair", "admin")
USERS = {"examiner": "ex11", "other_examiner": "ex21", "chair": "chair1", "admin": "admin"}


def _seed(app) -> dict:
    """Candidate A (panel 1): ex11 has a draft, colleague ex12 submitted and asked to amend."""
    with app.app_context():
        world = make_world()
        chair, ex11, ex12 = world.examiners[0]
        a, b = world.assignments[0][0], world.assignments[0][1]
        secret = full_state(world.rubric, 5)
        for entry in secret.values():
            entry["note"] = "SECRET-EX12-NOTE"
        declare_conflict(a, ex12, "none")
        receipt = submit_sheet(a, ex12, client_id="ex12", seq=1, scores=secret)
        from scoring.models import ScoreSheet

        sheet = db.session.get(ScoreSheet, receipt.sheet_id)
        amendment = request_amendment(sheet, ex12, {"TEAM": {"level": 1,
                                                             "note": "SECRET-EX12-NOTE"}},
                                      "SECRET-EX12-REASON")
        declare_conflict(b, ex12, "none")
        save_draft(b, ex12, {"TEAM": {"level": 2, "note": "SECRET-EX12-DRAFT"}},
                   client_id="d", seq=1)
        declare_conflict(a, ex11, "none")
        save_draft(a, ex11, {"TEAM": {"level": 3, "note": "own note"}}, client_id="o", seq=1)
        db.session.commit()
        return {"a": a.id, "b": b.id, "amendment": amendment.id,
                "full": full_state(world.rubric, 4)}


def _routes(ids: dict) -> dict:
    a = ids["a"]
    return {
        "queue": ("GET", "/examine/", None),
        "declare_form": ("GET", f"/examine/{a}/declare", None),
        "declare": ("POST", f"/examine/{a}/declare", {"data": {"relationship": "none"}}),
        "sheet": ("GET", f"/examine/{a}", None),
        "colleague_draft_candidate": ("GET", f"/examine/{ids['b']}", None),
        "amend_form": ("GET", f"/examine/{a}/amend", None),
        "amend": ("POST", f"/examine/{a}/amend", {"data": {"reason": "x"}}),
        "api_draft": ("POST", f"/api/examine/{a}/draft",
                      {"json": {"client_id": "c", "seq": 5, "scores": {}}}),
        "api_submit": ("POST", f"/api/examine/{a}/submit",
                       {"json": {"client_id": "s", "seq": 6, "scores": ids["full"],
                                 "signature": PNG}}),
        "api_state": ("GET", f"/api/examine/{a}/state", None),
        "api_state_colleague_draft": ("GET", f"/api/examine/{ids['b']}/state", None),
        "amendments": ("GET", "/chair/amendments/", None),
        "decide": ("POST", f"/chair/amendments/{ids['amendment']}",
                   {"data": {"decision": "approve", "note": ""}}),
        "service_worker": ("GET", "/examine/sw.js", None),
    }


# Expected status per route and role (anonymous pages redirect to the login, JSON says 401).
EXPECTED = {
    #                           anonymous examiner other chair admin
    "queue":                     (302, 200, 200, 200, 403),
    "declare_form":              (302, 302, 404, 200, 403),
    "declare":                   (302, 302, 404, 302, 403),
    "sheet":                     (302, 200, 404, 302, 403),
    "colleague_draft_candidate": (302, 302, 404, 302, 403),
    "amend_form":                (302, 409, 404, 409, 403),
    "amend":                     (302, 409, 404, 409, 403),
    "api_draft":                 (401, 200, 404, 409, 403),
    "api_submit":                (401, 200, 404, 409, 403),
    "api_state":                 (401, 200, 404, 200, 403),
    "api_state_colleague_draft": (401, 200, 404, 200, 403),
    "amendments":                (302, 403, 403, 200, 200),
    "decide":                    (302, 403, 403, 404, 404),
    "service_worker":            (200, 200, 200, 200, 200),
}


def test_the_matrix_covers_every_route_of_the_issue(app):
    rules = {r.rule for r in app.url_map.iter_rules()
             if r.endpoint.split(".")[0] in ("examine", "examine_api", "chair_amend")}
    covered = {"/examine/", "/examine/<int:assignment_id>/declare",
               "/examine/<int:assignment_id>", "/examine/<int:assignment_id>/amend",
               "/api/examine/<int:assignment_id>/draft", "/api/examine/<int:assignment_id>/submit",
               "/api/examine/<int:assignment_id>/state", "/chair/amendments/",
               "/chair/amendments/<int:amendment_id>", "/examine/sw.js"}
    assert rules == covered


# Reads first, then writes in an order where no write changes a later cell's answer (the
# chair declares last, after the API has refused them for having no declaration).
ORDER = ["queue", "declare_form", "sheet", "colleague_draft_candidate", "amend_form",
         "api_state", "api_state_colleague_draft", "amendments", "service_worker",
         "amend", "api_draft", "api_submit", "decide", "declare"]


def test_order_covers_the_table():
    assert sorted(ORDER) == sorted(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
def test_access(app, client, auth, role):
    ids = _seed(app)
    routes = _routes(ids)
    if role != "anonymous":
        password = "admin-password" if role == "admin" else PASSWORD
        assert auth.login(USERS[role], password).status_code == 302
    wrong = []
    for route in ORDER:
        method, path, kwargs = routes[route]
        response = client.open(path, method=method, **(kwargs or {}))
        expected = EXPECTED[route][ROLES.index(role)]
        body = response.get_data(as_text=True)
        if response.status_code != expected:
            wrong.append(f"{route}: {response.status_code} != {expected}: {body[:200]}")
        leaked = [secret for secret in SECRETS if secret in body]
        assert not leaked, f"{route} shows {leaked} to {role}"
        if path.startswith("/api/") and response.status_code >= 400:
            assert set(response.get_json()) <= {"error", "message", "missing"}
        if response.status_code == 302 and role == "anonymous":
            assert "/auth/login" in response.location
    assert not wrong, "\n".join(wrong)
