"""A demo instance for the benchmarks: a new SQLite database holding ``scoring demo``'s data.

Apart from :mod:`scoring.ops.builders` because it builds the whole application (nothing in the
app imports this module, so the factory and the builders stay free of each other).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask_migrate import upgrade

from .. import create_app
from ..extensions import db
from .demo import load_demo
from .keys import ensure_signing_key


def demo_instance(folder: Path, *, panels: int, candidates_per_panel: int, secret: str,
                  database_url: str | None = None):
    """Create an app over a new, empty database (SQLite in ``folder`` unless ``database_url``
    names another) holding the demo; return the app and the demo's logins (the benchmarks'
    starting point)."""
    os.environ["SCORING_INSTANCE_PATH"] = str(folder)
    app = create_app({"SQLALCHEMY_DATABASE_URI":
                      database_url or f"sqlite:///{folder / 'scoring.sqlite'}",
                      "SECRET_KEY": secret})
    ensure_signing_key(folder / "signing")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
        logins = load_demo(panels=panels, candidates_per_panel=candidates_per_panel)
        db.session.commit()
    return app, logins
