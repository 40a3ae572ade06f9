"""Plain data for the public pages: published criteria and closed sessions' results.

Nothing here returns a NIK, and a candidate's name only when the session publishes names.
Results are computed once per change: the cache key includes the audit chain's head,
and every change to scores, overrides or candidates is an audit event.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import Assignment, AuditHead, InterviewSession, Panel, ScoreSheet
from .results import by_position, effective_scores, session_results
from .rubrics import Rubric
from .stats import icc, krippendorff_alpha
from .workflow.sessions import panel_quorum, session_rubric

PUBLISHED = ("open", "closed")
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 16


def published_sessions(limit: int = 200) -> list[InterviewSession]:
    """Return sessions whose criteria are public (open or closed), newest first."""
    return list(db.session.scalars(
        select(InterviewSession).where(InterviewSession.status.in_(PUBLISHED))
        .order_by(InterviewSession.held_on.desc(), InterviewSession.code).limit(limit)))


def published_session(code: str) -> InterviewSession | None:
    """Return the open or closed session with ``code`` (drafts are not public)."""
    return db.session.scalar(select(InterviewSession).where(
        InterviewSession.code == code, InterviewSession.status.in_(PUBLISHED)))


def criteria_context(session: InterviewSession, lang: str) -> dict:
    """Return the published criteria of ``session`` as plain data (no interview questions).

    The questions stay with the examiners: publishing them would let candidates rehearse
    answers and defeat the structured interview; the criteria, anchors and weights are what
    candidates are judged on, and those are public.
    """
    rubric = session_rubric(session)
    total = sum(c.weight for c in rubric.criteria)
    panels = list(db.session.scalars(select(Panel).where(Panel.session_id == session.id)
                                     .order_by(Panel.name)))
    return {
        "session": {"code": session.code, "name": session.name, "held_on": session.held_on,
                    "place": session.place, "status": session.status},
        "rubric": {"id": rubric.id, "version": rubric.version, "hash": rubric.content_hash,
                   "title": rubric.title.get(lang),
                   "description": rubric.description.get(lang) if rubric.description else ""},
        "scale": [{"value": lv.value, "label": lv.label.get(lang)} for lv in rubric.scale.levels],
        "scale_min": rubric.scale.min, "scale_max": rubric.scale.max,
        "midpoint": rubric.scale.midpoint,
        "criteria": [{
            "code": c.code, "name": c.name.get(lang), "definition": c.definition.get(lang),
            "weight": c.weight, "share": round(100 * c.weight / total, 1) if total else 0,
            "anchors": [{"value": v, "label": rubric.scale.label(v).get(lang),
                         "text": c.anchor(v).get(lang)} for v in rubric.scale.values],
        } for c in rubric.criteria],
        "evidence_required": sorted(rubric.evidence_required),
        "method": rubric.combination.method, "decimals": rubric.combination.decimals,
        "quorum": rubric.quorum, "discrepancy_threshold": rubric.discrepancy_threshold,
        "panel_quorums": [{"name": p.name, "quorum": p.quorum} for p in panels
                          if p.quorum is not None and p.quorum != rubric.quorum],
        "panels": len(panels),
    }


@dataclass(frozen=True)
class PublicResult:
    """One row of the public results: never a NIK; a name only if the session publishes it."""

    rank: int | None
    participant_number: str
    name: str | None
    panel: str
    final_score: float | None
    status: str
    position: str = ""
    position_rank: int | None = None


@dataclass(frozen=True)
class PanelAgreement:
    """How closely a panel's examiners agreed, over the candidates they scored."""

    panel: str
    examiners: int
    candidates: int
    icc_single: float | None  # ICC(2,1): agreement of one examiner with another
    icc_average: float | None  # ICC(2,k): reliability of the panel's mean score
    alpha: float | None  # Krippendorff's alpha, interval


def _latest_event() -> str:
    # The chain head's hash covers the newest event's time and content: unique per change,
    # and distinct between two databases that happen to have as many events.
    return db.session.scalar(select(AuditHead.last_hash)) or ""


def session_outcome(session: InterviewSession) -> tuple[list[PublicResult], list[PanelAgreement]]:
    """Return the public results and per-panel agreement of ``session`` (cached per change)."""
    key = (session.id, session.publish_names, session.status, _latest_event())
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    names = session.publish_names
    rows = [PublicResult(r.rank, r.participant_number, r.name if names else None, r.panel,
                         r.final_score, r.status, r.position_applied, r.position_rank)
            for r in by_position(session_results(session))]
    value = (rows, panel_agreements(session))
    _CACHE[key] = value
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 2)


def panel_agreements(session: InterviewSession) -> list[PanelAgreement]:
    """Compute each panel's agreement on the examiners' combined scores per candidate."""
    rubric = session_rubric(session)
    out = []
    for panel in db.session.scalars(select(Panel).where(Panel.session_id == session.id)
                                    .order_by(Panel.name)):
        assignments = db.session.scalars(
            select(Assignment).where(Assignment.panel_id == panel.id)
            .options(selectinload(Assignment.sheets).selectinload(ScoreSheet.scores)))
        out.append(_agreement(panel, rubric, list(assignments)))
    return out


def _agreement(panel: Panel, rubric: Rubric, assignments: list[Assignment]) -> PanelAgreement:
    examiners = sorted({s.examiner_id for a in assignments for s in a.sheets
                        if s.status == "submitted"})
    column = {e: i for i, e in enumerate(examiners)}
    rows = []
    for a in assignments:
        row = np.full(len(examiners), np.nan)
        for sheet in a.sheets:
            levels = effective_scores(sheet) if sheet.status == "submitted" else {}
            if levels and len(levels) == len(rubric.criteria):
                row[column[sheet.examiner_id]] = rubric.final_score({0: levels})
        if np.count_nonzero(~np.isnan(row)) >= 1:
            rows.append(row)
    scored = sum(1 for r in rows if np.count_nonzero(~np.isnan(r)) >= panel_quorum(panel))
    if len(rows) < 2 or len(examiners) < 2:
        return PanelAgreement(panel.name, len(examiners), scored, None, None, None)
    matrix = np.vstack(rows)
    result = icc(matrix, missing="model")
    alpha = krippendorff_alpha(matrix, level="interval")
    return PanelAgreement(panel.name, len(examiners), scored,
                          _finite(result["ICC(2,1)"].value), _finite(result["ICC(2,k)"].value),
                          _finite(alpha.value))
