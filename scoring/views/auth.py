"""Log in and out."""

from __future__ import annotations

import secrets
from functools import cache

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import workflow
from ..database import read_only, write_transaction
from ..extensions import db
from ..forms import LoginForm
from ..models import User
from .util import request_info, safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")


@cache
def _dummy_hash() -> str:
    """Return a hash to check against when the username is unknown, so a miss costs a hit's time."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def _authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (whatever the reason)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; log the user in and go to ``next`` or the home page."""
    target = request.values.get("next")
    if current_user.is_authenticated:
        return redirect(safe_next(target))
    form = LoginForm()
    if form.validate_on_submit():
        username, info = form.username.data.strip(), request_info()
        # The throttle and the password hash (scrypt: tens of milliseconds of CPU) are read
        # and computed before the write lock is taken: on SQLite a POST holds the lock from its
        # first statement, and 200 tablets logging in at once would stall every save.
        db.session.commit()
        with read_only():
            refusal = workflow.login_refusal(username, info)
            user = None if refusal is not None else _authenticate(username, form.password.data)
            db.session.commit()
        if refusal is not None:
            flash(str(refusal.message), "error")
            return render_template("auth/login.html", form=form, next=target), 429
        with write_transaction():
            if user is not None:
                workflow.start_login(user, info)
            else:
                workflow.record_failed_login(username, info)
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
    workflow.end_login(current_user._get_current_object(), request_info())
    db.session.commit()
    logout_user()
    flash(gettext("You have logged out."), "info")
    return redirect(url_for("auth.login"))
