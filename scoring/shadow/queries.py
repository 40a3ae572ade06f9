"""Reads for shadow pages: a shadow's candidates, the comparison after close, agreement.

The comparison reads the panel's sheets only for a closed candidate, and only for the shadow
who submitted their own sheet (or the chair and administrators, through
:func:`scoring.rules.visibility.can_see_assignment`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from ..extensions import db
from ..models import (
    Assignment,
    Candidate,
    InterviewSession,
    Panel,
    ShadowSeat,
    ShadowSheet,
    User,
)
from ..rubrics import Rubric
from ..rules.results import stored_final_score
from ..rules.sheet_facts import session_rubric
from ..stats import percent_agreement
from ..workflow.sheets import sheet_state


def seats_of(user: User, open_only: bool = False) -> list[ShadowSeat]:
    """Return the user's shadow seats, newest session first."""
    query = (select(ShadowSeat).join(Panel, Panel.id == ShadowSeat.panel_id)
             .join(InterviewSession, InterviewSession.id == Panel.session_id)
             .where(ShadowSeat.user_id == user.id)
             .order_by(InterviewSession.held_on.desc(), Panel.name))
    if open_only:
        query = query.where(InterviewSession.status == "open")
    return list(db.session.scalars(query))


def seats_of_panel(panel: Panel) -> list[ShadowSeat]:
    """Return the shadows seated beside ``panel``."""
    return list(db.session.scalars(select(ShadowSeat).where(ShadowSeat.panel_id == panel.id)
                                   .order_by(ShadowSeat.id)))


@dataclass(frozen=True)
class QueueRow:
    """A candidate of a shadowed panel and the shadow's own progress."""

    assignment_id: int
    position: int
    participant_number: str
    name: str
    status: str  # the candidate's status
    sheet: str  # not_started, draft, submitted, recused


def shadow_queue(seat: ShadowSeat) -> list[QueueRow]:
    """Return the panel's candidates in interview order with the shadow's sheet state."""
    own = dict(db.session.execute(
        select(ShadowSheet.assignment_id, ShadowSheet.status)
        .join(Assignment, Assignment.id == ShadowSheet.assignment_id)
        .where(Assignment.panel_id == seat.panel_id, ShadowSheet.examiner_id == seat.user_id)
    ).all())
    rows = db.session.execute(
        select(Assignment.id, Assignment.position, Candidate.participant_number, Candidate.name,
               Assignment.status)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .where(Assignment.panel_id == seat.panel_id).order_by(Assignment.position))
    return [QueueRow(aid, pos, number, name, status, own.get(aid, "not_started"))
            for aid, pos, number, name, status in rows]


def seated_assignment(user: User, assignment_id: int) -> Assignment | None:
    """Return the assignment if ``user`` shadows its panel (None otherwise)."""
    return db.session.scalar(
        select(Assignment).join(ShadowSeat, ShadowSeat.panel_id == Assignment.panel_id)
        .where(Assignment.id == assignment_id, ShadowSeat.user_id == user.id))


def consensus(value: float) -> int:
    """Return the panel's level for a mean: rounded half away from zero."""
    return int(math.floor(value + 0.5))


def panel_levels(assignment: Assignment, rubric: Rubric) -> dict[str, float]:
    """Return the panel's mean final level per criterion (after discussion) of a candidate."""
    sums: dict[str, list[int]] = {code: [] for code in rubric.codes}
    for sheet in assignment.sheets:
        if sheet.status != "submitted":
            continue
        final = {**sheet_state(sheet, "pre"), **sheet_state(sheet, "post")}
        for code in rubric.codes:
            if code in final and final[code]["level"] is not None:
                sums[code].append(final[code]["level"])
    return {code: float(np.mean(v)) for code, v in sums.items() if v}


def comparison(assignment: Assignment, sheet: ShadowSheet) -> dict | None:
    """Return the shadow's levels beside the panel's final levels (None before the close)."""
    if assignment.status != "closed" or sheet.status != "submitted":
        return None
    rubric = session_rubric(assignment.panel.session)
    panel = panel_levels(assignment, rubric)
    own = json.loads(sheet.scores)
    rows = []
    for criterion in rubric.criteria:
        mine = (own.get(criterion.code) or {}).get("level")
        mean = panel.get(criterion.code)
        level = consensus(mean) if mean is not None else None
        rows.append({"criterion": criterion, "own": mine, "panel_mean": mean,
                     "panel_level": level,
                     "difference": None if mine is None or level is None else mine - level})
    revised = sum(1 for s in assignment.sheets for sc in s.scores if sc.phase == "post")
    return {"rows": rows, "final_score": stored_final_score(assignment),
            "override_reason": assignment.override_reason if assignment.override_score
            is not None else None, "revised": revised,
            "discussed": assignment.discussion_opened_at is not None}


def shadow_agreement(user: User, panel: Panel | None = None) -> dict:
    """Return a shadow's exact and adjacent agreement with the panels' final levels.

    One (shadow, panel) pair per closed candidate and criterion, through
    :func:`scoring.stats.percent_agreement`; ``n`` is the number of candidates compared.
    """
    query = (select(ShadowSheet, Assignment).join(Assignment,
                                                  Assignment.id == ShadowSheet.assignment_id)
             .where(ShadowSheet.examiner_id == user.id, ShadowSheet.status == "submitted",
                    Assignment.status == "closed"))
    if panel is not None:
        query = query.where(Assignment.panel_id == panel.id)
    pairs, n = [], 0
    for sheet, assignment in db.session.execute(query).all():
        rubric = session_rubric(assignment.panel.session)
        levels = panel_levels(assignment, rubric)
        own = json.loads(sheet.scores)
        n += 1
        for code, mean in levels.items():
            level = (own.get(code) or {}).get("level")
            if level is not None:
                pairs.append((level, consensus(mean)))
    if not pairs:
        return {"n": 0, "exact": None, "adjacent": None}
    x = np.asarray(pairs, dtype=float)
    return {"n": n, "exact": percent_agreement(x, 0).value,
            "adjacent": percent_agreement(x, 1).value}


def attachable_users(panel: Panel, roles) -> list[User]:
    """Return the active users of ``roles`` who may be seated as the panel's shadow.

    Nobody already beside the panel: its shadows, its members and its chair.
    """
    seated = {s.user_id for s in seats_of_panel(panel)} | \
        {m.user_id for m in panel.members} | {panel.chair_id}
    users = db.session.scalars(select(User).where(User.active.is_(True), User.role.in_(roles))
                               .order_by(User.username))
    return [u for u in users if u.id not in seated]
