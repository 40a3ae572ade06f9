"""Repeated failed logins of one username from one address are made to wait."""

from factories import PASSWORD

from scoring import workflow
from scoring.extensions import db


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
