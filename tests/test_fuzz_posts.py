"""Hypothesis-generated bodies for every POST endpoint of the URL map (issue 11, standing check).

Wrong types, huge values, unicode, missing and extra fields, JSON where a form is expected and
the reverse, and (with CSRF on) missing or wrong tokens: never a 500, and a refused request
(4xx) changes nothing: every table's rows and the audit chain's head are as before. The
endpoints come from the URL map, so a new POST route is fuzzed without touching this file.
"""

from __future__ import annotations

import hashlib
import json
import re
import time

import pytest
from factories import PASSWORD, make_world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from scoring import create_app
from scoring.extensions import db
from scoring.models import Candidate

EXAMPLES = 10  # per endpoint; 4 where one request takes over 0.25 s (keeps the file < 60 s)


def _post_rules() -> list[str]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "x"})
    return sorted({r.rule for r in app.url_map.iter_rules()
                   if "POST" in (r.methods or ()) and r.endpoint != "static"})


POST_RULES = _post_rules()

# Who may reach a route (so the fuzzed body reaches the handler, not the login redirect).
ROLE_BY_PREFIX = (("/api/examine", "ex11"), ("/examine", "ex11"), ("/chair", "chair1"),
                  ("/discussion", "chair1"), ("/manage", "admin"), ("/documents", "admin"))
PASSWORDS = {"admin": "admin-password"}

GENERIC_FIELDS = ["csrf_token", "next", "token", "level", "criterion", "reason", "note",
                  "numbers", "order", "score", "override_score", "override_reason", "username",
                  "password", "full_name", "role", "nik", "nip", "email", "name", "code",
                  "held_on", "place", "rubric_file", "members", "chair", "quorum", "status",
                  "relationship", "decision", "session", "file", "active", "confirm", "lang"]
JSON_FIELDS = ["scores", "seq", "client_id", "signature", "state", "note", "level"]

ODD_TEXT = ["", " ", "0", "-1", "1e309", "NaN", "Infinity", "null", "true", "[]", "{}",
            "\x00", "²", "١٢٣", "９", "=cmd|'/c calc'!A0", "../../etc/passwd", "<script>",
            "ś" * 300, "9" * 40, "a" * 5000, "2026-02-30", "data:image/png;base64,AAAA"]

scalar_text = st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=40),
                        st.integers(min_value=-2**70, max_value=2**70).map(str))
form_values = st.one_of(scalar_text, st.lists(scalar_text, min_size=1, max_size=3))
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                      st.floats(allow_nan=False), st.sampled_from(ODD_TEXT), st.text(max_size=30))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


def _form_bodies(names: list[str]):
    keys = st.one_of(st.sampled_from(names), st.text(max_size=12))
    return st.dictionaries(keys, form_values, max_size=10)


def _json_bodies():
    keyed = st.dictionaries(st.one_of(st.sampled_from(JSON_FIELDS), st.text(max_size=8)),
                            json_value, max_size=6)
    return st.one_of(keyed, json_value)


def _ids(world) -> dict:
    first = world.assignments[0][0]
    return {"assignment_id": first.id, "session_id": world.session.id,
            "panel_id": world.panels[0].id, "user_id": world.examiners[0][1].id,
            "candidate_id": first.candidate_id, "amendment_id": 1, "code": "en",
            "kind": "candidates", "status": "open", "token": "0" * 26, "fmt": "csv"}


def _url(rule: str, ids: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), "x")), rule)


def _user_for(rule: str) -> str:
    return next((user for prefix, user in ROLE_BY_PREFIX if rule.startswith(prefix)), "admin")


def _login(client, username: str) -> None:
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": username,
                                     "password": PASSWORDS.get(username, PASSWORD)})


def snapshot() -> str:
    """Return a digest of every row of every table, and of the audit head."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{len(rows)}:{rows!r}".encode())
    digest.update(repr(db.session.execute(text("SELECT last_id, last_hash FROM audit_head"))
                       .all()).encode())
    db.session.rollback()
    return digest.hexdigest()


def _field_names(client, url: str) -> list[str]:
    page = client.get(url)
    names = re.findall(r'name="([^"]+)"', page.get_data(as_text=True)) if page.status_code == 200 \
        else []
    return sorted(set(names) | set(GENERIC_FIELDS))


def _check(app, client, url: str, send) -> None:
    with app.app_context():
        before = snapshot()
    response = send()
    assert response.status_code < 500, (url, response.status_code,
                                        response.get_data(as_text=True)[:500])
    if response.status_code >= 400:
        with app.app_context():
            assert snapshot() == before, (url, response.status_code, "refused but written")


FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.mark.parametrize("rule", POST_RULES)
def test_post_endpoint_survives_fuzzed_bodies(app, rule):
    with app.app_context():
        ids = _ids(make_world(candidates_per_panel=2, status="open"))
    url = _url(rule, ids)
    client = app.test_client()
    user = _user_for(rule)
    _login(client, user)
    started = time.perf_counter()
    names = _field_names(client, url)
    examples = EXAMPLES if time.perf_counter() - started < 0.25 else 4

    @settings(FUZZ, max_examples=examples)
    @given(form=_form_bodies(names), payload=_json_bodies(), as_json=st.booleans())
    def run(form, payload, as_json):
        _login(client, user)
        if as_json:
            _check(app, client, url, lambda: client.post(
                url, data=json.dumps(payload), content_type="application/json"))
        else:
            _check(app, client, url, lambda: client.post(url, data=form))

    run()


def test_every_post_refuses_a_missing_or_wrong_csrf_token(csrf_app):
    with csrf_app.app_context():
        ids = _ids(make_world(candidates_per_panel=1, status="open"))

    def login(username: str):
        client = csrf_app.test_client()
        page = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        client.post("/auth/login", data={"username": username, "csrf_token": token,
                                         "password": PASSWORDS.get(username, PASSWORD)})
        return client

    def refused(client, url: str):
        @settings(max_examples=4, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(token=st.one_of(st.none(), st.text(max_size=60), st.just("x" * 90)),
               form=_form_bodies(GENERIC_FIELDS))
        def run(token, form):
            body = {**form}
            body.pop("csrf_token", None)
            headers = {}
            if token is not None:
                body["csrf_token"] = token
                if not set(token) & {"\r", "\n"}:  # no valid HTTP header carries these
                    headers["X-CSRFToken"] = token
            with csrf_app.app_context():
                before = snapshot()
            response = client.post(url, data=body, headers=headers)
            assert response.status_code in (400, 403, 404, 405, 413), (url, response.status_code)
            with csrf_app.app_context():
                assert snapshot() == before, (url, "written without a valid CSRF token")

        return run

    for rule in POST_RULES:
        refused(login(_user_for(rule)), _url(rule, ids))()


def test_the_snapshot_sees_a_write(app):
    """The no-partial-write check above can fail: one changed value changes the digest."""
    with app.app_context():
        make_world(candidates_per_panel=1)
        before = snapshot()
        db.session.scalars(select(Candidate)).first().name = "Changed"
        db.session.commit()
        assert snapshot() != before
