"""SQLite runs in WAL mode, waits for locks, and takes the write lock when a transaction begins."""

import sqlite3

import pytest
from sqlalchemy import text

from scoring.extensions import db


@pytest.fixture
def sqlite_app(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite-specific")
    return app


def test_pragmas(sqlite_app):
    with sqlite_app.app_context():
        conn = db.session.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_every_transaction_takes_the_write_lock_at_begin(sqlite_app):
    """A plain read inside the app's transaction already blocks other writers (BEGIN IMMEDIATE)."""
    with sqlite_app.app_context():
        db.session.execute(text("SELECT count(*) FROM candidate")).scalar()  # read only
        path = db.engine.url.database
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        db.session.rollback()
        other.execute("BEGIN IMMEDIATE")  # free again once the app's transaction ended
        other.execute("ROLLBACK")
        other.close()


def test_database_url_from_environment(monkeypatch):
    from scoring.config import database_url_from_env

    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h/db")
    assert database_url_from_env() == "postgresql+psycopg://u:p@h/db"
    monkeypatch.setenv("SCORING_DATABASE_URL", "sqlite:////tmp/x.sqlite")
    assert database_url_from_env() == "sqlite:////tmp/x.sqlite"
