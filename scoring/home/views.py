"""The role-aware home page and the language switch."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session
from flask_login import current_user, login_required

from ..web.helpers import safe_next
from . import queries

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """Show what the user's role has to do: sessions, chaired panels or panels to score."""
    user = current_user
    context = {"sessions": [], "chaired": [], "panels": []}
    if user.role == "admin":
        context["sessions"] = queries.admin_sessions()
    if user.has_role("chair"):
        context["chaired"] = queries.chaired_panels(user)
    if user.role in ("chair", "examiner"):
        context["panels"] = queries.examiner_panels(user)
    return render_template("main/index.html", **context)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Remember the chosen language in the session cookie and go back to the page."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.form.get("next")))
