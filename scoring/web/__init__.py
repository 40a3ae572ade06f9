"""Blueprints, one per user task, and the web shell they share.

To add a blueprint: write ``scoring/<feature>/views.py`` exposing ``bp`` and append its
module to ``BLUEPRINTS``. Templates mirror endpoints (``examine.queue`` -> ``examine/queue.html``).
"""

from __future__ import annotations

from importlib import import_module

from flask import Flask, Response, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from ..extensions import db, login_manager
from ..i18n import (
    LANGUAGE_NAMES,
    ROLE_LABELS,
    SESSION_STATUS_LABELS,
    band_scale,
    band_word,
    current_language,
    label,
    one_full_stop,
    page_catalogue,
    result_status,
)
from ..models import User
from ..workflow import WorkflowError, load_login
from . import security
from .helpers import apply_upload_limit, request_info, safe_next, wants_json

__all__ = ["BLUEPRINTS", "register", "request_info", "safe_next", "wants_json"]

# Modules that expose a blueprint ``bp``, registered in this order.
BLUEPRINTS = [
    "scoring.home.views",
    "scoring.auth.views",
    "scoring.examine.views",
    "scoring.examine.api_views",
    "scoring.chair.amendment_views",
    "scoring.manage.session_views",
    "scoring.manage.people_views",
    "scoring.manage.panel_views",
    "scoring.manage.import_views",
    "scoring.manage.correction_views",
    "scoring.manage.rubric_views",
    "scoring.public.views",
    "scoring.auth.reset_views",
    "scoring.documents.verify_views",
    "scoring.documents.views",
    "scoring.chair.views",
    "scoring.chair.finality_views",
    "scoring.examine.discussion_views",
    "scoring.ops.health_views",
]
# Feature packages ``scoring/<name>/``: the package holds ``bp``, its ``views`` the routes;
# registered after the blueprints above.
FEATURES = ["offline", "candidates", "calibration", "shadow", "examiners"]
# A feature whose routes fill more than one module (default: ``views`` alone).
FEATURE_VIEWS = {"candidates": ("views", "manage_views")}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

# Error pages: a template of their own for the common codes, a generic one for the rest.
ERROR_TEMPLATES = {400: "errors/400.html", 403: "errors/403.html", 404: "errors/404.html",
                   500: "errors/500.html"}
ERROR_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please log in to see this page."),
    403: _l("You do not have permission to open this page."),
    404: _l("The page you asked for does not exist."),
    405: _l("This action is not allowed here."),
    409: _l("The action conflicts with the current state."),
    413: _l("The upload is too large."),
    500: _l("Something went wrong on the server. Try again in a moment; if it keeps happening, "
            "tell the administrator."),
}
CSRF_MESSAGE = _l("The form expired. Reload the page and submit it again.")


def register(app: Flask) -> None:
    """Register every blueprint, the error handlers and the shared template helpers."""
    for name in BLUEPRINTS:
        app.register_blueprint(import_module(name).bp)
    for name in FEATURES:
        for module in FEATURE_VIEWS.get(name, ("views",)):
            import_module(f"scoring.{name}.{module}")
        app.register_blueprint(import_module(f"scoring.{name}").bp)
    _configure_login(app)
    _register_errors(app)
    _register_templating(app)
    app.after_request(_security_headers)
    security.install(app)
    # URL value preprocessors run before every before_request handler (CSRF reads the body).
    app.url_value_preprocessor(apply_upload_limit)


def _configure_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    login_manager.localize_callback = gettext
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        """Return the user of the live login the cookie names (see workflow.logins)."""
        loaded = load_login(token)
        if loaded.ended:
            g.login_ended = loaded.ended
        return loaded.user

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            return _json_error(401, ERROR_MESSAGES[401])
        if g.get("login_ended") == "idle":
            flash(gettext("You were logged out after %(m)d minutes without activity. Scores "
                          "not yet sent stay on this tablet and are sent after you log in.",
                          m=app.config["LOGIN_IDLE_MINUTES"]), "info")
        else:
            flash(gettext("Please log in to see this page."), "info")
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.login", next=target))


def _json_error(code: int, message, error: str | None = None):
    return jsonify({"error": error or code, "message": str(message)}), code


def _render_error(code: int, message, template: str | None = None, error: str | None = None):
    """Answer an error as JSON or as an HTML page in the user's language."""
    if wants_json():
        return _json_error(code, message, error)
    template = template or ERROR_TEMPLATES.get(code, "errors/error.html")
    return render_template(template, code=code, message=message), code


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _render_error(400, CSRF_MESSAGE, "errors/csrf.html", error="csrf")

    @app.errorhandler(WorkflowError)
    def workflow_error(exc: WorkflowError):
        """The one answer to a refused action: roll back, then a JSON body or an error page."""
        db.session.rollback()
        if wants_json():
            body = exc.to_dict()
            if getattr(exc, "missing", None):  # what a submission still lacks (scoring page)
                body["missing"] = exc.missing
            if getattr(exc, "server_seq", None) is not None:  # a stale offline action
                body["server_seq"] = exc.server_seq
            return jsonify(body), exc.status
        return _render_error(exc.status, exc.message, error=exc.code)

    @app.errorhandler(SecurityError)
    def untrusted_host(exc: SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page template.
        return Response(str(ERROR_MESSAGES[400]), 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        message = ERROR_MESSAGES.get(exc.code, exc.name)
        return _render_error(exc.code, message)

    @app.errorhandler(InternalServerError)
    def server_error(exc):
        db.session.rollback()
        return _render_error(500, ERROR_MESSAGES[500])


def _register_templating(app: Flask) -> None:
    app.jinja_env.globals.update(result_status=result_status, band_word=band_word,
                                 band_scale=band_scale)
    app.jinja_env.filters.update(
        date=lambda value, fmt="long": format_date(value, fmt) if value else "",
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        number=lambda value, fmt=None: format_decimal(value, fmt) if value is not None else "",
        role_label=lambda code: label(ROLE_LABELS, code),
        status_label=lambda code: label(SESSION_STATUS_LABELS, code),
        rubric_error=lambda error: error.localised(page_catalogue()),
        one_full_stop=one_full_stop,
    )

    @app.context_processor
    def shell_context():
        return {
            "lang": current_language(),
            "languages": LANGUAGE_NAMES,
            "current_user": current_user,
            # This page's path and query, for forms that come back here (language switch).
            "here": request.full_path.rstrip("?"),
        }


def _security_headers(response):
    """Add the security headers every response carries."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
