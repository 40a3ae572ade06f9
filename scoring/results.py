"""Session results: each candidate's panel means, final score by the rubric's formula, rank."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import Assignment, InterviewSession, Panel, ScoreSheet
from .workflow.sessions import panel_quorum, session_rubric


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
    status: str  # "incomplete" | "complete" | "closed"
    criterion_means: dict[str, float]
    computed_score: float | None
    final_score: float | None
    overridden: bool
    override_reason: str | None
    rank: int | None = None
    position_rank: int | None = None  # rank among the candidates for the same position


def effective_scores(sheet: ScoreSheet) -> dict[str, int]:
    """Return the sheet's levels, post-discussion revisions replacing the originals."""
    levels = {s.criterion_code: s.level for s in sheet.scores if s.phase == "pre"}
    levels.update({s.criterion_code: s.level for s in sheet.scores if s.phase == "post"})
    return levels


def session_results(session: InterviewSession, panel: Panel | None = None) -> list[CandidateResult]:
    """Compute every candidate's result in ``session`` (or one panel), ranked by final score."""
    rubric = session_rubric(session)
    query = (
        select(Assignment)
        .where(Assignment.session_id == session.id)
        .options(
            selectinload(Assignment.candidate),
            selectinload(Assignment.panel),
            selectinload(Assignment.sheets).selectinload(ScoreSheet.scores),
        )
        .order_by(Assignment.panel_id, Assignment.position)
    )
    if panel is not None:
        query = query.where(Assignment.panel_id == panel.id)
    quorums: dict[int, int] = {}
    rows = []
    for a in db.session.scalars(query):
        if a.panel_id not in quorums:
            quorums[a.panel_id] = panel_quorum(a.panel)
        submitted = [s for s in a.sheets if s.status == "submitted"]
        sheets = {s.examiner_id: effective_scores(s) for s in submitted}
        means: dict[str, list[int]] = defaultdict(list)
        for levels in sheets.values():
            for code, level in levels.items():
                means[code].append(level)
        quorum = quorums[a.panel_id]
        computed = None
        if len(submitted) >= quorum and sheets:
            try:
                computed = rubric.final_score(sheets)
            except ValueError:  # a criterion nobody scored: no result rather than a wrong one
                computed = None
        status = "closed" if a.status == "closed" else (
            "complete" if computed is not None else "incomplete")
        overridden = a.override_score is not None
        rows.append(CandidateResult(
            participant_number=a.candidate.participant_number,
            name=a.candidate.name,
            position_applied=a.candidate.position_applied,
            panel=a.panel.name,
            order=a.position,
            submitted=len(submitted),
            recused=sum(1 for s in a.sheets if s.status == "recused"),
            quorum=quorum,
            status=status,
            criterion_means={c: round(sum(v) / len(v), 4) for c, v in sorted(means.items())},
            computed_score=computed,
            final_score=a.override_score if overridden else computed,
            overridden=overridden,
            override_reason=a.override_reason,
        ))
    return _ranked(rows)


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
