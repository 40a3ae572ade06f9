"""The web shell: login and logout, the role-aware home page, languages, errors, headers."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from scoring import workflow
from scoring.extensions import db
from scoring.models import AuditEvent, InterviewSession
from scoring.ops.builders import seat
from scoring.paths import data_dir
from scoring.web.helpers import is_safe_path

PASSWORD = "correct-horse"
CATALOG = data_dir("translations") / "id" / "LC_MESSAGES"


def make_user(app, username, role="examiner", *, active=True, full_name=None):
    """Create a user with PASSWORD and commit."""
    with app.app_context():
        user = workflow.create_user(username, full_name or username.title(), role, PASSWORD)
        user.active = active
        db.session.commit()
        return user.id


def csrf_token(html: str) -> str:
    """Return the value of the first csrf_token hidden input in ``html``."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token input in the page"
    return match.group(1)


def audit_actions(app) -> list[tuple[str, str]]:
    """Return (action, actor) of every audit event."""
    with app.app_context():
        return [(e.action, e.actor) for e in db.session.scalars(
            select(AuditEvent).order_by(AuditEvent.id))]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline_styles = 0
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href", "action", "formaction", "data", "poster", "srcset"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        if "style" in attrs:
            self.inline_styles += 1
        if tag == "script" and not attrs.get("src"):
            self.inline_scripts += 1
        if tag == "style":
            self.inline_styles += 1
        if any(name.startswith("on") for name in attrs):
            self.inline_scripts += 1


def assert_self_contained(html: str) -> None:
    """Fail if the page links to another host or carries inline script or style (CSP)."""
    parser = _Links()
    parser.feed(html)
    foreign = [u for u in parser.urls if urlsplit(u).scheme in ("http", "https") or
               u.startswith("//")]
    assert foreign == []
    assert re.search(r"https?://", html) is None
    assert parser.inline_styles == 0
    assert parser.inline_scripts == 0


def test_translations_are_compiled():
    assert (CATALOG / "messages.mo").is_file(), "run .ci/i18n compile (set-up does)"


def test_catalog_is_complete():
    with open(CATALOG / "messages.po", "rb") as f:
        catalog = read_po(f)
    bad = [m.id for m in catalog if m.id and (m.fuzzy or not all(
        m.string if isinstance(m.string, tuple) else (m.string,)))]
    assert bad == [], "translate these in translations/id/LC_MESSAGES/messages.po"


def test_scripted_login_with_csrf_lands_on_home(csrf_app):
    make_user(csrf_app, "siti", "examiner", full_name="Siti Rahma")
    client = csrf_app.test_client()
    page = client.get("/auth/login")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/auth/login", data={"username": "siti", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Siti Rahma" in home.get_data(as_text=True)


def test_login_without_csrf_token_is_refused_kindly(csrf_app):
    make_user(csrf_app, "siti")
    client = csrf_app.test_client()
    response = client.post("/auth/login", data={"username": "siti", "password": PASSWORD})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Formulir kedaluwarsa" in text
    assert client.get("/").status_code == 302


def test_form_level_csrf_error_is_translated(csrf_app):
    from scoring.web.forms import LoginForm

    with csrf_app.test_request_context("/", method="POST",
                                       data={"username": "a", "password": "b"}):
        form = LoginForm()
        assert not form.validate()
        assert [str(e) for e in form.csrf_token.errors] == [
            "Formulir sudah kedaluwarsa. Muat ulang halaman lalu coba lagi."
        ]


def test_csrf_error_as_json(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/auth/logout", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["error"] == "csrf"
    assert response.json["message"]


def test_wrong_password_and_unknown_user_look_the_same(app, client, auth):
    make_user(app, "budi")
    wrong = auth.login("budi", "not-the-password")
    unknown = auth.login("nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 200

    def alert(response):
        text = response.get_data(as_text=True)
        assert 'name="password"' in text
        return re.search(r'role="alert">([^<]+)<', text).group(1)

    assert alert(wrong) == alert(unknown)
    assert "salah" in alert(wrong)
    assert client.get("/").status_code == 302


def test_inactive_user_is_refused(app, client, auth):
    make_user(app, "lama", active=False)
    response = auth.login("lama", PASSWORD)
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_empty_form_shows_translated_field_errors(client):
    response = client.post("/auth/login", data={"username": "", "password": ""})
    text = response.get_data(as_text=True)
    assert "Isian ini wajib diisi." in text
    assert 'aria-invalid="true"' in text
    assert 'aria-describedby="username-error"' in text


def test_login_and_failure_are_audited(app, auth):
    make_user(app, "ani")
    auth.login("ani", "bad-password")
    auth.login("ani", PASSWORD)
    auth.logout()
    assert audit_actions(app)[-3:] == [
        ("auth.login_failed", "ani"), ("auth.login", "ani"), ("auth.logout", "ani")
    ]
    with app.app_context():
        assert workflow.verify_chain().ok


def test_logout_requires_post(app, client, auth):
    make_user(app, "ani")
    auth.login("ani", PASSWORD)
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_logout_requires_csrf(csrf_app):
    make_user(csrf_app, "ani")
    client = csrf_app.test_client()
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"username": "ani", "password": PASSWORD,
                                     "csrf_token": token})
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "http:/evil.example",
    "javascript:alert(1)", "evil.example", "/%0d%0aSet-Cookie:x", "\t//evil.example",
])
def test_next_refuses_other_sites(app, client, target):
    make_user(app, "ani")
    response = client.post("/auth/login", query_string={"next": target},
                           data={"username": "ani", "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/" or not urlsplit(location).netloc


def test_next_honours_same_site_path(app, client):
    make_user(app, "ani")
    response = client.get("/", follow_redirects=False)
    assert response.headers["Location"] == "/auth/login?next=/"
    response = client.post("/auth/login?next=/lang-test%3Fx%3D1",
                           data={"username": "ani", "password": PASSWORD})
    assert response.headers["Location"] == "/lang-test?x=1"


def test_is_safe_path():
    assert is_safe_path("/sheets/3?x=1")
    for bad in ("", None, "//x.org", "/\\x.org", "https://x.org/", "x", "/a\nb"):
        assert not is_safe_path(bad)


def _seed_session(app):
    """One session, one panel chaired by 'ketua' with examiners 'e1', 'e2'; two candidates."""
    from scoring.rubrics import load_rubric

    rubric_path = data_dir("rubrics") / "example-en.yaml"
    with app.app_context():
        users = {name: workflow.create_user(name, name.upper(), role, PASSWORD)
                 for name, role in [("boss", "admin"), ("ketua", "chair"),
                                    ("e1", "examiner"), ("e2", "examiner"),
                                    ("e3", "examiner")]}
        session = workflow.create_session("PRM-2025-01", "Seleksi PPPK Pariaman",
                                          date(2025, 3, 12), load_rubric(rubric_path),
                                          place="Balai Kota")
        panel = workflow.create_panel(session, "Panel Satu", [users["e1"], users["e2"]],
                                      chair=users["ketua"], room="Ruang 2")
        for number in ("P-001", "P-002"):
            seat(panel, number, f"Calon {number}")
        db.session.commit()


def test_home_differs_by_role(app, client, auth):
    _seed_session(app)
    with app.app_context():  # a chair's home lists sessions under way, not drafts (issue 13)
        session = db.session.scalar(db.select(InterviewSession))
        workflow.set_session_status(session, "open")
        db.session.commit()
    pages = {}
    for username in ("boss", "ketua", "e1", "e3"):
        auth.login(username, PASSWORD)
        response = client.get("/")
        assert response.status_code == 200
        pages[username] = response.get_data(as_text=True)
        assert_self_contained(pages[username])
        auth.logout()
    assert "PRM-2025-01" in pages["boss"] and "Sesi wawancara" in pages["boss"]
    assert "12 Maret 2025" in pages["boss"]
    assert "0 dari 4 lembar" in pages["boss"]
    assert "Panel yang Anda pimpin" in pages["ketua"] and "Panel Satu" in pages["ketua"]
    assert "Panel Satu" in pages["e1"] and "Panel yang Anda pimpin" not in pages["e1"]
    assert "0 dari 2 lembar" in pages["e1"]
    assert "Panel Satu" not in pages["e3"]
    assert "PRM-2025-01" not in pages["e1"]
    # The scoring view exists (issue 4): examiners get the link, others do not.
    assert 'href="/examine/"' in pages["e1"] and "Mulai menilai" in pages["e1"]
    assert "Mulai menilai" not in pages["boss"]


def test_start_scoring_link_appears_when_the_view_exists(database_url, tmp_path):
    from scoring import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": database_url})
    assert "examine.queue" in app.view_functions  # every blueprint is always registered
    _seed_session(app)
    with app.app_context():  # a draft session's panels are not on the home page (issue 13)
        workflow.set_session_status(db.session.scalar(db.select(InterviewSession)), "open")
        db.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"username": "e1", "password": PASSWORD})
    text = client.get("/").get_data(as_text=True)
    assert 'href="/examine/"' in text and "Mulai menilai" in text
    with app.app_context():
        db.engine.dispose()


def test_language_switch(app, client, auth):
    make_user(app, "ani")
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="id">' in page and "Penilaian Wawancara" in page and "Masuk" in page
    response = client.post("/lang/en", data={"next": "/auth/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Interview Scoring" in page
    assert "Penilaian Wawancara" not in page
    auth.login("ani", PASSWORD)
    assert "Welcome" in client.get("/").get_data(as_text=True)
    client.post("/lang/id", data={"next": "/"})
    assert "Selamat datang" in client.get("/").get_data(as_text=True)


def test_language_switch_refuses_foreign_redirect_and_unknown_language(client):
    response = client.post("/lang/en", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert client.post("/lang/xx").status_code == 404
    assert client.get("/lang/en").status_code == 405


def test_error_pages_are_translated(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.get_data(as_text=True)
    client.post("/lang/en")
    assert "Page not found" in client.get("/no-such-page").get_data(as_text=True)


def test_json_errors(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json == {"error": 404, "message": "Halaman yang Anda minta tidak ada."}
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.is_json


def test_unauthenticated_json_gets_401(client):
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json["error"] == 401


def test_server_error_page(database_url):
    from scoring import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "PROPAGATE_EXCEPTIONS": False,
                      "SQLALCHEMY_DATABASE_URI": database_url})

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Kesalahan server" in text and "secret detail" not in text
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("code, heading", [
    (400, "Permintaan tidak valid"), (403, "Akses ditolak"),
    (413, "Tindakan tidak dapat diselesaikan"),
])
def test_error_page_templates(database_url, code, heading):
    from flask import abort

    from scoring import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": database_url})
    app.add_url_rule("/fail", "fail", lambda: abort(code))
    response = app.test_client().get("/fail")
    assert response.status_code == code
    assert heading in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_security_headers(client):
    for response in (client.get("/auth/login"), client.get("/nope"),
                     client.get("/static/css/app.css")):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "form-action 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        response.close()


def test_pages_are_self_contained(app, client, auth):
    make_user(app, "boss", "admin")
    for path in ("/auth/login", "/nope"):
        assert_self_contained(client.get(path).get_data(as_text=True))
    auth.login("boss", PASSWORD)
    assert_self_contained(client.get("/").get_data(as_text=True))
    css = Path(data_dir("static"), "css", "app.css").read_text()
    assert re.search(r"https?://|@import", css) is None


def test_home_queries_count_sheets(app):
    from factories import full_state, make_world

    from scoring.home import queries

    with app.app_context():
        world = make_world(candidates_per_panel=3)
        chair, ex1, ex2 = world.examiners[0]
        first, second, _ = world.assignments[0]
        for assignment in (first, second):
            workflow.declare_conflict(assignment, ex1, "none")
        workflow.submit_sheet(first, ex1, client_id="t", seq=1,
                              scores=full_state(world.rubric))
        workflow.submit_sheet(second, ex1, client_id="t", seq=1,
                              scores=full_state(world.rubric))
        workflow.declare_conflict(first, ex2, "family", "Cousin")
        db.session.commit()

        [session] = queries.admin_sessions()
        assert session.candidates == 6
        # 2 panels x 3 candidates x 3 members, less one recusal.
        assert (session.progress.submitted, session.progress.expected) == (2, 17)

        [chaired] = queries.chaired_panels(chair)
        assert (chaired.candidates, chaired.members) == (3, 3)
        assert (chaired.progress.submitted, chaired.progress.expected) == (2, 8)
        assert chaired.progress.percent == 25

        [own] = queries.examiner_panels(ex1)
        assert (own.progress.submitted, own.progress.expected) == (2, 3)
        [recused] = queries.examiner_panels(ex2)
        assert (recused.progress.submitted, recused.progress.expected) == (0, 2)
        assert queries.chaired_panels(ex1) == []


def test_role_required(database_url):
    from scoring import create_app
    from scoring.web.helpers import role_required

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": database_url})
    app.add_url_rule("/admin-only", "admin_only", role_required("admin")(lambda: "ok"))
    make_user(app, "boss", "admin")
    make_user(app, "ani", "examiner")
    client = app.test_client()
    assert client.get("/admin-only").status_code == 302
    client.post("/auth/login", data={"username": "ani", "password": PASSWORD})
    assert client.get("/admin-only").status_code == 403
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "boss", "password": PASSWORD})
    assert client.get("/admin-only").get_data(as_text=True) == "ok"
    with app.app_context():
        db.engine.dispose()
