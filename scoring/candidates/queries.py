"""Plain data for the candidate's own result, the method page and the objection summary.

A candidate's result is read from what was stored and published: the final score is
:func:`scoring.rules.results.stored_final_score`, the rank within the position is the latest
publication's row, and the per-criterion figures are the submitted sheets the score was made
from. Nothing here names an examiner, returns a NIK or another candidate's data.
"""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    OBJECTION_CATEGORIES,
    Assignment,
    InterviewSession,
    Objection,
    Panel,
    Publication,
    ScoreSheet,
    User,
)
from ..rules.results import stored_final_score
from ..rules.sheet_facts import effective_levels, panel_quorum, session_rubric
from ..rules.visibility import session_public
from ..workflow.objections import panel_user_ids, policy_of, wib, window_state


def objection_window(session: InterviewSession) -> dict:
    """Return the session's objection window: its state and its ends in WIB words."""
    policy = policy_of(session)
    return {"state": window_state(policy), "opens": wib(policy.objection_opens_at),
            "closes": wib(policy.objection_closes_at)}


def latest_publication(session: InterviewSession) -> Publication | None:
    """Return the session's latest publication, or None."""
    return db.session.scalar(select(Publication).where(Publication.session_id == session.id)
                             .order_by(Publication.number.desc()).limit(1))


def published_row(publication: Publication, participant_number: str) -> dict | None:
    """Return the candidate's row of a publication, or None."""
    for row in json.loads(publication.results):
        if row["participant_number"] == participant_number:
            return row
    return None


def _position_count(publication: Publication, position: str) -> int:
    return sum(1 for r in json.loads(publication.results)
               if (r.get("position") or "") == (position or "") and r.get("position_rank"))


def result_context(assignment: Assignment, lang: str) -> dict | None:
    """Return the candidate's explained result, or None before the session is published."""
    session = db.session.get(InterviewSession, assignment.session_id)
    if not session_public(session):
        return None
    publication = latest_publication(session)
    number = assignment.candidate.participant_number
    row = published_row(publication, number) or {}
    rubric = session_rubric(session)
    policy = policy_of(session)
    base = {
        "session": {"id": session.id, "code": session.code, "name": session.name,
                    "held_on": session.held_on, "place": session.place},
        "candidate": {"participant_number": number,
                      "position": assignment.candidate.position_applied},
        "publication": {"number": publication.number, "at": publication.published_at,
                        "reason": publication.reason},
        "status": row.get("status", assignment.status),
        "published_score": row.get("final_score"),
        "position_rank": row.get("position_rank"),
        "position_count": _position_count(publication, row.get("position", "")),
        "rank": row.get("rank"),
        "correction_open": session.status == "correction",
        "method": rubric.combination.method, "decimals": rubric.combination.decimals,
        "scale_min": rubric.scale.min, "scale_max": rubric.scale.max,
        "share_notes": bool(policy.share_notes),
    }
    if session.status != "closed" or assignment.status != "closed":
        # During a correction the live rows may be mid-change: only what was published shows.
        return {**base, "criteria": [], "final_score": None, "explained": False}
    return {**base, **_explained(assignment, rubric, lang, bool(policy.share_notes)),
            "explained": True}


def _explained(assignment: Assignment, rubric, lang: str, share_notes: bool) -> dict:
    sheets = list(db.session.scalars(
        select(ScoreSheet).options(selectinload(ScoreSheet.scores))
        .where(ScoreSheet.assignment_id == assignment.id, ScoreSheet.status == "submitted")
        .order_by(ScoreSheet.id)))
    finals = [effective_levels(s) for s in sheets]
    means = rubric.criterion_means(dict(enumerate(finals)))
    weight_total = sum(c.weight for c in rubric.criteria)
    criteria = []
    for c in rubric.criteria:
        levels = sorted(f[c.code] for f in finals if c.code in f)
        changed = sum(1 for s in sheets if _changed(s, c.code))
        notes = sorted({sc.note.strip() for s in sheets for sc in s.scores
                        if sc.criterion_code == c.code and sc.note.strip()}) if share_notes else []
        mean = None if means.get(c.code) is None else round(means[c.code], 4)
        criteria.append({
            "code": c.code, "name": c.name.get(lang), "weight": c.weight,
            "mean": mean, "term": None if mean is None else round(c.weight * mean, 4),
            "levels": levels, "spread": (levels[-1] - levels[0]) if levels else None,
            "anchors": [{"level": v, "label": rubric.scale.label(v).get(lang),
                         "text": c.anchor(v).get(lang)} for v in sorted(set(levels))],
            "changed_in_discussion": changed, "notes": notes,
        })
    override = None
    if assignment.override_score is not None:
        override = {"score": assignment.override_score, "reason": assignment.override_reason}
    return {
        "criteria": criteria, "weight_total": weight_total,
        "examiners": assignment.scored_at_close if assignment.scored_at_close is not None
        else len(sheets),
        "quorum": assignment.quorum_at_close or panel_quorum(assignment.panel),
        "computed_score": assignment.final_score, "override": override,
        "final_score": stored_final_score(assignment),
    }


def _changed(sheet: ScoreSheet, code: str) -> bool:
    pre = {s.criterion_code: s.level for s in sheet.scores if s.phase == "pre"}
    return any(s.phase == "post" and s.criterion_code == code and s.level != pre.get(code)
               for s in sheet.scores)


def notes_shared(session_id: int) -> bool:
    """Return whether the session shows evidence notes to candidates (examiners are told)."""
    session = db.session.get(InterviewSession, session_id)
    return session is not None and bool(policy_of(session).share_notes)


# ---- method page ------------------------------------------------------------------------


def method_context(session: InterviewSession, lang: str) -> dict:
    """Return the method of a session, generated from its rubric snapshot and settings."""
    rubric = session_rubric(session)
    policy = policy_of(session)
    panels = list(db.session.scalars(select(Panel).options(selectinload(Panel.members))
                                     .where(Panel.session_id == session.id)
                                     .order_by(Panel.name)))
    total = sum(c.weight for c in rubric.criteria)
    return {
        "session": {"code": session.code, "name": session.name, "held_on": session.held_on,
                    "place": session.place, "status": session.status},
        "rubric": {"title": rubric.title.get(lang), "version": rubric.version,
                   "hash": rubric.content_hash},
        "scale": [{"value": lv.value, "label": lv.label.get(lang)} for lv in rubric.scale.levels],
        "scale_min": rubric.scale.min, "scale_max": rubric.scale.max,
        "midpoint": rubric.scale.midpoint,
        "criteria": [{"code": c.code, "name": c.name.get(lang), "weight": c.weight,
                      "share": round(100 * c.weight / total, 1) if total else 0,
                      "anchors": [{"value": v, "label": rubric.scale.label(v).get(lang),
                                   "text": c.anchor(v).get(lang)} for v in rubric.scale.values]}
                     for c in rubric.criteria],
        "weight_total": total,
        "evidence_required": sorted(rubric.evidence_required),
        "method": rubric.combination.method, "decimals": rubric.combination.decimals,
        "quorum": rubric.quorum, "discrepancy_threshold": rubric.discrepancy_threshold,
        "panels": [{"name": p.name, "members": len(p.members),
                    "quorum": p.quorum if p.quorum is not None else rubric.quorum}
                   for p in panels],
        "share_notes": bool(policy.share_notes),
        "window": {"state": window_state(policy), "opens": wib(policy.objection_opens_at),
                   "closes": wib(policy.objection_closes_at)},
        "published": session_public(session),
    }


# ---- objections -------------------------------------------------------------------------


def assignment_by_number(session: InterviewSession, number: str) -> Assignment | None:
    """Return the session's placement of the candidate with this participant number."""
    from ..models import Candidate

    return db.session.scalar(
        select(Assignment).join(Candidate, Candidate.id == Assignment.candidate_id)
        .where(Assignment.session_id == session.id,
               Candidate.participant_number == (number or "").strip()[:64]))


def objection_of(assignment_id: int) -> Objection | None:
    """Return the candidate's objection for the session, if filed."""
    return db.session.scalar(select(Objection).where(Objection.assignment_id == assignment_id))


def objection_queue(session: InterviewSession) -> list[Objection]:
    """Return the session's objections, unanswered first, oldest first."""
    return list(db.session.scalars(
        select(Objection).options(selectinload(Objection.assignment)
                                  .selectinload(Assignment.candidate),
                                  selectinload(Objection.responder))
        .where(Objection.session_id == session.id)
        .order_by(Objection.status.in_(("accepted", "rejected")), Objection.filed_at)))


def assigned_to(user_id: int) -> list[Objection]:
    """Return the objections a responder must answer (and has answered), unanswered first."""
    return list(db.session.scalars(
        select(Objection).options(selectinload(Objection.assignment)
                                  .selectinload(Assignment.candidate))
        .where(Objection.responder_id == user_id)
        .order_by(Objection.status.in_(("accepted", "rejected")), Objection.filed_at)))


def response_due(objection: Objection, days: int):
    """Return when the objection should be answered: ``days`` after it was filed."""
    from datetime import timedelta

    return objection.filed_at + timedelta(days=days)


def objection_summary(session: InterviewSession) -> dict:
    """Return the public, anonymised objection counts: by category and outcome."""
    rows = db.session.execute(
        select(Objection.category, Objection.status, func.count())
        .where(Objection.session_id == session.id)
        .group_by(Objection.category, Objection.status)).all()
    counts = Counter()
    for category, status, n in rows:
        outcome = status if status in ("accepted", "rejected") else "pending"
        counts[(category, outcome)] += n
    table = [{"category": c, "accepted": counts[(c, "accepted")],
              "rejected": counts[(c, "rejected")], "pending": counts[(c, "pending")]}
             for c in OBJECTION_CATEGORIES]
    for r in table:
        r["total"] = r["accepted"] + r["rejected"] + r["pending"]
    totals = {k: sum(r[k] for r in table) for k in ("accepted", "rejected", "pending", "total")}
    corrections = db.session.scalar(select(func.count()).select_from(Objection).where(
        Objection.session_id == session.id, Objection.correction_number.is_not(None))) or 0
    return {"rows": table, "totals": totals, "corrections": corrections}


def responders(objection: Objection) -> list[User]:
    """Return the active users who may answer ``objection`` (nobody of the candidate's panel)."""
    barred = panel_user_ids(objection.assignment)
    users = db.session.scalars(select(User).where(User.active.is_(True))
                               .order_by(User.full_name, User.username))
    return [u for u in users if u.id not in barred]


def user_ids() -> list[int]:
    """Return every user's id (the responder form accepts any; the verb refuses the wrong)."""
    return list(db.session.scalars(select(User.id)))
