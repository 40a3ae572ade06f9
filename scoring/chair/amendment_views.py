"""The panel chair's amendment decisions (the rest of the chair's board is another page)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from .. import workflow
from ..examine import queries as examining
from ..web.forms import DecisionForm
from ..web.helpers import request_info, role_required

bp = Blueprint("chair_amend", __name__, url_prefix="/chair/amendments")


@bp.route("/")
@role_required("chair", "admin")
def index():
    """List the amendments waiting for this chair's decision, and recent decisions."""
    pending, decided = examining.amendments_to_decide(current_user)
    return render_template("chair_amend/index.html", pending=pending, decided=decided,
                           form=DecisionForm())


@bp.route("/<int:amendment_id>", methods=["POST"])
@role_required("chair", "admin")
def decide(amendment_id: int):
    """Approve or reject one amendment."""
    amendment = examining.decidable_amendment(current_user, amendment_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(gettext("Choose approve or reject; a rejection needs a note."), "error")
        return redirect(url_for(".index"))
    user, info = current_user._get_current_object(), request_info()
    approve = form.decision.data == "approve"
    verb = workflow.approve_amendment if approve else workflow.reject_amendment
    try:
        workflow.perform(verb, amendment, user, form.note.data or "", info=info)
        flash(gettext("The amendment is approved and applied.") if approve else
              gettext("The amendment is rejected."), "success")
    except workflow.WorkflowError as exc:
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")
    return redirect(url_for(".index"))
