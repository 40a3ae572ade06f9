"""Redeem a one-time password-reset code (given by the administrator) with a new password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext

from .. import workflow
from ..manage.forms import ResetForm
from ..web.helpers import request_info
from ..workflow import WorkflowError

bp = Blueprint("reset", __name__, url_prefix="/auth/reset")


@bp.route("/", methods=["GET", "POST"])
def redeem():
    """Ask for the code and a new password."""
    return _redeem(ResetForm())


@bp.route("/<code>", methods=["GET", "POST"])
def redeem_link(code: str):
    """The same form, with the code from the link already filled in."""
    form = ResetForm()
    if not form.is_submitted():
        form.code.data = code[:40]
    return _redeem(form)


def _redeem(form: ResetForm):
    if form.validate_on_submit():
        try:
            user = workflow.perform(workflow.redeem_password_reset, form.code.data,
                                    form.password.data, info=request_info())
        except WorkflowError as exc:
            field = form.password if exc.code == "weak_password" else form.code
            field.errors = [exc.message]
        else:
            flash(gettext("Password changed for %(u)s. Log in with the new password.",
                          u=user.username), "success")
            return redirect(url_for("auth.login"))
    return render_template("reset/redeem.html", form=form, minimal=True)
