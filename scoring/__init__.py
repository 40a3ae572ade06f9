"""scoring: structured-interview scoring for examiner panels.

Flask is imported inside ``create_app`` so that the pure core (``scoring.rubrics``,
``scoring.stats``) can be used without loading the web stack.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from . import config as default_config
from .paths import data_dir, default_instance_path

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)


def create_app(test_config: dict | None = None) -> Flask:
    """Create and wire the application; does no I/O beyond reading configuration."""
    from flask import Flask

    instance = Path(os.environ.get("SCORING_INSTANCE_PATH") or default_instance_path())
    app = Flask(
        __name__,
        instance_path=str(instance.resolve()),
        instance_relative_config=True,
        template_folder=str(data_dir("templates")),
        static_folder=str(data_dir("static")),
    )
    _load_config(app, test_config)

    from . import models  # noqa: F401  (registers the tables on db.metadata)
    from .database import (
        configure_postgresql,
        configure_sqlite,
        engine_options,
        init_request_transactions,
    )
    from .extensions import babel, csrf, db, login_manager, migrate

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    from .i18n import select_locale

    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(data_dir("translations")),
    )
    with app.app_context():
        configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        configure_postgresql(db.engine, app.config["DATABASE_RECONNECT_SECONDS"])
    init_request_transactions(app)

    from . import cli, web

    web.register(app)
    cli.register(app)
    return app


def _load_config(app: Flask, test_config: dict | None) -> None:
    """Layer configuration: defaults, instance/config.py, secret file, environment, tests."""
    app.config.from_object(default_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
        app.instance_path, "scoring.sqlite"
    )
    app.config.from_pyfile("config.py", silent=True)
    secret_file = Path(app.instance_path) / "secret_key"
    if secret_file.is_file():
        app.config["SECRET_KEY"] = secret_file.read_text().strip()
    url = default_config.database_url_from_env()
    if url:
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    for key in default_config.ENV_OVERRIDES:
        if os.environ.get(key):
            app.config[key] = os.environ[key]
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        # Usable for one process only; `scoring init` writes a persistent key. Said when the
        # app serves its first request, not at start-up: `scoring init` and `rubric check`
        # need no key and should not be told to run `scoring init`.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        app.config["SECRET_KEY_TEMPORARY"] = True
        warned: list[bool] = []

        @app.before_request
        def _warn_temporary_key() -> None:
            if not warned:
                warned.append(True)
                log.warning("no SECRET_KEY configured: run `scoring init`; using a temporary "
                            "key (sessions end when the server restarts)")
