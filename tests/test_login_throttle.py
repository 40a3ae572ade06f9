"""Repeated failed logins of one username from one address are made to wait."""

from factories import PASSWORD
from sqlalchemy import select

from scoring import create_app, workflow
from scoring.extensions import db
from scoring.models import AuditEvent, User


def _user(app, username):
    with app.app_context():
        workflow.create_user(username, username.title(), "examiner", PASSWORD)
        db.session.commit()


def test_fifth_failure_locks_the_username_from_that_address(app, client, auth):
    _user(app, "budi")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert auth.login("budi", "wrong-password").status_code == 200
    locked = auth.login("budi", PASSWORD)  # even the right password waits now
    assert locked.status_code == 429
    assert "Terlalu banyak" in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


def test_other_addresses_and_usernames_are_not_affected(app, client, auth):
    _user(app, "budi")
    _user(app, "sari")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login("budi", "wrong-password")
    assert auth.login("sari", PASSWORD).status_code == 302
    client.post("/auth/logout")
    other = client.post("/auth/login", data={"username": "budi", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 302


def test_failures_outside_the_window_do_not_count(app, client, auth):
    _user(app, "budi")
    app.config["LOGIN_WINDOW_MINUTES"] = 0
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
        auth.login("budi", "wrong-password")
    assert auth.login("budi", PASSWORD).status_code == 302


# ---- issue 11, finding 2: a redeemed reset code ends the lockout; administrators unlock ----


def _lock_out(auth, username="budi"):
    for _ in range(5):
        auth.login(username, "wrong-password")
    assert auth.login(username, PASSWORD).status_code == 429


def test_redeemed_reset_code_clears_the_lockout(app, client, auth):
    _user(app, "budi")
    _lock_out(auth)
    with app.app_context():
        code = workflow.create_password_reset(db.session.scalar(
            select(User).where(User.username == "budi")))
        db.session.commit()
    redeemed = client.post("/auth/reset/", data={
        "code": code, "password": "a-new-password", "confirm": "a-new-password"})
    assert redeemed.status_code == 302
    assert auth.login("budi", "a-new-password").status_code == 302


def test_admin_sees_a_locked_account_and_unlocks_it(app, client, auth):
    _user(app, "budi")
    with app.app_context():
        workflow.create_user("admin", "Admin", "admin", "admin-password")
        db.session.commit()
        budi = db.session.scalar(select(User.id).where(User.username == "budi"))
    _lock_out(auth)
    auth.login("admin", "admin-password")
    page = client.get(f"/manage/users/{budi}").get_data(as_text=True)
    assert "<strong>terkunci</strong>" in page and f"/manage/users/{budi}/unlock" in page
    assert client.post(f"/manage/users/{budi}/unlock").status_code == 302
    page = client.get(f"/manage/users/{budi}").get_data(as_text=True)
    assert "<strong>terkunci</strong>" not in page and "/unlock" not in page
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.unlock"))
        assert event.actor == "admin" and '"failures":5' in event.data
    client.post("/auth/logout")
    assert auth.login("budi", PASSWORD).status_code == 302


def test_examiners_cannot_unlock(app, client, auth):
    _user(app, "budi")
    _user(app, "sari")
    auth.login("sari", PASSWORD)
    assert client.post("/manage/users/1/unlock").status_code == 403


# ---- issue 11, finding 3: behind a proxy, per account, per address, spraying ----------------


def _proxied_app(database_url, hops):
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": database_url, "PROXY_HOPS": hops,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    _user(app, "budi")
    _user(app, "sari")
    return app


def _attempt(app, username, password, forwarded_for):
    """Log in through the proxy at 10.0.0.1, as the client at ``forwarded_for``."""
    return app.test_client().post(
        "/auth/login", data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-For": forwarded_for})


def test_behind_a_trusted_proxy_clients_do_not_lock_each_other_out(database_url):
    app = _proxied_app(database_url, hops=1)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _attempt(app, "budi", "wrong-password", "198.51.100.1")
    assert _attempt(app, "budi", PASSWORD, "198.51.100.1").status_code == 429
    assert _attempt(app, "budi", PASSWORD, "198.51.100.3").status_code == 302
    assert _attempt(app, "sari", PASSWORD, "198.51.100.2").status_code == 302
    with app.app_context():
        ips = set(db.session.scalars(select(AuditEvent.ip).where(
            AuditEvent.action == "auth.login_failed")))
        db.session.remove()
        db.engine.dispose()
    assert "10.0.0.1" not in ips and "198.51.100.1" in ips


def test_without_proxy_hops_the_forwarded_header_is_ignored(database_url):
    app = _proxied_app(database_url, hops=0)
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        _attempt(app, "budi", "wrong-password", f"198.51.100.{n + 1}")  # chosen by the client
    assert _attempt(app, "budi", PASSWORD, "198.51.100.77").status_code == 429
    with app.app_context():
        assert set(db.session.scalars(select(AuditEvent.ip).where(
            AuditEvent.action == "auth.login_failed"))) == {"10.0.0.1"}
        db.session.remove()
        db.engine.dispose()


def test_one_account_from_many_addresses_is_throttled(app, client):
    _user(app, "budi")
    app.config.update(LOGIN_ACCOUNT_MAX_FAILURES=8)
    for n in range(8):
        client.post("/auth/login", data={"username": "budi", "password": "wrong-password"},
                    environ_base={"REMOTE_ADDR": f"10.9.0.{n}"})
    fresh = client.post("/auth/login", data={"username": "budi", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.9.1.1"})
    assert fresh.status_code == 429


def test_one_address_spraying_a_password_over_many_accounts_is_slowed(app, client):
    _user(app, "budi")
    spray = app.config["LOGIN_SPRAY_ACCOUNTS"]
    sprayer = {"REMOTE_ADDR": "10.6.6.6"}
    for n in range(spray):
        answer = client.post("/auth/login", data={"username": f"user{n}", "password": "Musim2026"},
                             environ_base=sprayer)
        assert answer.status_code == 200  # each account failed once: no account is locked
    refused = client.post("/auth/login", data={"username": "budi", "password": PASSWORD},
                          environ_base=sprayer)
    assert refused.status_code == 429
    assert "alamat jaringan" in refused.get_data(as_text=True)
    elsewhere = client.post("/auth/login", data={"username": "budi", "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert elsewhere.status_code == 302


def test_many_failures_from_one_address_are_slowed(app, client):
    _user(app, "budi")
    app.config.update(LOGIN_ADDRESS_MAX_FAILURES=6, LOGIN_MAX_FAILURES=100)
    for n in range(6):
        client.post("/auth/login", data={"username": ("a", "b")[n % 2] + "x", "password": "x"},
                    environ_base={"REMOTE_ADDR": "10.5.5.5"})
    refused = client.post("/auth/login", data={"username": "budi", "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.5.5.5"})
    assert refused.status_code == 429
