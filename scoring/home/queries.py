"""Read-only queries for the home page; each returns plain frozen rows, never ORM objects.

Counts are aggregated in the database (one grouped query per figure), so the home page costs
the same few queries for ten sessions or ten thousand panels.

"Expected sheets" of a panel = candidates x members, less the sheets recused for a conflict of
interest: the number of sheets the panel has to deliver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..models import Assignment, InterviewSession, Panel, PanelMember, ScoreSheet, User


@dataclass(frozen=True)
class Progress:
    """Submitted sheets out of the sheets expected."""

    submitted: int
    expected: int

    @property
    def percent(self) -> int:
        """Return the share submitted, 0-100, rounded down (100 only when complete)."""
        if self.expected <= 0:
            return 0
        return min(100, self.submitted * 100 // self.expected)


@dataclass(frozen=True)
class SessionRow:
    """A session with its candidate count and sheet progress (administrator's view)."""

    id: int
    code: str
    name: str
    held_on: date
    place: str
    status: str
    candidates: int
    progress: Progress


@dataclass(frozen=True)
class PanelRow:
    """A panel with its session, candidate and member counts and sheet progress."""

    id: int
    name: str
    room: str
    session_id: int
    session_code: str
    session_name: str
    held_on: date
    session_status: str
    candidates: int
    members: int
    progress: Progress


def _count_by(key, *where):
    """Return ``{key: count}`` for a grouped count over the table of ``key``."""
    rows = db.session.execute(select(key, func.count()).where(*where).group_by(key))
    return {k: n for k, n in rows}


def _expected_by(key, ids_filter):
    """Return ``{key: candidates x members}`` for assignments matching ``ids_filter``."""
    rows = db.session.execute(
        select(key, func.count())
        .select_from(Assignment)
        .join(PanelMember, PanelMember.panel_id == Assignment.panel_id)
        .where(ids_filter)
        .group_by(key)
    )
    return {k: n for k, n in rows}


def _sheet_counts(key, *where) -> tuple[dict, dict]:
    """Return ``({key: submitted}, {key: recused})``; ``key`` may be an Assignment column."""
    rows = db.session.execute(
        select(key, ScoreSheet.status, func.count())
        .select_from(ScoreSheet)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .where(ScoreSheet.status.in_(("submitted", "recused")), *where)
        .group_by(key, ScoreSheet.status)
    )
    submitted: dict = {}
    recused: dict = {}
    for k, status, n in rows:
        (submitted if status == "submitted" else recused)[k] = n
    return submitted, recused


def admin_sessions(limit: int = 200) -> list[SessionRow]:
    """Return the newest sessions with candidate counts and sheet progress."""
    sessions = db.session.scalars(
        select(InterviewSession)
        .order_by(InterviewSession.held_on.desc(), InterviewSession.code)
        .limit(limit)
    ).all()
    if not sessions:
        return []
    ids = [s.id for s in sessions]
    candidates = _count_by(Assignment.session_id, Assignment.session_id.in_(ids))
    expected = _expected_by(Assignment.session_id, Assignment.session_id.in_(ids))
    submitted, recused = _sheet_counts(ScoreSheet.session_id, ScoreSheet.session_id.in_(ids))
    return [
        SessionRow(
            id=s.id, code=s.code, name=s.name, held_on=s.held_on, place=s.place,
            status=s.status, candidates=candidates.get(s.id, 0),
            progress=Progress(
                submitted.get(s.id, 0), expected.get(s.id, 0) - recused.get(s.id, 0)
            ),
        )
        for s in sessions
    ]


def _panel_rows(panel_filter, examiner_id: int | None = None) -> list[PanelRow]:
    """Return rows for the panels matching ``panel_filter``; progress of one examiner if given."""
    panels = db.session.execute(
        select(Panel, InterviewSession)
        .join(InterviewSession, InterviewSession.id == Panel.session_id)
        .where(panel_filter)
        .order_by(InterviewSession.held_on.desc(), InterviewSession.code, Panel.name)
    ).all()
    if not panels:
        return []
    ids = [p.id for p, _ in panels]
    candidates = _count_by(Assignment.panel_id, Assignment.panel_id.in_(ids))
    members = _count_by(PanelMember.panel_id, PanelMember.panel_id.in_(ids))
    where = [Assignment.panel_id.in_(ids)]
    if examiner_id is not None:
        where.append(ScoreSheet.examiner_id == examiner_id)
    submitted, recused = _sheet_counts(Assignment.panel_id, *where)
    rows = []
    for panel, session in panels:
        per_sheet = 1 if examiner_id is not None else members.get(panel.id, 0)
        expected = candidates.get(panel.id, 0) * per_sheet - recused.get(panel.id, 0)
        rows.append(PanelRow(
            id=panel.id, name=panel.name, room=panel.room, session_id=session.id,
            session_code=session.code, session_name=session.name, held_on=session.held_on,
            session_status=session.status, candidates=candidates.get(panel.id, 0),
            members=members.get(panel.id, 0),
            progress=Progress(submitted.get(panel.id, 0), expected),
        ))
    return rows


def chaired_panels(user: User) -> list[PanelRow]:
    """Return the panels ``user`` chairs in sessions under way or done (not drafts)."""
    return _panel_rows((Panel.chair_id == user.id) & (InterviewSession.status != "draft"))


def examiner_panels(user: User) -> list[PanelRow]:
    """Return the panels ``user`` sits on (not in drafts), with their own progress.

    A draft session's panels may still change and cannot be scored (the queue lists open
    sessions only), so the home page shows them to nobody but the administrator.
    """
    member_of = select(PanelMember.panel_id).where(PanelMember.user_id == user.id)
    return _panel_rows(Panel.id.in_(member_of) & (InterviewSession.status != "draft"),
                       examiner_id=user.id)
