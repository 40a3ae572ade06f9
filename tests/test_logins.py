"""Logins that end (issue 11, finding 1): logout, reset, new password, deactivation, idle time.

Each login is a row of ``login_session``; the session and remember-me cookies carry its token.
Before, the remember cookie was the same on every login and both cookies kept working after
logout and after a password reset: the replay tests below passed against the old code.
"""

from __future__ import annotations

from datetime import timedelta

from factories import PASSWORD
from sqlalchemy import select, update

from scoring import workflow
from scoring.extensions import db
from scoring.models import LoginSession, User, utcnow

ADDRESS = {"REMOTE_ADDR": "10.0.0.7"}


def _user(app, username="budi", role="examiner"):
    with app.app_context():
        user = workflow.create_user(username, username.title(), role, PASSWORD)
        db.session.commit()
        return user.id


def _login(client, username="budi", password=PASSWORD, remember=True):
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data, environ_base=ADDRESS)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _cookie(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def _logged_in(client) -> bool:
    """Return whether ``client``'s cookies open a page that needs a login."""
    return client.get("/examine/").status_code == 200


def _fresh_client(app, **cookies):
    """Return a new client (another browser) holding only ``cookies``."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value, domain="localhost")
    return other


def test_remember_cookie_differs_per_login(app, client):
    _user(app)
    _login(client)
    first = _cookie(client, "remember_token")
    client.post("/auth/logout")
    _login(client)
    second = _cookie(client, "remember_token")
    assert first and second and first != second


def test_replayed_remember_cookie_fails_after_logout(app, client):
    _user(app)
    _login(client)
    remember = _cookie(client, "remember_token")
    assert _logged_in(_fresh_client(app, remember_token=remember))  # it works while logged in
    client.post("/auth/logout")
    assert not _logged_in(_fresh_client(app, remember_token=remember))


def test_replayed_session_cookie_fails_after_logout(app, client):
    _user(app)
    _login(client, remember=False)
    session = _cookie(client, "session")
    assert _logged_in(_fresh_client(app, session=session))
    client.post("/auth/logout")
    assert not _logged_in(_fresh_client(app, session=session))
    assert not _logged_in(client)


def test_cookies_fail_after_a_password_reset(app, client):
    user_id = _user(app)
    _login(client)
    session, remember = _cookie(client, "session"), _cookie(client, "remember_token")
    with app.app_context():
        user = db.session.get(User, user_id)
        code = workflow.create_password_reset(user)
        db.session.commit()
    anonymous = app.test_client()
    redeemed = anonymous.post("/auth/reset/", data={
        "code": code, "password": "a-new-password", "confirm": "a-new-password"})
    assert redeemed.status_code == 302, redeemed.get_data(as_text=True)
    assert not _logged_in(_fresh_client(app, session=session))
    assert not _logged_in(_fresh_client(app, remember_token=remember))
    assert not _logged_in(client)


def test_logout_ends_only_that_login(app, client):
    _user(app)
    tablet, laptop = client, app.test_client()
    _login(tablet)
    _login(laptop)
    tablet.post("/auth/logout")
    assert not _logged_in(tablet)
    assert _logged_in(laptop)
    with app.app_context():
        reasons = db.session.scalars(select(LoginSession.end_reason)
                                     .order_by(LoginSession.id)).all()
    assert reasons == ["logout", None]


def test_new_password_and_deactivation_end_every_login(app, client):
    user_id = _user(app)
    tablet, laptop = client, app.test_client()
    _login(tablet)
    _login(laptop)
    with app.app_context():
        workflow.set_password(db.session.get(User, user_id), "another-password")
        db.session.commit()
    assert not _logged_in(tablet) and not _logged_in(laptop)
    _login(tablet, password="another-password")
    assert _logged_in(tablet)
    with app.app_context():
        workflow.set_active(db.session.get(User, user_id), False)
        db.session.commit()
        assert workflow.live_login_count(db.session.get(User, user_id)) == 0
    assert not _logged_in(tablet)


def _age_logins(app, minutes: int) -> None:
    with app.app_context():
        db.session.execute(update(LoginSession).values(
            last_seen_at=utcnow() - timedelta(minutes=minutes)))
        db.session.commit()


def test_idle_login_ends_on_the_server(app, client):
    _user(app)
    _login(client)
    remember = _cookie(client, "remember_token")
    _age_logins(app, app.config["LOGIN_IDLE_MINUTES"] - 5)
    assert _logged_in(client)  # activity within the limit keeps it alive ...
    with app.app_context():
        seen = db.session.scalar(select(LoginSession.last_seen_at))
    assert utcnow() - seen < timedelta(minutes=1)  # ... and counts as activity
    _age_logins(app, app.config["LOGIN_IDLE_MINUTES"] + 1)
    api = client.post("/api/examine/1/draft", json={"seq": 1, "scores": {}},
                      headers={"Accept": "application/json"})
    assert api.status_code == 401  # the tablet's script keeps its drafts and retries
    page = client.get("/examine/", follow_redirects=True)
    assert "tanpa aktivitas" in page.get_data(as_text=True)
    assert not _logged_in(_fresh_client(app, remember_token=remember))
    with app.app_context():
        assert db.session.scalar(select(LoginSession.end_reason)) == "idle"
    _login(client)
    assert _logged_in(client)


def test_idle_minutes_are_configurable(app, client):
    _user(app)
    app.config["LOGIN_IDLE_MINUTES"] = 5
    _login(client)
    _age_logins(app, 6)
    assert not _logged_in(client)


def _set_cookie_headers(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_cookie_flags_over_http(app, client):
    _user(app)
    cookies = _set_cookie_headers(_login(client))
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
        assert "Secure" not in cookies[name]


def test_cookies_are_secure_over_https(app, client):
    _user(app)
    response = client.post("/auth/login", data={
        "username": "budi", "password": PASSWORD, "remember": "y"}, base_url="https://localhost")
    cookies = _set_cookie_headers(response)
    for name in ("session", "remember_token"):
        assert "; Secure" in cookies[name] and "HttpOnly" in cookies[name]


def test_forwarded_proto_counts_only_behind_a_trusted_proxy(database_url, tmp_path):
    from scoring import create_app

    for hops, secure in ((0, False), (1, True)):
        app = create_app({"TESTING": True, "SECRET_KEY": "s", "WTF_CSRF_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": database_url, "PROXY_HOPS": hops,
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        if hops == 0:
            _user(app)
        response = app.test_client().post(
            "/auth/login", data={"username": "budi", "password": PASSWORD, "remember": "y"},
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
        assert response.status_code == 302
        cookies = _set_cookie_headers(response)
        assert ("; Secure" in cookies["session"]) is secure
        assert ("; Secure" in cookies["remember_token"]) is secure
        with app.app_context():
            db.engine.dispose()


def test_cookie_secure_setting_forces_it(database_url):
    from scoring import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "s", "SQLALCHEMY_DATABASE_URI": database_url,
                      "COOKIE_SECURE": True})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    with app.app_context():
        db.engine.dispose()


def test_a_read_only_request_records_activity_beside_another_writer(app, client, monkeypatch):
    """SQLite: the activity touch of a GET is a write; made inside the GET's deferred read
    transaction after another connection committed, it failed at once ("database is
    locked", a 500), whatever the busy timeout. Seen under load by bench_exam_day."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        import pytest

        pytest.skip("SQLite's deferred transactions")
    import sqlite3

    from scoring.workflow import logins

    _user(app)
    _login(client)
    _age_logins(app, 5)  # due for a touch, far from idle
    real = logins.utcnow

    def another_writer_commits():
        with sqlite3.connect(url.removeprefix("sqlite:///")) as other:
            other.execute("UPDATE user SET full_name = full_name || '.'")
        return real()

    monkeypatch.setattr(logins, "utcnow", another_writer_commits)
    assert client.get("/examine/").status_code == 200
    with app.app_context():
        seen = db.session.scalar(select(LoginSession.last_seen_at))
    assert real() - seen < timedelta(minutes=1)


def test_the_password_is_checked_before_the_write_lock_is_taken(app, client, monkeypatch):
    """SQLite: a login POST held the write lock while scrypt ran, so a burst of logins (a whole
    room of tablets at 8:00) stalled every save and ended in 500s ("database is locked")."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        import pytest

        pytest.skip("SQLite's write lock")
    import sqlite3

    _user(app)
    real = User.check_password
    took = []

    def check_while_another_writes(self, password):
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails at once if the login holds the lock
            took.append(True)
            other.rollback()
        finally:
            other.close()
        return real(self, password)

    monkeypatch.setattr(User, "check_password", check_while_another_writes)
    _login(client)
    assert took == [True]
    assert _logged_in(client)
    with app.app_context():
        assert db.session.scalar(select(LoginSession.user_id)) is not None
