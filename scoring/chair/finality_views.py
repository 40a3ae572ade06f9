"""The chair's actions that settle a candidate: absence, substitutes, marks, close, reopen.

Each action that cannot be undone carries a confirmation box the server checks; a refused
action comes back to the candidate's page with the reason.
"""

from __future__ import annotations

from flask import Blueprint, abort, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import workflow
from ..extensions import db
from ..models import Assignment, User
from ..web.helpers import form_action, request_info, role_required
from ..workflow import finality
from .forms import AbsentForm, ConfirmForm, MarkForm, ReasonConfirmForm, SubstituteForm

bp = Blueprint("chair_finality", __name__, url_prefix="/chair/candidates")


def _assignment(assignment_id: int) -> Assignment:
    """Return a candidate of a panel the current user chairs (404 otherwise)."""
    assignment = db.get_or_404(Assignment, assignment_id)
    if assignment.panel.chair_id != current_user.id:
        abort(404)
    return assignment


def _run(assignment_id: int, form, call, done: str):
    """Run a settling action; a refusal is flashed on the candidate page."""
    return form_action(form, call, done, url_for("chair.candidate", assignment_id=assignment_id))


@bp.route("/<int:assignment_id>/absent", methods=["POST"])
@role_required("chair")
def absent(assignment_id: int):
    """Mark a panel member absent for this candidate."""
    a = _assignment(assignment_id)
    form = AbsentForm()
    form.examiner.choices = [SelectChoice(m.user_id, m.user.username) for m in a.panel.members]
    examiner = db.session.get(User, form.examiner.data) if form.examiner.data else None
    return _run(assignment_id, form, lambda: finality.mark_absent(
        a, current_user._get_current_object(), examiner, form.reason.data,
        info=request_info()), gettext("The member is marked absent for this candidate."))


@bp.route("/<int:assignment_id>/substitute", methods=["POST"])
@role_required("chair")
def substitute(assignment_id: int):
    """Seat a substitute examiner on the panel."""
    a = _assignment(assignment_id)
    form = SubstituteForm()
    user = db.session.scalar(select(User).where(User.username == (form.username.data or "")))

    def call():
        if user is None:
            raise workflow.WorkflowError("unknown_user", gettext(
                "No user is called %(u)s.", u=form.username.data), 400)
        finality.add_substitute(a, current_user._get_current_object(), user, form.reason.data,
                                info=request_info())

    return _run(assignment_id, form, call, gettext(
        "The substitute examiner now sits on the panel and can score this candidate."))


@bp.route("/<int:assignment_id>/mark", methods=["POST"])
@role_required("chair")
def mark(assignment_id: int):
    """Take the candidate out of the ranking (absent, withdrew, not assessable)."""
    a = _assignment(assignment_id)
    form = MarkForm()
    return _run(assignment_id, form, lambda: finality.mark_candidate(
        a, current_user._get_current_object(), form.status.data, form.reason.data,
        info=request_info()), gettext("The candidate is marked and will not be ranked."))


@bp.route("/<int:assignment_id>/reopen", methods=["POST"])
@role_required("chair")
def reopen(assignment_id: int):
    """Reopen a closed or marked candidate, with a reason."""
    a = _assignment(assignment_id)
    form = ReasonConfirmForm()
    return _run(assignment_id, form, lambda: finality.reopen_candidate(
        a, current_user._get_current_object(), form.reason.data, confirm=True,
        info=request_info()), gettext("The candidate is reopened; close it again when done."))


def forms_for(assignment: Assignment) -> dict:
    """Return the forms of the candidate page's settling actions."""
    absent = AbsentForm(formdata=None)
    absent.examiner.choices = [SelectChoice(m.user_id, m.user.username)
                              for m in assignment.panel.members]
    forms = {"absent": absent, "mark": MarkForm(formdata=None),
             "reopen": ReasonConfirmForm(formdata=None),
             "substitute": SubstituteForm(formdata=None), "close": ConfirmForm(formdata=None)}
    # One page holds several of these forms: give each field a page-unique id (the posted
    # names stay), so a tapped label never ticks another form's confirmation box.
    for key, form in forms.items():
        for field in form:
            if field.type not in ("HiddenField", "CSRFTokenField"):
                field.id = field.label.field_id = f"{key}-{field.id}"
    return forms
