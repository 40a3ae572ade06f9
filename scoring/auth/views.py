"""Log in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from .. import workflow
from ..web.forms import LoginForm
from ..web.helpers import request_info, safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; log the user in and go to ``next`` or the home page."""
    target = request.values.get("next")
    if current_user.is_authenticated:
        return redirect(safe_next(target))
    form = LoginForm()
    if form.validate_on_submit():
        username, info = form.username.data.strip(), request_info()
        refusal, user = workflow.check_login(username, form.password.data, info)
        if refusal is not None:
            flash(str(refusal.message), "error")
            return render_template("auth/login.html", form=form, next=target), 429
        workflow.record_login(user, username, info)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(target))
        flash(gettext("The username or password is incorrect, or the account is inactive."),
              "error")
    return render_template("auth/login.html", form=form, next=target)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log the user out (POST with a CSRF token, so no link or image can do it)."""
    workflow.perform(workflow.end_login, current_user._get_current_object(), request_info())
    logout_user()
    flash(gettext("You have logged out."), "info")
    return redirect(url_for("auth.login"))
