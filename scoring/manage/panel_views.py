"""Administration: panels (members, chair, quorum), candidates on panels and their order."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from wtforms import SelectChoice

from .. import workflow
from ..extensions import db
from ..models import Assignment, InterviewSession, Panel, User
from ..web.helpers import request_info
from ..workflow import WorkflowError
from . import queries as mq
from .forms import ActionForm, AssignForm, PanelForm
from .guard import actor, admin_blueprint

bp = admin_blueprint("manage_panels", __name__)


def _panel_form(panel: Panel | None = None) -> PanelForm:
    form = PanelForm(obj=panel)
    people = mq.scorers()
    if panel is not None:  # current members first, in panel order, even if since deactivated
        current = [m.user for m in panel.members]
        known = {u.id for u in current}
        people = current + [u for u in people if u.id not in known]
    form.members.choices = [SelectChoice(u.id, _person(u)) for u in people]
    form.members.render_kw = {
        "size": min(12, max(4, len(people))), "data-member-chooser": "",
        "data-label-search": gettext("Search by name or username"),
        "data-label-chosen": gettext("Chosen members, in scoring order"),
        "data-label-none": gettext("Nobody chosen yet."),
        "data-label-nomatch": gettext("Nobody matches."),
        "data-label-add": gettext("Add"), "data-label-remove": gettext("Remove"),
        "data-label-count": gettext("%(n)s of %(total)s shown", n="{n}", total="{total}")}
    chairs = [u for u in people if u.can_chair]
    form.chair_allowed = frozenset(u.id for u in chairs)
    form.chair.choices = [SelectChoice(0, gettext("No chair"))] + [
        SelectChoice(u.id, _person(u)) for u in chairs]
    form.chair.render_kw = {"data-chair-of": form.members.id}
    if panel is not None and request.method == "GET":
        form.members.data = [m.user_id for m in panel.members]
        form.chair.data = panel.chair_id or 0
    return form


def _person(user: User) -> str:
    return f"{user.full_name} ({user.username})"


@bp.route("/sessions/<int:session_id>/panels/new", methods=["GET", "POST"])
def panel_new(session_id: int):
    """Create a panel in a session."""
    session = db.get_or_404(InterviewSession, session_id)
    form = _panel_form()
    if form.validate_on_submit():
        members, chair = mq.members_and_chair(form.members.data, form.chair.data)
        try:
            panel = workflow.perform(workflow.create_panel, session, form.name.data, members,
                                     chair=chair, quorum=form.quorum.data,
                                     room=form.room.data or "", actor=actor(),
                                     info=request_info())
        except WorkflowError as exc:
            (form.members if exc.code == "not_certified" else form.name).errors = [exc.message]
        else:
            flash(gettext("Panel %(n)s created.", n=panel.name), "success")
            return redirect(url_for("manage_panels.panel", panel_id=panel.id))
    return render_template("manage/panel_form.html", form=form, session=session, panel=None)


@bp.route("/panels/<int:panel_id>/edit", methods=["GET", "POST"])
def panel_edit(panel_id: int):
    """Edit a panel's name, room, members, chair and quorum."""
    panel = db.get_or_404(Panel, panel_id)
    form = _panel_form(panel)
    if form.validate_on_submit():
        members, chair = mq.members_and_chair(form.members.data, form.chair.data)
        try:
            workflow.perform(workflow.update_panel, panel, name=form.name.data, members=members,
                             chair=chair, quorum=form.quorum.data, room=form.room.data or "",
                             actor=actor(), info=request_info())
        except WorkflowError as exc:
            field = form.members if exc.code in ("member_has_sheets", "not_certified") else (
                form.quorum if exc.code == "bad_quorum" else form.name)
            field.errors = [exc.message]
        else:
            flash(gettext("Panel saved."), "success")
            return redirect(url_for("manage_panels.panel", panel_id=panel.id))
    return render_template("manage/panel_form.html", form=form, session=panel.session,
                           panel=panel)


@bp.route("/panels/<int:panel_id>")
def panel(panel_id: int):
    """Show a panel: members, the candidates in interview order, conflict warnings."""
    panel = db.get_or_404(Panel, panel_id)
    return _render_panel(panel, AssignForm())


def _render_panel(panel: Panel, assign_form: AssignForm, status: int = 200):
    return render_template(
        "manage/panel.html", panel=panel, session=panel.session,
        assignments=mq.panel_assignments(panel), warnings=mq.conflict_warnings(
            panel.session, panel), assign_form=assign_form, action_form=ActionForm(),
        quorum=workflow.panel_quorum(panel)), status


@bp.route("/panels/<int:panel_id>/assign", methods=["POST"])
def panel_assign(panel_id: int):
    """Put candidates on the panel by participant number, appended in the order listed."""
    panel = db.get_or_404(Panel, panel_id)
    form = AssignForm()
    if not form.validate_on_submit():
        return _render_panel(panel, form, 400)
    try:
        placed = workflow.perform(workflow.place_candidates, panel, form.numbers.data,
                                  actor=actor(), info=request_info())
    except WorkflowError as exc:
        form.numbers.errors = [exc.message]
        return _render_panel(panel, form, 400)
    flash(gettext("%(n)d candidate(s) on the panel.", n=len(placed)), "success")
    warnings = mq.conflict_warnings(panel.session, panel)
    if warnings:
        flash(gettext("Warning: %(n)d examiner(s) on this panel declared a conflict of interest "
                      "with a candidate on it.", n=len(warnings)), "warning")
    return redirect(url_for("manage_panels.panel", panel_id=panel.id))


@bp.route("/panels/<int:panel_id>/order", methods=["POST"])
def panel_order(panel_id: int):
    """Reorder the panel's candidates by the numbers typed beside them (ties keep order)."""
    panel = db.get_or_404(Panel, panel_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("manage_panels.panel", panel_id=panel.id))
    positions = {int(key[4:]): value for key, value in request.form.items()
                 if key.startswith("pos-") and key[4:].isdigit()}
    workflow.perform(workflow.order_by_positions, panel, positions, actor=actor(),
                     info=request_info())
    flash(gettext("Order saved."), "success")
    return redirect(url_for("manage_panels.panel", panel_id=panel.id))


@bp.route("/assignments/<int:assignment_id>/remove", methods=["POST"])
def assignment_remove(assignment_id: int):
    """Take a candidate off a panel (only before any sheet exists)."""
    assignment = db.get_or_404(Assignment, assignment_id)
    panel_id = assignment.panel_id
    if ActionForm().validate_on_submit():
        try:
            workflow.perform(workflow.remove_assignment, assignment, actor=actor(),
                             info=request_info())
        except WorkflowError as exc:
            flash(str(exc.message), "error")
        else:
            flash(gettext("Candidate taken off the panel."), "success")
    return redirect(url_for("manage_panels.panel", panel_id=panel_id))
