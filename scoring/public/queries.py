"""Plain data for the public pages: published criteria and published sessions' results.

Nothing here returns a NIK, and a candidate's name only when the session publishes names.
Results are the rows of the session's latest publication (closing publishes, a correction
publishes again), never live rows; agreement figures are
:func:`scoring.chair.agreement_report.panel_agreement`,
the one summary the chair's report and the minutes print too. The cache key includes the
audit chain's head, and every publication is an audit event.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select

from ..chair import agreement_report as agreement
from ..extensions import db
from ..models import AuditHead, InterviewSession, Panel, Publication
from ..rules.sheet_facts import session_rubric

PUBLISHED = ("open", "closed", "correction")
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 16


def published_sessions(limit: int = 200) -> list[InterviewSession]:
    """Return sessions whose criteria are public (open or closed), newest first."""
    return list(db.session.scalars(
        select(InterviewSession).where(InterviewSession.status.in_(PUBLISHED))
        .order_by(InterviewSession.held_on.desc(), InterviewSession.code).limit(limit)))


def published_session_or_404(code: str) -> InterviewSession:
    """Return the open or closed session with ``code``; 404 for a draft (drafts are not
    public) or no such session."""
    return db.first_or_404(select(InterviewSession).where(
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
    quorum: int | None = None
    scored: int | None = None
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
    icc2k_band: str | None = None  # codes of the one band table (scoring.chair.agreement_report)
    alpha_band: str | None = None


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
    publication = latest_publication(session)
    names = session.publish_names
    rows = [] if publication is None else [
        PublicResult(**{**row, "name": row["name"] if names else None})
        for row in json.loads(publication.results)]
    value = (rows, panel_agreements(session))
    _CACHE[key] = value
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def latest_publication(session: InterviewSession) -> Publication | None:
    """Return the session's newest publication (what the public reads), or None."""
    return db.session.scalar(select(Publication).where(Publication.session_id == session.id)
                             .order_by(Publication.number.desc()).limit(1))


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def panel_agreements(session: InterviewSession) -> list[PanelAgreement]:
    """Return each panel's agreement: the one summary the report and the minutes print too."""
    out = []
    for panel in db.session.scalars(select(Panel).where(Panel.session_id == session.id)
                                    .order_by(Panel.name)):
        a = agreement.panel_agreement(panel)
        out.append(PanelAgreement(
            panel.name, a["n_examiners"], a["n_candidates"],
            _finite(a.get("icc21")), _finite(a.get("icc2k")), _finite(a.get("alpha")),
            a.get("icc2k_band"), a.get("alpha_band")))
    return out
