"""Read-only queries of the examiner's pages: the queue, one's own sheet, pending amendments.

Everything here is scoped to the user asking: an examiner only ever reaches candidates of the
panels they sit on, and only their own sheet. Rows are plain frozen dataclasses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, select

from ..extensions import db
from ..models import (
    Amendment,
    Assignment,
    Candidate,
    InterviewSession,
    Panel,
    PanelMember,
    Score,
    ScoreSheet,
    User,
)
from ..workflow import WorkflowError, can_see_colleagues, may_decide

QUEUE_STATES = ("not_started", "draft", "submitted", "recused")


@dataclass(frozen=True)
class QueueRow:
    """One candidate in the examiner's queue, with the examiner's own sheet state."""

    assignment_id: int
    position: int
    participant_number: str
    name: str
    state: str  # one of QUEUE_STATES
    scored: int
    submitted_at: datetime | None


@dataclass(frozen=True)
class QueueGroup:
    """The candidates of one panel of one open session, in interview order."""

    session_name: str
    held_on: date
    panel_name: str
    room: str
    today: bool
    rows: tuple[QueueRow, ...]


def examiner_queue(user: User, today: date) -> list[QueueGroup]:
    """Return the user's panels in open sessions, today's first, then the newest."""
    panels = db.session.execute(
        select(Panel, InterviewSession)
        .join(InterviewSession, InterviewSession.id == Panel.session_id)
        .join(PanelMember, and_(PanelMember.panel_id == Panel.id,
                                PanelMember.user_id == user.id))
        .where(InterviewSession.status == "open")
    ).all()
    if not panels:
        return []
    rows = db.session.execute(
        select(Assignment.id, Assignment.panel_id, Assignment.position,
               Candidate.participant_number, Candidate.name, ScoreSheet.id,
               ScoreSheet.status, ScoreSheet.submitted_at)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .outerjoin(ScoreSheet, and_(ScoreSheet.assignment_id == Assignment.id,
                                    ScoreSheet.examiner_id == user.id))
        .where(Assignment.panel_id.in_([p.id for p, _ in panels]))
        .order_by(Assignment.position, Assignment.id)
    ).all()
    scored = _scored_counts([r[5] for r in rows if r[5] is not None])
    by_panel: dict[int, list[QueueRow]] = {}
    for aid, panel_id, position, number, name, sheet_id, status, submitted_at in rows:
        by_panel.setdefault(panel_id, []).append(QueueRow(
            assignment_id=aid, position=position, participant_number=number, name=name,
            state=status or "not_started", scored=scored.get(sheet_id, 0),
            submitted_at=submitted_at,
        ))
    groups = [
        QueueGroup(session_name=s.name, held_on=s.held_on, panel_name=p.name, room=p.room,
                   today=s.held_on == today, rows=tuple(by_panel.get(p.id, ())))
        for p, s in panels
    ]
    groups.sort(key=lambda g: (not g.today, -g.held_on.toordinal(), g.session_name,
                               g.panel_name))
    return groups


def _scored_counts(sheet_ids: list[int]) -> dict[int, int]:
    if not sheet_ids:
        return {}
    counts: dict[int, int] = {}
    for sheet_id in db.session.scalars(
        select(Score.sheet_id).where(Score.sheet_id.in_(sheet_ids), Score.phase == "pre")
    ):
        counts[sheet_id] = counts.get(sheet_id, 0) + 1
    return counts


# The two look-ups of every request of a tablet, built once (building a statement and its
# cache key costs more CPU than running it); the values are bound parameters.
_MEMBER_ASSIGNMENT = (
    select(Assignment)
    .join(PanelMember, and_(PanelMember.panel_id == Assignment.panel_id,
                            PanelMember.user_id == bindparam("user_id")))
    .where(Assignment.id == bindparam("assignment_id")))
_OWN_SHEET = select(ScoreSheet).where(ScoreSheet.assignment_id == bindparam("assignment_id"),
                                      ScoreSheet.examiner_id == bindparam("user_id"))


def member_assignment(user: User, assignment_id: int) -> Assignment:
    """Return the assignment if ``user`` sits on its panel; otherwise the same 404 as absent."""
    assignment = db.session.scalar(_MEMBER_ASSIGNMENT,
                                   {"user_id": user.id, "assignment_id": assignment_id})
    if assignment is None:
        raise WorkflowError("not_found", _l("No such candidate in your panels."), 404)
    return assignment


def own_sheet(assignment: Assignment, user: User) -> ScoreSheet | None:
    """Return the user's own sheet for the assignment, if they have declared."""
    return db.session.scalar(_OWN_SHEET, {"assignment_id": assignment.id, "user_id": user.id})


@dataclass(frozen=True)
class AmendmentRow:
    """An amendment as the chair (or the requesting examiner) sees it."""

    id: int
    status: str
    participant_number: str
    candidate_name: str
    panel_name: str
    examiner: str
    reason: str
    changes: tuple[tuple[str, dict | None, dict | None], ...]  # (code, before, after)
    created_at: datetime
    decision_note: str
    decided_at: datetime | None


def _row(amendment: Amendment) -> AmendmentRow:
    change = json.loads(amendment.change)
    assignment = amendment.sheet.assignment
    return AmendmentRow(
        id=amendment.id, status=amendment.status,
        participant_number=assignment.candidate.participant_number,
        candidate_name=assignment.candidate.name, panel_name=assignment.panel.name,
        examiner=amendment.sheet.examiner.full_name,
        reason=amendment.reason,
        changes=tuple((code, change["before"].get(code), change["after"].get(code))
                      for code in sorted(change["after"])),
        created_at=amendment.created_at, decision_note=amendment.decision_note or "",
        decided_at=amendment.decided_at,
    )


def sheet_amendments(sheet: ScoreSheet) -> list[AmendmentRow]:
    """Return every amendment of one sheet, newest first (for its examiner)."""
    return [_row(a) for a in db.session.scalars(
        select(Amendment).where(Amendment.sheet_id == sheet.id).order_by(Amendment.id.desc())
    )]


def amendments_to_decide(user: User, limit: int = 200) -> tuple[list, list]:
    """Return ``(pending, recently decided)`` amendments ``user`` may decide and see.

    A chair sees the amendments of the panels they chair, except their own requests and
    those of candidates whose colleagues' scores they may not see yet (a chair who also
    scores must submit first); an administrator sees the requests made by chairs.
    """
    query = (
        select(Amendment)
        .join(ScoreSheet, ScoreSheet.id == Amendment.sheet_id)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .join(Panel, Panel.id == Assignment.panel_id)
        .where(Amendment.requested_by_id != user.id)
        .order_by(Amendment.id.desc())
        .limit(limit)
    )
    if user.role == "admin":
        query = query.where(Amendment.requested_by_id == Panel.chair_id)
    else:
        query = query.where(Panel.chair_id == user.id)
    pending, decided = [], []
    for amendment in db.session.scalars(query):
        if not can_see_colleagues(amendment.sheet.assignment, user):
            continue
        (pending if amendment.status == "pending" else decided).append(_row(amendment))
    return pending, decided


def decidable_amendment(user: User, amendment_id: int) -> Amendment:
    """Return the amendment if ``user`` may decide it and see its scores; else 404."""
    amendment = db.session.get(Amendment, amendment_id)
    if (amendment is None or not may_decide(amendment, user)
            or not can_see_colleagues(amendment.sheet.assignment, user)):
        raise WorkflowError("not_found", _l("No such amendment."), 404)
    return amendment


def in_discussion(user: User) -> list:
    """Return the candidates in discussion on ``user``'s panels, latest session first."""
    return db.session.execute(
        select(Assignment.id, Assignment.position, Assignment.status, Candidate.participant_number,
               Candidate.name, Panel.name, InterviewSession.name)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .join(Panel, Panel.id == Assignment.panel_id)
        .join(InterviewSession, InterviewSession.id == Assignment.session_id)
        .join(PanelMember, PanelMember.panel_id == Panel.id)
        .where(PanelMember.user_id == user.id, Assignment.status == "discussion")
        .order_by(InterviewSession.held_on.desc(), Panel.name, Assignment.position)).all()
