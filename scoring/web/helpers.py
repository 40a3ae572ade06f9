"""Helpers every blueprint reuses: request provenance, safe redirects, role checks, JSON."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..workflow import RequestInfo, WorkflowError, perform


def request_info() -> RequestInfo:
    """Return where the current request came from, for the audit trail."""
    return RequestInfo(
        client_id=request.headers.get("X-Client-Id", ""),
        ip=request.remote_addr or "",
        user_agent=request.user_agent.string,
    )


def wants_json() -> bool:
    """Return whether the client asked for JSON (an /api/ path or Accept: application/json)."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def is_safe_path(target: str | None) -> bool:
    """Return whether ``target`` is a relative path on this site (no scheme, host or ``//``)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str = "main.index") -> str:
    """Return ``target`` if it is a same-site relative path, else the URL of ``default``."""
    return target if is_safe_path(target) else url_for(default)


def role_required(*roles: str):
    """Decorate a view: log-in required, and 403 unless the user has one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator


def upload_route(view):
    """Mark ``view`` as taking file uploads: its body may be ``UPLOAD_MAX_BYTES`` long.

    Every other route keeps ``MAX_CONTENT_LENGTH``. The limit is applied by
    :func:`apply_upload_limit` before any ``before_request`` handler (CSRF) reads the body.
    """
    view.upload_route = True
    return view


def apply_upload_limit(endpoint: str | None, _values) -> None:
    """Raise this request's body limit when its endpoint is an :func:`upload_route`."""
    view = current_app.view_functions.get(endpoint) if endpoint else None
    if getattr(view, "upload_route", False):
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"]


def json_payload() -> dict:
    """Return the request's JSON object, or refuse it (400) through the WorkflowError handler."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise WorkflowError("bad_json", _l("Send a JSON object."), 400)
    return data


def client_info(data: dict) -> RequestInfo:
    """Return the request's audit context with the tablet's client id from ``data``."""
    info = request_info()
    return type(info)(client_id=str(data.get("client_id", ""))[:64], ip=info.ip,
                      user_agent=info.user_agent)


def form_action(form, call, done: str, back: str, target: str | None = None):
    """Validate ``form``, run ``call`` as one transaction and flash the outcome; redirect to
    ``target`` (``back`` when None) after success, to ``back`` after a refusal. A 404 refusal
    is raised: what is not there for the caller stays not there."""
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(back)
    try:
        perform(call)
    except WorkflowError as exc:
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")
        return redirect(back)
    flash(done, "success")
    return redirect(target or back)
