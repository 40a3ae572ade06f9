"""Session results: each candidate's panel means, final score by the rubric's formula, rank."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import ASSIGNMENT_MARKS, Assignment, InterviewSession, Panel, ScoreSheet
from .sheet_facts import FINISHED_SHEETS, effective_levels, panel_quorum


@dataclass(frozen=True)
class CandidateResult:
    """One candidate's result row (plain data, ready for pages and exports)."""

    participant_number: str
    name: str
    position_applied: str
    panel: str
    order: int
    submitted: int
    recused: int
    quorum: int
    # "incomplete" | "complete" | "closed" | "absent" | "withdrawn" | "not_assessable"
    status: str
    criterion_means: dict[str, float]
    computed_score: float | None
    final_score: float | None
    overridden: bool
    override_reason: str | None
    rank: int | None = None
    absent: int = 0
    position_rank: int | None = None  # rank among the candidates for the same position


def session_results(session: InterviewSession, panel: Panel | None = None) -> list[CandidateResult]:
    """Return every candidate's result in ``session`` (or one panel), ranked by final score.

    Only closed candidates have a final score (the one stored at close) and a rank; marked
    candidates (absent, withdrawn, not assessable) are listed as such, never ranked.
    """
    quorums: dict[int, int] = {}
    rows = []
    for a in db.session.scalars(_assignments(session, panel)):
        if a.panel_id not in quorums:
            quorums[a.panel_id] = panel_quorum(a.panel)
        submitted = [s for s in a.sheets if s.status == "submitted"]
        closed = a.status == "closed"
        # The final score is computed once, at close, and stored; nothing recomputes it.
        # A closed candidate shows the quorum and sheet count recorded when it closed.
        quorum = a.quorum_at_close if closed and a.quorum_at_close else quorums[a.panel_id]
        counted = a.scored_at_close if closed and a.scored_at_close is not None \
            else len(submitted)
        status = _status(a, len(submitted), quorum)
        overridden = closed and a.override_score is not None
        rows.append(CandidateResult(
            participant_number=a.candidate.participant_number,
            name=a.candidate.name,
            position_applied=a.candidate.position_applied,
            panel=a.panel.name,
            order=a.position,
            submitted=counted,
            recused=sum(1 for s in a.sheets if s.status == "recused"),
            quorum=quorum,
            status=status,
            criterion_means=_criterion_means(submitted),
            computed_score=a.final_score if closed else None,
            final_score=stored_final_score(a),
            overridden=overridden,
            override_reason=a.override_reason if overridden else None,
            absent=sum(1 for s in a.sheets if s.status == "absent"),
        ))
    return _ranked(rows)


def _assignments(session: InterviewSession, panel: Panel | None):
    """Return the query of the session's (or panel's) candidates, sheets and scores loaded."""
    query = (
        select(Assignment)
        .options(selectinload(Assignment.panel).selectinload(Panel.members))
        .where(Assignment.session_id == session.id)
        .options(
            selectinload(Assignment.candidate),
            selectinload(Assignment.panel),
            selectinload(Assignment.sheets).selectinload(ScoreSheet.scores),
        )
        .order_by(Assignment.panel_id, Assignment.position)
    )
    return query if panel is None else query.where(Assignment.panel_id == panel.id)


def _status(a: Assignment, submitted: int, quorum: int) -> str:
    """Return a candidate's result status: its mark or closed, else complete or incomplete."""
    if a.status in ASSIGNMENT_MARKS or a.status == "closed":
        return a.status
    statuses = {s.examiner_id: s.status for s in a.sheets}
    outstanding = any(statuses.get(m.user_id) not in FINISHED_SHEETS
                      for m in a.panel.members if m.required)
    return "incomplete" if outstanding or submitted < quorum else "complete"


def _criterion_means(submitted: list[ScoreSheet]) -> dict[str, float]:
    """Return each criterion's mean of the submitted sheets' effective levels."""
    means: dict[str, list[int]] = defaultdict(list)
    for sheet in submitted:
        for code, level in effective_levels(sheet).items():
            means[code].append(level)
    return {c: round(sum(v) / len(v), 4) for c, v in sorted(means.items())}


def stored_final_score(assignment: Assignment) -> float | None:
    """Return a closed candidate's stored final score (the override when there is one)."""
    if assignment.status != "closed":
        return None
    if assignment.override_score is not None:
        return assignment.override_score
    return assignment.final_score


def public_rows(session: InterviewSession) -> list[dict]:
    """Return the rows a publication stores: never a NIK.

    Names are stored so that the session's ``publish_names`` setting, read when the page is
    shown, decides whether the public sees them.
    """
    return [{"rank": r.rank, "participant_number": r.participant_number,
             "name": r.name, "panel": r.panel,
             "final_score": r.final_score, "status": r.status, "quorum": r.quorum,
             "scored": r.submitted, "position": r.position_applied,
             "position_rank": r.position_rank}
            for r in by_position(session_results(session))]


def _ranked(rows: list[CandidateResult]) -> list[CandidateResult]:
    scored = sorted((r for r in rows if r.final_score is not None),
                    key=lambda r: (-r.final_score, r.participant_number))
    out, rank, previous = [], 0, None
    for i, row in enumerate(scored, start=1):
        if row.final_score != previous:
            rank, previous = i, row.final_score  # ties share a rank ("1, 1, 3")
        out.append(_with_rank(row, rank))
    out.extend(r for r in rows if r.final_score is None)
    return out


def _with_rank(row: CandidateResult, rank: int) -> CandidateResult:
    return replace(row, rank=rank)


def by_position(results: list[CandidateResult]) -> list[CandidateResult]:
    """Return ``results`` grouped by position applied for (formasi), ranked within each.

    Appointments are made per position, so an office reads the ranking per position: the
    groups in alphabetical order (no position last), each ranked by final score with ties
    sharing a rank and unscored candidates after the scored ones.
    """
    groups: dict[str, list[CandidateResult]] = defaultdict(list)
    for row in results:
        groups[row.position_applied or ""].append(row)
    out = []
    for position in sorted(groups, key=lambda p: (p == "", p.casefold())):
        for row in _ranked(groups[position]):
            out.append(replace(row, position_rank=row.rank) if row.final_score is not None
                       else row)
    ranks = {r.participant_number: r.rank for r in results}
    return [replace(r, rank=ranks[r.participant_number]) for r in out]
