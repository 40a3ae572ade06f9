"""Discussion for examiners: once the chair opens it, see colleagues' scores and revise.

A panel member reaches a candidate here only when :func:`scoring.workflow.can_see_colleagues`
allows it (own sheet submitted and discussion opened); a revision is a post-discussion score
with a reason, the independent score stays as it was.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from .. import workflow
from ..chair import interpret
from ..chair import queries as reports_data
from ..chair.forms import revise_form
from ..extensions import db
from ..i18n import current_language
from ..models import Assignment
from ..web.helpers import request_info, role_required
from . import queries as examining
from .views import SCORERS

bp = Blueprint("discussion", __name__, url_prefix="/discussion")


@bp.route("/")
@role_required(*SCORERS)
def index():
    """List the candidates in discussion on the user's panels."""
    rows = examining.in_discussion(current_user)
    return render_template("discussion/index.html", rows=rows)


def _member_assignment(assignment_id: int) -> Assignment:
    assignment = db.get_or_404(Assignment, assignment_id)
    if not any(m.user_id == current_user.id
                                     for m in assignment.panel.members):
        abort(404)
    return assignment


@bp.route("/<int:assignment_id>", methods=["GET", "POST"])
@role_required(*SCORERS)
def view(assignment_id: int):
    """Show colleagues' scores of a candidate in discussion, and revise one's own."""
    assignment = _member_assignment(assignment_id)
    user = current_user._get_current_object()
    if assignment.status == "pending" or not workflow.can_see_colleagues(assignment, user):
        return render_template("discussion/closed.html", a=assignment), 403
    detail = reports_data.candidate_detail(assignment, user)
    own = next((r for r in detail["examiners"] if r["id"] == user.id), None)
    can_revise = (assignment.status == "discussion" and own is not None
                  and own["state"] == "submitted")
    form = None
    if can_revise:
        lang = current_language()
        codes = list(detail["rubric"].codes)
        form = revise_form(detail["rubric"], codes, lang)()
        if form.validate_on_submit():
            workflow.perform(workflow.revise_score, assignment, user, form.criterion.data,
                             int(form.level.data), form.reason.data, info=request_info())
            flash(gettext("Your revised score is saved; your first score is kept on record."),
                  "success")
            return redirect(url_for(".view", assignment_id=assignment_id))
    return render_template("discussion/view.html", a=assignment, d=detail, i=interpret,
                           form=form, lang=current_language())
