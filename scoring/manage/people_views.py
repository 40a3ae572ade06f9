"""Administration: examiners, chairs and administrators; candidates."""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from wtforms import SelectChoice

from .. import workflow
from ..documents.reset_slips import reset_slips_pdf
from ..extensions import db
from ..i18n import current_language
from ..models import Candidate, Panel, User
from ..web.helpers import request_info
from ..workflow import WorkflowError
from ..workflow.admin import active_reset_count, format_reset_code
from ..workflow.documents import verify_base_url
from . import queries as mq
from .forms import ActionForm, CandidateForm, ResetCodesForm, RoleForm, UserEditForm, UserForm
from .guard import actor, admin_blueprint, list_args

bp = admin_blueprint("manage_people", __name__)


@bp.route("/users")
def users():
    """List users: search by username, name or NIP; filter by role; sort; paginate."""
    args = list_args(mq.USER_SORTS, "username", filters=("role",))
    return render_template("manage/users.html", page=mq.users_page(args), args=args,
                           reset_form=_reset_form())


def _reset_form() -> ResetCodesForm:
    form = ResetCodesForm()
    form.who.choices = [SelectChoice("role:examiner", gettext("Every examiner")),
                        SelectChoice("role:chair", gettext("Every panel chair"))] + [
        SelectChoice(value, gettext("Panel %(p)s", p=label))
        for value, label in mq.reset_code_groups()]
    return form


@bp.route("/users/reset-codes", methods=["POST"])
def reset_codes():
    """Issue one-time reset codes to a role or a panel; answer with the slips as a PDF."""
    form = _reset_form()
    if not form.validate_on_submit():
        flash(gettext("Choose who gets reset codes."), "error")
        return redirect(url_for("manage_people.users"))
    kind, _sep, ref = form.who.data.partition(":")
    panel = db.get_or_404(Panel, int(ref)) if kind == "panel" else None
    label = next(c.label for c in form.who.choices if c.value == form.who.data)

    def issue_and_print() -> bytes:  # the codes are valid only once the slips exist
        users = workflow.reset_targets(role=ref if kind == "role" else None, panel=panel)
        slips = workflow.issue_reset_codes(users, actor=actor(), info=request_info())
        return reset_slips_pdf(slips, base_url=verify_base_url(), lang=current_language(),
                               title=gettext("Password reset codes: %(who)s", who=label))

    try:
        pdf = workflow.perform(issue_and_print)
    except WorkflowError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("manage_people.users"))
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"reset-codes-{kind}-{ref}.pdf")


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Create a user; without a password, hand out a one-time reset code instead."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            user, code = workflow.perform(
                workflow.enrol_user, form.username.data.strip(), form.full_name.data,
                form.role.data, form.password.data or None, may_chair=form.may_chair.data,
                nip=form.nip.data or None, email=form.email.data or None, actor=actor(),
                info=request_info())
        except WorkflowError as exc:
            form.username.errors = [exc.message]
        else:
            flash(gettext("Account %(u)s created.", u=user.username), "success")
            if code:
                return _show_code(user, code)
            return redirect(url_for("manage_people.user", user_id=user.id))
    return render_template("manage/user_new.html", form=form)


def _show_code(user: User, code: str):
    """Render the one-time code and link once; they are never stored or shown again."""
    code = format_reset_code(code)
    link = url_for("reset.redeem_link", code=code, _external=True)
    return render_template("manage/user_reset.html", user=user, code=code, link=link)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    """Show and edit a user; buttons to (de)activate and to issue a reset code."""
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        workflow.perform(workflow.update_user, user, full_name=form.full_name.data,
                         nip=form.nip.data or None, email=form.email.data or None,
                         actor=actor(), info=request_info())
        flash(gettext("Account saved."), "success")
        return redirect(url_for("manage_people.user", user_id=user.id))
    return _render_user(user, form, RoleForm(obj=user))


def _render_user(user: User, form: UserEditForm, role_form: RoleForm, status: int = 200):
    return render_template("manage/user.html", user=user, form=form, role_form=role_form,
                           action_form=ActionForm(),
                           pending_resets=active_reset_count(user),
                           lock=workflow.lock_state(user)), status


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def user_role(user_id: int):
    """Change a user's role and whether they may chair (audited as user.set_role)."""
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            workflow.perform(workflow.set_role, user, form.role.data,
                             may_chair=form.may_chair.data, actor=actor(), info=request_info())
        except WorkflowError as exc:
            form.role.errors = [exc.message]
        else:
            flash(gettext("Role saved."), "success")
            return redirect(url_for("manage_people.user", user_id=user.id))
    return _render_user(user, UserEditForm(obj=user), form, 400)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def user_active(user_id: int):
    """Activate or deactivate a user (never oneself)."""
    user = db.get_or_404(User, user_id)
    if request.form.get("active") not in ("0", "1"):
        abort(400)
    if ActionForm().validate_on_submit():
        if user.id == actor().id:
            flash(gettext("You cannot deactivate your own account."), "error")
        else:
            active = request.form.get("active") == "1"
            workflow.perform(workflow.set_active, user, active, actor=actor(),
                             info=request_info())
            flash(gettext("Account activated.") if active else
                  gettext("Account deactivated: it can no longer log in."), "success")
    return redirect(url_for("manage_people.user", user_id=user.id))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
def user_unlock(user_id: int):
    """Let a user locked out by failed logins try again now (audited)."""
    user = db.get_or_404(User, user_id)
    if ActionForm().validate_on_submit():
        workflow.perform(workflow.unlock_user, user, actor=actor(), info=request_info())
        flash(gettext("Account unlocked: %(u)s can log in again.", u=user.username), "success")
    return redirect(url_for("manage_people.user", user_id=user.id))


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
def user_reset(user_id: int):
    """Issue a one-time password-reset code (valid 24 hours) and show it once."""
    user = db.get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("manage_people.user", user_id=user.id))
    code = workflow.perform(workflow.create_password_reset, user, actor=actor(),
                            info=request_info())
    return _show_code(user, code)


@bp.route("/candidates")
def candidates():
    """List candidates: search by participant number, name or position; sort; paginate."""
    args = list_args(mq.CANDIDATE_SORTS, "participant_number")
    return render_template("manage/candidates.html", page=mq.candidates_page(args), args=args)


@bp.route("/candidates/new", methods=["GET", "POST"])
def candidate_new():
    """Create a candidate."""
    form = CandidateForm()
    if form.validate_on_submit():
        try:
            candidate = workflow.perform(
                workflow.create_candidate, form.participant_number.data.strip(),
                form.name.data.strip(), position_applied=(form.position_applied.data or "").strip(),
                nik=form.nik.data or None, actor=actor(), info=request_info())
        except WorkflowError as exc:
            form.participant_number.errors = [exc.message]
        else:
            flash(gettext("Candidate %(n)s created.", n=candidate.participant_number), "success")
            return redirect(url_for("manage_people.candidates"))
    return render_template("manage/candidate_form.html", form=form, candidate=None)


@bp.route("/candidates/<int:candidate_id>", methods=["GET", "POST"])
def candidate(candidate_id: int):
    """Edit a candidate's name, position and NIK (the participant number is the key)."""
    candidate = db.get_or_404(Candidate, candidate_id)
    form = CandidateForm(obj=candidate)
    del form.participant_number
    if form.validate_on_submit():
        workflow.perform(workflow.update_candidate, candidate, name=form.name.data,
                         position_applied=form.position_applied.data or "",
                         nik=form.nik.data or None, actor=actor(), info=request_info())
        flash(gettext("Candidate saved."), "success")
        return redirect(url_for("manage_people.candidates"))
    return render_template("manage/candidate_form.html", form=form, candidate=candidate)
