"""Shadow pages: the trainee's candidates, scoring on the same component, the comparison."""

from __future__ import annotations

import json
from contextlib import suppress

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..i18n import current_language
from ..models import SCORER_ROLES, Panel, User
from ..web.helpers import json_payload, request_info, role_required
from ..workflow import perform, session_rubric
from ..workflow import shadow as verbs
from . import bp, queries
from .forms import AttachForm, ConflictForm

SCORERS = SCORER_ROLES


def _seated(assignment_id: int):
    assignment = queries.seated_assignment(current_user, assignment_id)
    if assignment is None:
        abort(404)
    return assignment


@bp.app_context_processor
def _shadow_links():
    """Let the home page ask whether the user shadows a panel (one query, when asked)."""
    def shadow_seat_count() -> int:
        if not current_user.is_authenticated:
            return 0
        return len(queries.seats_of(current_user))
    return {"shadow_seat_count": shadow_seat_count}


@bp.route("/")
@role_required(*SCORERS)
def index():
    """List the panels the user shadows, with their candidates and the user's progress."""
    seats = [(seat, queries.shadow_queue(seat)) for seat in queries.seats_of(current_user)]
    return render_template("shadow/index.html", seats=seats,
                           agreement=queries.shadow_agreement(current_user))


@bp.route("/<int:assignment_id>/declare", methods=["GET", "POST"])
@role_required(*SCORERS)
def declare(assignment_id: int):
    """The shadow's conflict-of-interest declaration, as every examiner makes it."""
    assignment = _seated(assignment_id)
    if verbs.shadow_sheet_of(assignment, current_user) is not None:
        return redirect(url_for(".sheet", assignment_id=assignment_id))
    form = ConflictForm()
    if form.validate_on_submit():
        # The same declaration sent twice at once: the first counts (perform rolled back).
        with suppress(IntegrityError):
            perform(verbs.declare_shadow_conflict, assignment,
                    current_user._get_current_object(), form.relationship.data,
                    form.detail.data or "")
        return redirect(url_for(".sheet", assignment_id=assignment_id))
    return render_template("shadow/declare.html", form=form, assignment=assignment)


@bp.route("/<int:assignment_id>")
@role_required(*SCORERS)
def sheet(assignment_id: int):
    """Score on the same component; after the close, the comparison with the panel."""
    assignment = _seated(assignment_id)
    own = verbs.shadow_sheet_of(assignment, current_user)
    if own is None:
        if assignment.status not in ("pending", "discussion"):
            return render_template("shadow/missed.html", assignment=assignment)
        return redirect(url_for(".declare", assignment_id=assignment_id))
    rubric = session_rubric(assignment.panel.session)
    state = json.loads(own.scores)
    if own.status == "draft" and assignment.status in ("pending", "discussion"):
        return render_template(
            "shadow/sheet.html", assignment=assignment, sheet=own, rubric=rubric, state=state,
            lang=current_language(), direct={  # the shadow's endpoints, never the outbox
                "key": f"shadow-{assignment.id}",
                "urls": {"draft": url_for(".save", assignment_id=assignment.id),
                         "submit": url_for(".submit", assignment_id=assignment.id),
                         "done": url_for(".sheet", assignment_id=assignment.id)}})
    return render_template("shadow/result.html", assignment=assignment, sheet=own,
                           rubric=rubric, state=state, lang=current_language(),
                           comparison=queries.comparison(assignment, own))


@bp.route("/<int:assignment_id>/draft", methods=["POST"])
@role_required(*SCORERS)
def save(assignment_id: int):
    """Save the shadow's sheet state (the scoring component's draft call)."""
    data = json_payload()
    own, applied = perform(verbs.save_shadow_draft, _seated(assignment_id),
                           current_user._get_current_object(), data.get("scores"),
                           data.get("seq"))
    return jsonify({"status": own.status, "applied": applied, "seq": own.client_seq})


@bp.route("/<int:assignment_id>/submit", methods=["POST"])
@role_required(*SCORERS)
def submit(assignment_id: int):
    """Submit the shadow's sheet (the signature the component sends is not kept)."""
    data = json_payload()
    perform(verbs.submit_shadow_sheet, _seated(assignment_id),
            current_user._get_current_object(), data.get("scores"), data.get("seq"))
    return jsonify({"status": "submitted", "content_hash": "",
                    "receipt": gettext("Shadow sheet submitted")})


@bp.route("/panels/<int:panel_id>", methods=["GET", "POST"])
@role_required("chair", "admin")
def panel(panel_id: int):
    """The panel's shadows and their agreement with it (its chair, administrators)."""
    item = db.get_or_404(Panel, panel_id)
    if current_user.role != "admin" and item.chair_id != current_user.id:
        abort(403)
    form = AttachForm()
    form.user_id.choices = [(u.id, f"{u.username} · {u.full_name}")
                            for u in queries.attachable_users(item, SCORERS)]
    if request.method == "POST":
        if current_user.role != "admin":
            abort(403)
        if form.validate_on_submit():
            perform(verbs.attach_shadow, item, db.get_or_404(User, form.user_id.data),
                    actor=current_user._get_current_object(), info=request_info())
            flash(gettext("The shadow is seated beside the panel."), "success")
            return redirect(url_for(".panel", panel_id=item.id))
    shadows = [(s, queries.shadow_agreement(s.user, item)) for s in queries.seats_of_panel(item)]
    return render_template("shadow/panel.html", panel=item, shadows=shadows, form=form)
