"""Who may see a candidate's numbers: one rule, used by every page, export, document and CLI.

The rule (issue 10, "Visibility"):

* nobody but its own examiner sees a sheet's levels or notes, and nobody sees a candidate's
  means, ranks or figures, until every panel member's sheet for the candidate is in
  (``submitted``, ``recused`` or ``absent``);
* then the panel's chair and administrators see them; the panel's examiners once the chair
  has opened discussion, and only if they submitted their own sheet; the public once the
  session is public (:func:`session_public`);
* a chair who also scores is a panel member, so their own sheet must be in first;
* anyone else (a chair or examiner of another panel) sees nothing of the panel.

:func:`decide` is the rule itself, a pure function over plain facts (:class:`Viewer`,
:class:`CandidateFacts`), testable without a database. The wrappers below load those facts:
:func:`assignment_decision` for one candidate, :func:`decisions` for many at once (a few
queries whatever the number of candidates).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..extensions import db
from ..models import Assignment, InterviewSession, Panel, PanelMember, Publication, ScoreSheet

__all__ = [
    "ADMIN", "ANONYMOUS", "IN_STATES", "CandidateFacts", "Decision", "Viewer",
    "assignment_decision", "can_see_assignment", "decide", "decisions", "load_facts",
    "may_see", "may_see_sheet", "outstanding", "session_public", "state_text", "viewer_of",
]

# A member's sheet is "in" when it is one of these: every other state keeps numbers hidden.
IN_STATES = ("submitted", "recused", "absent")


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a user id and role, or nobody (``id`` None: the public or the CLI)."""

    id: int | None = None
    role: str | None = None  # "admin" | "chair" | "examiner" | None (the public)


ANONYMOUS = Viewer()
# The command line's default context: an administrator, who still waits for every sheet.
ADMIN = Viewer(None, "admin")


@dataclass(frozen=True)
class CandidateFacts:
    """The plain facts about one candidate that the rule reads."""

    chair_id: int | None
    members: frozenset[int]  # the panel's members (the chair too, when they score)
    sheets: Mapping[int, str] = field(default_factory=dict)  # examiner id -> sheet status
    status: str = "pending"  # the assignment's status
    public: bool = False  # whether the session is public (session_public)


@dataclass(frozen=True)
class Decision:
    """What a viewer may see of one candidate, and why not when they may not.

    ``reason`` is ``visible``, ``waiting`` (``outstanding`` sheets not yet in),
    ``own_sheet`` (the viewer's own sheet is not submitted), ``discussion`` (the chair has
    not opened discussion) or ``no_access`` (not the viewer's panel, session not public).
    ``related`` says whether the viewer may know the candidate's state at all.
    """

    visible: bool
    reason: str
    outstanding: int = 0
    related: bool = True


def outstanding(facts: CandidateFacts) -> int:
    """Return how many panel members' sheets are not yet in."""
    return sum(1 for uid in facts.members if facts.sheets.get(uid) not in IN_STATES)


def decide(viewer: Viewer, facts: CandidateFacts) -> Decision:
    """Return whether ``viewer`` may see the candidate's numbers (levels, means, ranks)."""
    missing = outstanding(facts)
    is_chair = viewer.id is not None and viewer.id == facts.chair_id
    is_member = viewer.id is not None and viewer.id in facts.members
    related = viewer.role == "admin" or is_chair or is_member or facts.public
    if missing:
        return Decision(False, "waiting", missing, related)
    if facts.public or viewer.role == "admin" or is_chair:
        return Decision(True, "visible")
    if is_member:
        if facts.sheets.get(viewer.id) != "submitted":
            return Decision(False, "own_sheet")
        if facts.status in ("discussion", "closed"):
            return Decision(True, "visible")
        return Decision(False, "discussion")
    return Decision(False, "no_access", related=False)


def may_see(viewer: Viewer, facts: CandidateFacts) -> bool:
    """Return whether ``viewer`` may see the candidate's numbers."""
    return decide(viewer, facts).visible


def may_see_sheet(viewer: Viewer, facts: CandidateFacts, examiner_id: int) -> bool:
    """Return whether ``viewer`` may see the levels and notes of ``examiner_id``'s sheet."""
    return (viewer.id is not None and viewer.id == examiner_id) or may_see(viewer, facts)


def state_text(decision: Decision, status: str = "") -> str:
    """Return what an export says in place of a hidden candidate's numbers (never a number)."""
    if decision.visible:
        return status
    if decision.reason == "waiting":
        n = decision.outstanding
        return f"waiting for {n} sheet" + ("" if n == 1 else "s")
    return {"own_sheet": "waiting for your own sheet",
            "discussion": "waiting for discussion"}.get(decision.reason, "not visible")


# ---- database-facing wrappers ---------------------------------------------------------------


def session_public(session: InterviewSession) -> bool:
    """Return whether the public may see the session's results: it has been published.

    A session is published when it closes (publication 1); while a correction is open the
    public keeps reading the last publication, so the session stays public.
    """
    if session.status not in ("closed", "correction"):
        return False
    return bool(db.session.scalar(select(func.count()).select_from(Publication)
                                  .where(Publication.session_id == session.id)))


def viewer_of(user) -> Viewer:
    """Return the :class:`Viewer` of a user (None or an anonymous user: the public)."""
    if isinstance(user, Viewer):
        return user
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    return Viewer(user.id, user.role)


def load_facts(*, assignment_ids: Iterable[int] | None = None,
               panel_ids: Iterable[int] | None = None,
               session_id: int | None = None) -> dict[int, CandidateFacts]:
    """Return ``{assignment id: facts}`` of the chosen candidates in three queries."""
    where = []
    if assignment_ids is not None:
        ids = list(assignment_ids)
        if not ids:
            return {}
        where.append(Assignment.id.in_(ids))
    if panel_ids is not None:
        pids = list(panel_ids)
        if not pids:
            return {}
        where.append(Assignment.panel_id.in_(pids))
    if session_id is not None:
        where.append(Assignment.session_id == session_id)
    if not where:
        raise ValueError("load_facts: give assignment_ids, panel_ids or session_id")
    rows = db.session.execute(
        select(Assignment.id, Assignment.panel_id, Assignment.session_id, Assignment.status,
               Panel.chair_id)
        .join(Panel, Panel.id == Assignment.panel_id).where(*where)).all()
    if not rows:
        return {}
    panel_ids = {r.panel_id for r in rows}
    members: dict[int, set[int]] = defaultdict(set)  # required members
    optional: dict[int, set[int]] = defaultdict(set)  # e.g. a substitute for one candidate
    for pid, uid, required in db.session.execute(
            select(PanelMember.panel_id, PanelMember.user_id, PanelMember.required)
            .where(PanelMember.panel_id.in_(panel_ids))):
        (members if required else optional)[pid].add(uid)
    sheets: dict[int, dict[int, str]] = defaultdict(dict)
    for aid, uid, status in db.session.execute(
            select(ScoreSheet.assignment_id, ScoreSheet.examiner_id, ScoreSheet.status)
            .join(Assignment, Assignment.id == ScoreSheet.assignment_id).where(*where)):
        sheets[aid][uid] = status
    public = {sid: session_public(db.session.get(InterviewSession, sid))
              for sid in {r.session_id for r in rows}}
    return {r.id: CandidateFacts(r.chair_id, _scorers(members[r.panel_id],
                                                      optional[r.panel_id], sheets[r.id]),
                                 sheets[r.id], r.status, public[r.session_id]) for r in rows}


def _scorers(required: set[int], optional: set[int], sheets: Mapping[int, str]) -> frozenset:
    """Return who scores this candidate: the required members, and an optional member (a
    substitute seated for one candidate) only where they hold a sheet for it; otherwise a
    substitute would hold back every other candidate of the panel."""
    return frozenset(required | (optional & sheets.keys()))


def decisions(viewer, *, assignment_ids: Iterable[int] | None = None,
              panel_ids: Iterable[int] | None = None,
              session_id: int | None = None) -> dict[int, Decision]:
    """Return ``{assignment id: Decision}`` for many candidates at once (bulk form)."""
    who = viewer_of(viewer)
    facts = load_facts(assignment_ids=assignment_ids, panel_ids=panel_ids, session_id=session_id)
    return {aid: decide(who, f) for aid, f in facts.items()}


def assignment_facts(assignment: Assignment) -> CandidateFacts:
    """Return the facts of one candidate from its loaded relationships."""
    panel = assignment.panel
    sheets = {s.examiner_id: s.status for s in assignment.sheets}
    members = _scorers({m.user_id for m in panel.members if m.required},
                       {m.user_id for m in panel.members if not m.required}, sheets)
    return CandidateFacts(panel.chair_id, members, sheets, assignment.status,
                          session_public(panel.session))


def assignment_decision(assignment: Assignment, viewer) -> Decision:
    """Return what ``viewer`` may see of one candidate."""
    return decide(viewer_of(viewer), assignment_facts(assignment))


def can_see_assignment(assignment: Assignment, viewer) -> bool:
    """Return whether ``viewer`` may see one candidate's numbers."""
    return assignment_decision(assignment, viewer).visible


def can_see_sheet(sheet: ScoreSheet, viewer) -> bool:
    """Return whether ``viewer`` may see one sheet's levels and notes."""
    return may_see_sheet(viewer_of(viewer), assignment_facts(sheet.assignment), sheet.examiner_id)
