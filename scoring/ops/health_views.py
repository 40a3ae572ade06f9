"""``/healthz`` for the proxy and the supervisor: database reachable, migrations current."""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from ..database import applied_revisions

bp = Blueprint("health", __name__)

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@functools.cache
def migration_heads() -> frozenset[str]:
    """Return the head revision(s) of the shipped migrations (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


@bp.route("/healthz")
def healthz():
    """Answer 200 with JSON when the database answers and is migrated, else 503 and why."""
    heads = migration_heads()
    try:
        current = applied_revisions()
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        reason = f"database unreachable or not initialised: {type(cause).__name__}: {cause}"
        return _answer(503, reason[:300], heads, None)
    if current != heads:
        reason = ("migrations not current: database at "
                  f"{', '.join(sorted(current)) or 'none'}, code expects {', '.join(sorted(heads))}"
                  " (run `scoring db upgrade`)")
        return _answer(503, reason, heads, current)
    return _answer(200, None, heads, current)


def _answer(status: int, reason: str | None, heads, current):
    body = {"status": "ok" if status == 200 else "error",
            "database": "unreachable" if current is None else "ok",
            "migrations": sorted(heads), "revision": sorted(current) if current else None}
    if reason:
        body["reason"] = reason
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
