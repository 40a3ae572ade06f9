"""What the administration blueprints share: the admin-only guard and small view helpers."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .queries import ListArgs

RELATIONSHIP_LABELS = {
    "none": _l("no relationship"),
    "family": _l("family"),
    "workplace": _l("same workplace"),
    "acquaintance": _l("acquaintance"),
    "other": _l("other relationship"),
}


def admin_blueprint(name: str, import_name: str) -> Blueprint:
    """Return a blueprint under /manage whose every view requires the admin role.

    Anonymous visitors go to the login page (JSON clients get 401); other roles get 403.
    """
    bp = Blueprint(name, import_name, url_prefix="/manage")

    @bp.before_request
    def require_admin():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if current_user.role != "admin":
            abort(403)
        return None

    @bp.context_processor
    def helpers():
        return {"relationship_labels": RELATIONSHIP_LABELS}

    return bp


def actor():
    """Return the logged-in administrator (the real object, for the audit trail)."""
    return current_user._get_current_object()


def list_args(sorts: dict, default: str, filters: tuple = (), default_desc: bool = False
              ) -> ListArgs:
    """Read the list parameters (search, sort, direction, page) of this request."""
    return ListArgs.from_request(request.args, sorts, default, filters, default_desc)
