"""Read-only queries for the administration pages: paginated, searchable, sortable lists.

Sorting is by whitelisted columns only (a column name from the query string never reaches
SQL unchecked); searching is a case-insensitive substring match on a few text columns.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, selectinload

from ..extensions import db
from ..models import (
    SCORER_ROLES,
    Amendment,
    Assignment,
    Candidate,
    ConflictDeclaration,
    InterviewSession,
    Panel,
    PanelMember,
    ScoreSheet,
    User,
)
from ..paths import data_dir
from ..rubrics import Rubric, RubricError, check_rubrics

PER_PAGE = 25
RUBRIC_TEMPLATE = "TEMPLATE.yaml"


class ListPage(Pagination):
    """A page of an already loaded list, with the same face as :meth:`db.paginate`'s pages."""

    def _query_items(self) -> list:
        start = self._query_offset
        return list(self._query_args["rows"][start:start + self.per_page])

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


def list_page(rows: list, page: int, per_page: int = PER_PAGE) -> Pagination:
    """Return page ``page`` of ``rows`` (a page past the end: the last)."""
    last = max(1, math.ceil(len(rows) / per_page))
    return ListPage(page=min(max(1, page), last), per_page=per_page, max_per_page=None,
                    error_out=False, rows=rows)


@dataclass(frozen=True)
class ListArgs:
    """What a list page was asked for: search text, sort column and direction, page."""

    q: str = ""
    sort: str = ""
    desc: bool = False
    page: int = 1
    filters: dict = field(default_factory=dict)

    @classmethod
    def from_request(cls, args, sorts: dict, default: str, filters: tuple = (),
                     default_desc: bool = False) -> ListArgs:
        """Read ``q``, ``sort``, ``dir`` and ``page``; an unknown sort falls back to ``default``."""
        sort = args.get("sort", default)
        if sort not in sorts:
            sort = default
        try:
            page = max(1, int(args.get("page", 1)))
        except ValueError:
            page = 1
        return cls(q=(args.get("q") or "").strip()[:100], sort=sort,
                   desc=(args.get("dir") or ("desc" if default_desc else "asc")) == "desc",
                   page=page,
                   filters={k: args.get(k, "") for k in filters})


def paginate(stmt: Select, page: int, per_page: int = PER_PAGE) -> Pagination:
    """Return page ``page`` of ``stmt`` by ``db.paginate`` (a page past the end: the last)."""
    found = db.paginate(stmt, page=max(1, page), per_page=per_page, max_per_page=None,
                        error_out=False)
    if found.pages and found.page > found.pages:
        found = db.paginate(stmt, page=found.pages, per_page=per_page, max_per_page=None,
                            error_out=False)
    return found


def _ordered(stmt: Select, sorts: dict, args: ListArgs, tiebreak) -> Select:
    column = sorts[args.sort]
    return stmt.order_by(column.desc() if args.desc else column.asc(), tiebreak)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search(columns, text: str):
    pattern = _like(text)
    return or_(*(func.lower(c).like(pattern, escape="\\") for c in columns))


SESSION_SORTS = {"held_on": InterviewSession.held_on, "code": InterviewSession.code,
                 "name": InterviewSession.name, "status": InterviewSession.status}
USER_SORTS = {"username": User.username, "full_name": User.full_name, "role": User.role,
              "active": User.active}
CANDIDATE_SORTS = {"participant_number": Candidate.participant_number, "name": Candidate.name,
                   "position": Candidate.position_applied}
ASSIGNMENT_SORTS = {"panel": Panel.name, "position": Assignment.position,
                    "participant_number": Candidate.participant_number, "name": Candidate.name}


@dataclass(frozen=True)
class SessionItem:
    """A session in the administrator's list, with its counts."""

    session: InterviewSession
    panels: int
    candidates: int
    sheets: int


def sessions_page(args: ListArgs) -> Pagination:
    """Return a page of sessions (search: code, name, place) with panel/candidate counts."""
    stmt = select(InterviewSession)
    if args.q:
        stmt = stmt.where(_search(
            (InterviewSession.code, InterviewSession.name, InterviewSession.place), args.q))
    if args.filters.get("status") in ("draft", "open", "closed"):
        stmt = stmt.where(InterviewSession.status == args.filters["status"])
    page = paginate(_ordered(stmt, SESSION_SORTS, args, InterviewSession.id), args.page)
    ids = [s.id for s in page.items]
    panels = _grouped(Panel.session_id, ids)
    candidates = _grouped(Assignment.session_id, ids)
    sheets = _grouped(ScoreSheet.session_id, ids)
    page.items = [SessionItem(s, panels.get(s.id, 0), candidates.get(s.id, 0),
                              sheets.get(s.id, 0)) for s in page.items]
    return page


def _grouped(key, ids) -> dict:
    if not ids:
        return {}
    return dict(db.session.execute(select(key, func.count()).where(key.in_(ids)).group_by(key))
                .all())


def users_page(args: ListArgs) -> Pagination:
    """Return a page of users (search: username, full name, NIP; filter: role)."""
    stmt = select(User)
    if args.q:
        stmt = stmt.where(_search((User.username, User.full_name, User.nip), args.q))
    if args.filters.get("role") in ("admin", "chair", "examiner"):
        stmt = stmt.where(User.role == args.filters["role"])
    return paginate(_ordered(stmt, USER_SORTS, args, User.id), args.page)


def candidates_page(args: ListArgs) -> Pagination:
    """Return a page of candidates (search: participant number, name, position)."""
    stmt = select(Candidate)
    if args.q:
        stmt = stmt.where(_search(
            (Candidate.participant_number, Candidate.name, Candidate.position_applied), args.q))
    return paginate(_ordered(stmt, CANDIDATE_SORTS, args, Candidate.id), args.page)


def session_assignments_page(session: InterviewSession, args: ListArgs) -> Pagination:
    """Return a page of ``session``'s assignments, each with its candidate and panel loaded."""
    stmt = (select(Assignment)
            .join(Candidate, Candidate.id == Assignment.candidate_id)
            .join(Panel, Panel.id == Assignment.panel_id)
            .options(contains_eager(Assignment.candidate), contains_eager(Assignment.panel))
            .where(Assignment.session_id == session.id))
    if args.q:
        stmt = stmt.where(_search((Candidate.participant_number, Candidate.name), args.q))
    stmt = _ordered(stmt, ASSIGNMENT_SORTS, args, Assignment.position)
    return paginate(stmt.order_by(Assignment.id), args.page)


def session_panels(session: InterviewSession) -> list[Panel]:
    """Return the session's panels with members, chair and assignment counts loaded."""
    return list(db.session.scalars(
        select(Panel).where(Panel.session_id == session.id).order_by(Panel.name)
        .options(selectinload(Panel.members).selectinload(PanelMember.user),
                 selectinload(Panel.chair))))


def panel_assignments(panel: Panel) -> list[Assignment]:
    """Return the panel's assignments in interview order, candidates and sheets loaded."""
    return list(db.session.scalars(
        select(Assignment).where(Assignment.panel_id == panel.id)
        .order_by(Assignment.position, Assignment.id)
        .options(selectinload(Assignment.candidate), selectinload(Assignment.sheets))))


def assignment_counts(session: InterviewSession) -> dict[int, int]:
    """Return ``{panel_id: candidates}`` for the session's panels."""
    return dict(db.session.execute(
        select(Assignment.panel_id, func.count()).where(Assignment.session_id == session.id)
        .group_by(Assignment.panel_id)).all())


def scorers(role: str | None = None) -> list[User]:
    """Return the active examiners and chairs (or one ``role``), by name."""
    roles = (role,) if role else SCORER_ROLES
    return list(db.session.scalars(select(User).where(User.role.in_(roles), User.active)
                                   .order_by(User.full_name, User.username)))


def unassigned_candidates(session: InterviewSession, limit: int = 500) -> list[Candidate]:
    """Return candidates not yet on any panel of ``session`` (by participant number)."""
    taken = select(Assignment.candidate_id).where(Assignment.session_id == session.id)
    return list(db.session.scalars(select(Candidate).where(Candidate.id.not_in(taken))
                                   .order_by(Candidate.participant_number).limit(limit)))


def session_has_sheets(session: InterviewSession) -> bool:
    """Return whether any score sheet exists in ``session`` (its rubric is then fixed)."""
    return bool(db.session.scalar(select(func.count()).select_from(ScoreSheet)
                                  .where(ScoreSheet.session_id == session.id)))


@dataclass(frozen=True)
class ConflictWarning:
    """An examiner on a panel with a candidate they declared a relationship with."""

    examiner: str
    examiner_name: str
    participant_number: str
    panel: str
    relationship: str
    declared_in: str  # the session code of the declaration


def conflict_warnings(
    session: InterviewSession, panel: Panel | None = None
) -> list[ConflictWarning]:
    """Return every examiner/candidate pair of ``session`` with a declared conflict anywhere."""
    declared = aliased(Assignment)
    stmt = (
        select(User.username, User.full_name, Candidate.participant_number, Panel.name,
               ConflictDeclaration.relationship, InterviewSession.code)
        .select_from(Assignment)
        .join(Panel, Panel.id == Assignment.panel_id)
        .join(PanelMember, PanelMember.panel_id == Panel.id)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .join(declared, declared.candidate_id == Assignment.candidate_id)
        .join(ConflictDeclaration, (ConflictDeclaration.assignment_id == declared.id)
              & (ConflictDeclaration.examiner_id == PanelMember.user_id))
        .join(User, User.id == PanelMember.user_id)
        .join(InterviewSession, InterviewSession.id == declared.session_id)
        .where(Assignment.session_id == session.id, ConflictDeclaration.relationship != "none")
        .order_by(Panel.name, Candidate.participant_number, User.username)
    )
    if panel is not None:
        stmt = stmt.where(Assignment.panel_id == panel.id)
    return [ConflictWarning(*row) for row in db.session.execute(stmt).all()]


@dataclass(frozen=True)
class OverrideRow:
    """A final score replaced by hand, with its reason."""

    participant_number: str
    panel: str
    override_score: float
    computed_score: float | None
    reason: str
    by: str


def overrides(session: InterviewSession) -> list[OverrideRow]:
    """Return the session's overridden final scores."""
    by = aliased(User)
    rows = db.session.execute(
        select(Candidate.participant_number, Panel.name, Assignment.override_score,
               Assignment.final_score, Assignment.override_reason, by.username)
        .select_from(Assignment)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .join(Panel, Panel.id == Assignment.panel_id)
        .outerjoin(by, by.id == Assignment.override_by_id)
        .where(Assignment.session_id == session.id, Assignment.override_score.is_not(None))
        .order_by(Candidate.participant_number)).all()
    return [OverrideRow(n, p, s, f, r or "", u or "") for n, p, s, f, r, u in rows]


@dataclass(frozen=True)
class AmendmentRow:
    """A requested change to a submitted sheet and its decision."""

    participant_number: str
    examiner: str
    reason: str
    status: str
    decided_by: str
    decision_note: str
    created_at: datetime
    decided_at: datetime | None


def amendments(session: InterviewSession) -> list[AmendmentRow]:
    """Return the session's amendments, newest first."""
    requester, decider = aliased(User), aliased(User)
    rows = db.session.execute(
        select(Candidate.participant_number, requester.username, Amendment.reason,
               Amendment.status, decider.username, Amendment.decision_note,
               Amendment.created_at, Amendment.decided_at)
        .select_from(Amendment)
        .join(ScoreSheet, ScoreSheet.id == Amendment.sheet_id)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .join(requester, requester.id == Amendment.requested_by_id)
        .outerjoin(decider, decider.id == Amendment.decided_by_id)
        .where(ScoreSheet.session_id == session.id)
        .order_by(Amendment.created_at.desc(), Amendment.id.desc())).all()
    return [AmendmentRow(n, e, r, s, d or "", note or "", c, at)
            for n, e, r, s, d, note, c, at in rows]


@dataclass(frozen=True)
class RubricChoice:
    """A rubric file in ``rubrics/``: valid (with its rubric) or not (with its errors)."""

    filename: str
    rubric: Rubric | None
    errors: tuple[RubricError, ...]


def rubric_choices() -> list[RubricChoice]:
    """Return every rubric file shipped in ``rubrics/``, validated."""
    folder = data_dir("rubrics")
    return [RubricChoice(os.path.basename(source), rubric, tuple(errors))
            for source, rubric, errors in check_rubrics([folder])
            if os.path.basename(source) != RUBRIC_TEMPLATE]  # a model to copy, not to use


def reset_code_groups() -> list[tuple[str, str]]:
    """Return (value, label) choices of who gets reset codes: a role, or a panel of a session
    not yet closed (newest session first)."""
    rows = db.session.execute(
        select(Panel.id, Panel.name, InterviewSession.code)
        .join(InterviewSession, InterviewSession.id == Panel.session_id)
        .where(InterviewSession.status != "closed")
        .order_by(InterviewSession.held_on.desc(), InterviewSession.code, Panel.name)).all()
    return [(f"panel:{pid}", f"{code} · {name}") for pid, name, code in rows]


def members_and_chair(member_ids: list[int] | None, chair_id: int | None
                      ) -> tuple[list[User], User | None]:
    """Return the chosen members in the order they were chosen, and the chair."""
    order = list(dict.fromkeys(member_ids or []))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(order)))}
    return [users[i] for i in order], db.session.get(User, chair_id or 0)


def session_choices() -> list:
    """Return (id, code, name) of every session, the latest first (import form choices)."""
    return db.session.execute(
        select(InterviewSession.id, InterviewSession.code, InterviewSession.name)
        .order_by(InterviewSession.held_on.desc())).all()
