"""Shared fixtures: an app on a fresh database (SQLite, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scoring import create_app
from scoring.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
GENESIS = "0" * 64


def _worker() -> str:
    return re.sub(r"\W", "", os.environ.get("PYTEST_XDIST_WORKER", "main"))


def _migrate(url: str, instance: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test", "TESTING": True})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate one database per test process; tests get copies (SQLite) or truncation (PG)."""
    instance = tmp_path_factory.mktemp("instance")
    if TEST_DATABASE_URL:
        base = make_url(TEST_DATABASE_URL)
        # One database per test process, named after the URL's, so several checkouts can
        # share one server (scoring_test -> scoring_test_gw0, scoring_test_h1 -> ..._h1_gw0).
        url = base.set(database=f"{base.database or 'scoring_test'}_{_worker()}")
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
        url_s = url.render_as_string(hide_password=False)
        _migrate(url_s, instance)
        yield {"kind": "postgresql", "url": url_s}
    else:
        path = instance / "template.sqlite"
        _migrate(f"sqlite:///{path}", instance)
        yield {"kind": "sqlite", "path": path}


def _reset_postgresql(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [
            r[0] for r in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            ))
        ]
        conn.execute(text(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        ))
        conn.execute(text(
            f"INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '{GENESIS}')"
        ))
        # A tampering test that failed half-way may have left the append-only guard off.
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    engine.dispose()


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    """Return the URL of an empty, migrated database for this test."""
    if database_template["kind"] == "postgresql":
        _reset_postgresql(database_template["url"])
        return database_template["url"]
    path = tmp_path / "scoring.sqlite"
    shutil.copyfile(database_template["path"], path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    """Return an application bound to a fresh database."""
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
        "PUBLIC_BASE_URL": "http://localhost",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "HUEY_IMMEDIATE": True,  # background jobs run where they are queued
    })
    app.instance_path = str(instance)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def csrf_app(database_url, tmp_path):
    """Return an application with CSRF protection on, as in production."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_BASE_URL": "http://localhost",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "HUEY_IMMEDIATE": True,
    })
    app.instance_path = str(tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """Return a test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner bound to the app."""
    return app.test_cli_runner()


class AuthActions:
    """Log a test client in and out."""

    def __init__(self, client):
        self._client = client

    def login(self, username="admin", password="admin-password"):
        return self._client.post(
            "/auth/login", data={"username": username, "password": password}
        )

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    """Return login/logout helpers for ``client``."""
    return AuthActions(client)


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, run only the tests that use a database; the rest ran on SQLite."""
    if not TEST_DATABASE_URL:
        return
    keep, drop = [], []
    for item in items:
        (keep if "database_url" in getattr(item, "fixturenames", ()) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def declared_examiner(app, client):
    """Log ex11 in, declared (no conflict) for a candidate; return (assignment id, rubric)."""
    from factories import PASSWORD, make_world

    from scoring.workflow import declare_conflict

    with app.app_context():
        world = make_world()
        assignment = world.assignments[0][0]
        declare_conflict(assignment, world.examiners[0][1], "none")
        db.session.commit()
        aid, rubric = assignment.id, world.rubric
    client.post("/auth/login", data={"username": "ex11", "password": PASSWORD})
    return aid, rubric
