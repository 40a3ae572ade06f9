"""Shadow examiners: trainees beside a live panel. Their sheets count nowhere.

A shadow is not a panel member (no ``panel_member`` row), so quorum, visibility, results,
statistics, exports and documents never see them; their sheets live in ``shadow_sheet``.
Seating a shadow is audited (it decides who is in the room); their practice scores are not
part of the audit chain of real scores.
"""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import (
    RELATIONSHIPS,
    Assignment,
    Panel,
    PanelMember,
    ShadowSeat,
    ShadowSheet,
    User,
    utcnow,
)
from ..rules.sheet_facts import session_rubric
from .audit import RequestInfo, record
from .errors import WorkflowError
from .sheets import _normalise, require_complete


def attach_shadow(panel: Panel, user: User, *, actor: User | None = None,
                  info: RequestInfo | None = None) -> ShadowSeat:
    """Seat ``user`` beside ``panel`` as a shadow (not a member; counts nowhere)."""
    if user.role not in ("examiner", "chair") or not user.active:
        raise WorkflowError("not_examiner", _l("%(u)s is not an active examiner.",
                                               u=user.username), 400)
    if db.session.scalar(select(PanelMember.id).where(PanelMember.panel_id == panel.id,
                                                      PanelMember.user_id == user.id)) \
            or panel.chair_id == user.id:
        raise WorkflowError("is_member", _l("%(u)s is a member of this panel and cannot also "
                                            "shadow it.", u=user.username), 400)
    if db.session.scalar(select(ShadowSeat.id).where(ShadowSeat.panel_id == panel.id,
                                                     ShadowSeat.user_id == user.id)):
        raise WorkflowError("already_shadow", _l("%(u)s already shadows this panel.",
                                                 u=user.username))
    seat = ShadowSeat(panel=panel, user=user)
    db.session.add(seat)
    db.session.flush()
    record("shadow.attach", actor, seat, {"panel": panel.name, "shadow": user.username},
           session_id=panel.session_id, info=info)
    return seat


def shadow_seat(assignment: Assignment, user: User) -> ShadowSeat | None:
    """Return the user's shadow seat on the assignment's panel (None: not a shadow there)."""
    return db.session.scalar(select(ShadowSeat).where(ShadowSeat.panel_id == assignment.panel_id,
                                                      ShadowSeat.user_id == user.id))


def _require_seat(assignment: Assignment, user: User) -> None:
    if shadow_seat(assignment, user) is None:
        raise WorkflowError("not_found", _l("No such candidate in your panels."), 404)
    if assignment.status not in ("pending", "discussion"):
        # After the close the panel's levels are shown to the shadow: no scoring after that.
        raise WorkflowError("closed", _l("This candidate is closed; shadows score only "
                                         "before the close."))


def shadow_sheet_of(assignment: Assignment, user: User) -> ShadowSheet | None:
    """Return the shadow's own sheet for the candidate (None before the declaration)."""
    return db.session.scalar(select(ShadowSheet).where(
        ShadowSheet.assignment_id == assignment.id, ShadowSheet.examiner_id == user.id))


def declare_shadow_conflict(assignment: Assignment, user: User, relationship: str,
                            detail: str = "") -> ShadowSheet:
    """Record a shadow's declaration; a relationship recuses them from this candidate."""
    _require_seat(assignment, user)
    if relationship not in RELATIONSHIPS:
        raise WorkflowError("bad_relationship", _l("Choose a relationship from the list."), 400)
    detail = (detail or "").strip()
    if relationship == "other" and not detail:
        raise WorkflowError("detail_required", _l("Describe the relationship."), 400)
    if shadow_sheet_of(assignment, user) is not None:
        raise WorkflowError("already_declared", _l("You have already made your declaration."))
    sheet = ShadowSheet(assignment_id=assignment.id, examiner_id=user.id, conflict=relationship,
                        detail=detail[:2000], scores="{}", client_seq=0,
                        status="draft" if relationship == "none" else "recused")
    db.session.add(sheet)
    db.session.flush()
    return sheet


def _open_sheet(assignment: Assignment, user: User) -> ShadowSheet:
    _require_seat(assignment, user)
    sheet = shadow_sheet_of(assignment, user)
    if sheet is None:
        raise WorkflowError("not_declared", _l("Make your declaration first."), 409)
    if sheet.status == "submitted":
        raise WorkflowError("already_submitted", _l("The sheet is submitted and locked."))
    if sheet.status == "recused":
        raise WorkflowError("recused", _l("You are recused from this candidate."))
    return sheet


def save_shadow_draft(assignment: Assignment, user: User, scores, seq) -> tuple[ShadowSheet, bool]:
    """Save the shadow's full state unless a newer one was saved; return (sheet, applied)."""
    sheet = _open_sheet(assignment, user)
    state = _normalise(session_rubric(assignment.panel.session), scores)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise WorkflowError("bad_seq", _l("The sequence number must be a whole number."), 400)
    if seq <= sheet.client_seq:
        return sheet, False
    sheet.scores, sheet.client_seq = json.dumps(state, ensure_ascii=False), seq
    db.session.flush()
    return sheet, True


def submit_shadow_sheet(assignment: Assignment, user: User, scores, seq) -> ShadowSheet:
    """Submit and lock the shadow's sheet (complete, with the required notes)."""
    existing = shadow_sheet_of(assignment, user)
    if existing is not None and existing.status == "submitted":
        return existing  # a retried submission: the first counts
    sheet = _open_sheet(assignment, user)
    rubric = session_rubric(assignment.panel.session)
    state = _normalise(rubric, scores)
    require_complete(rubric, state)
    sheet.scores = json.dumps(state, ensure_ascii=False)
    sheet.client_seq = max(sheet.client_seq, seq if isinstance(seq, int) else 0)
    sheet.status, sheet.submitted_at = "submitted", utcnow()
    db.session.flush()
    return sheet
