"""``/healthz``: 200 JSON when the database answers and is migrated; 503 with the reason."""

from __future__ import annotations

from sqlalchemy import text

from scoring import create_app
from scoring.extensions import db
from scoring.ops.health_views import migration_heads


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["revision"] == body["migrations"] == sorted(migration_heads())
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_migrations_are_behind(app, client):
    head = sorted(migration_heads())[0]
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()
    try:
        response = client.get("/healthz")
    finally:  # PostgreSQL test databases are reused: put the version back
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
            db.session.commit()
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["revision"] == ["0001"]
    assert "migrations not current" in body["reason"] and "scoring db upgrade" in body["reason"]


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI":
                      f"sqlite:///{tmp_path / 'no-such-folder' / 'scoring.sqlite'}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "unreachable" and "unreachable" in body["reason"]
    with app.app_context():
        db.engine.dispose()
