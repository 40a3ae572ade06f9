"""Plain-data contexts of the signed documents: the only code here that reads the database.

Each builder returns nested dicts, lists, strings, numbers and dates, in one language. Their
canonical JSON is the document's source: unchanged data gives the same hash, so the stored
document is served again instead of a new rendering.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections import defaultdict

from sqlalchemy import select

from ..chair.agreement_report import panel_agreement
from ..extensions import db
from ..models import (
    Assignment,
    AuditEvent,
    ConflictDeclaration,
    InterviewSession,
    Panel,
    ScoreSheet,
)
from ..rubrics import Rubric
from ..rules.results import stored_final_score
from ..rules.sheet_facts import effective_levels, panel_quorum, pre_levels, session_rubric
from ..rules.visibility import ADMIN, decisions
from ..workflow.audit import canonical_json

__all__ = ["minutes_context", "recap_context", "sheet_context", "source_hash"]


def source_hash(context: dict) -> str:
    """Return the SHA-256 of the context's canonical JSON."""
    return hashlib.sha256(canonical_json(context).encode("utf-8")).hexdigest()


def _session(session: InterviewSession) -> dict:
    return {"id": session.id, "code": session.code, "name": session.name,
            "held_on": session.held_on, "place": session.place}


def _panel(panel: Panel) -> dict:
    return {"id": panel.id, "name": panel.name, "room": panel.room,
            "chair": panel.chair.full_name if panel.chair else None}


def _candidate(assignment: Assignment) -> dict:
    c = assignment.candidate
    return {"participant_number": c.participant_number, "name": c.name,
            "position": c.position_applied}


def _rubric(rubric: Rubric, lang: str) -> dict:
    return {"title": rubric.title.get(lang), "id": rubric.id, "version": rubric.version,
            "hash": rubric.content_hash, "min": rubric.scale.min, "max": rubric.scale.max,
            "method": rubric.combination.method, "decimals": rubric.combination.decimals}


def _person(user) -> dict:
    return {"name": user.full_name, "username": user.username, "nip": user.nip}


def _png_uri(data: bytes | None) -> str | None:
    if not data:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def sheet_context(sheet: ScoreSheet, lang: str = "id") -> dict:
    """Return the data of an examiner's submitted score sheet."""
    assignment = sheet.assignment
    session = assignment.panel.session
    rubric = session_rubric(session)
    scores = {s.criterion_code: s for s in sheet.scores if s.phase == "pre"}
    criteria = []
    for criterion in rubric.criteria:
        score = scores.get(criterion.code)
        level = score.level if score else None
        criteria.append({
            "code": criterion.code, "name": criterion.name.get(lang), "weight": criterion.weight,
            "level": level,
            "label": rubric.scale.label(level).get(lang) if level is not None else None,
            "anchor": criterion.anchor(level).get(lang) if level is not None else None,
            "note": score.note if score else "",
        })
    levels = {c["code"]: c["level"] for c in criteria if c["level"] is not None}
    total = rubric.final_score({sheet.examiner_id: levels}) if len(levels) == len(criteria) \
        else None
    return {
        "kind": "sheet", "lang": lang,
        "session": _session(session), "panel": _panel(assignment.panel),
        "candidate": _candidate(assignment), "rubric": _rubric(rubric, lang),
        "examiner": _person(sheet.examiner), "criteria": criteria, "total": total,
        "submitted_at": sheet.submitted_at, "content_hash": sheet.content_hash,
        "signature": _png_uri(sheet.signature_png),
    }


def _recap_examiner(sheet) -> dict:
    """Return one examiner's sheet on the recap: independent levels, then revisions."""
    post = {s.criterion_code: {"level": s.level, "reason": s.reason}
            for s in sheet.scores if s.phase == "post"}
    return {"name": sheet.examiner.full_name, "status": sheet.status, "pre": pre_levels(sheet),
            "post": post, "submitted_at": sheet.submitted_at, "content_hash": sheet.content_hash}


def recap_context(assignment: Assignment, lang: str = "id") -> dict:
    """Return the data of a candidate's recap: every examiner, pre and post, the final score."""
    panel = assignment.panel
    rubric = session_rubric(panel.session)
    members = {m.user_id: m.user for m in panel.members}
    sheets = sorted(assignment.sheets, key=lambda s: (s.examiner.full_name, s.examiner_id))
    examiners = [_recap_examiner(sheet) for sheet in sheets]
    counted = {sheet.examiner_id: effective_levels(sheet) for sheet in sheets
               if sheet.status == "submitted"}
    means = rubric.criterion_means(counted) if counted else {}
    criteria = [{"code": c.code, "name": c.name.get(lang), "weight": c.weight,
                 "mean": None if means.get(c.code) is None else round(means[c.code], 4)}
                for c in rubric.criteria]
    closed = assignment.status == "closed"
    # The final score was computed once, at close, and stored: documents print that value.
    computed = assignment.final_score if closed else None
    override = None
    if closed and assignment.override_score is not None:
        override = {"score": assignment.override_score, "reason": assignment.override_reason,
                    "by": _name(members, assignment.override_by_id, panel)}
    final = stored_final_score(assignment)
    return {
        "kind": "recap", "lang": lang,
        "session": _session(panel.session), "panel": _panel(panel),
        "candidate": _candidate(assignment), "rubric": _rubric(rubric, lang),
        "status": assignment.status, "closed_at": assignment.closed_at,
        "closed_by": _name(members, assignment.closed_by_id, panel),
        "quorum": assignment.quorum_at_close if closed and assignment.quorum_at_close
        else panel_quorum(panel),
        "submitted": assignment.scored_at_close if closed and assignment.scored_at_close
        is not None else len(counted),
        "absent": [s.examiner.full_name for s in sheets if s.status == "absent"],
        "status_reason": assignment.status_reason,
        "examiners": examiners, "criteria": criteria,
        "weight_total": sum(c.weight for c in rubric.criteria),
        "computed_score": computed, "final_score": final, "override": override,
        "chair": panel.chair.full_name if panel.chair else None,
    }


def reopenings(panel: Panel) -> list[dict]:
    """Return the panel's reopened candidates from the audit trail: who, when and why."""
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "assignment.reopen",
                                 AuditEvent.session_id == panel.session_id,
                                 AuditEvent.object_id.in_([str(a.id) for a in panel.assignments]))
        .order_by(AuditEvent.id))
    out = []
    for event in rows:
        data = json.loads(event.data)
        out.append({"participant_number": data.get("candidate"), "at": event.created_at,
                    "by": event.actor, "reason": data.get("reason", "")})
    return out


def _name(members: dict, user_id: int | None, panel: Panel) -> str | None:
    if user_id is None:
        return None
    if panel.chair and panel.chair.id == user_id:
        return panel.chair.full_name
    user = members.get(user_id)
    return user.full_name if user else f"#{user_id}"


def minutes_context(session: InterviewSession, panel: Panel | None = None,
                    lang: str = "id") -> dict:
    """Return the data of the minutes (berita acara) of a session, or of one of its panels."""
    rubric = session_rubric(session)
    panels = [panel] if panel is not None else list(session.panels)
    doc = {
        "kind": "minutes", "lang": lang, "session": _session(session),
        "rubric": _rubric(rubric, lang), "scope": "panel" if panel is not None else "session",
        "panels": [_panel_minutes(p, rubric) for p in panels],
    }
    overrides = certification_overrides(session, panels)
    if overrides:  # only then: minutes of sessions without a gate keep their source hash
        doc["certification_overrides"] = overrides
    return doc


def certification_overrides(session: InterviewSession, panels: list[Panel]) -> list[dict]:
    """Return the examiners of ``panels`` seated without a calibration pass, and why."""
    from ..models import CertificationOverride

    seated = {m.user_id for p in panels for m in p.members}
    rows = db.session.scalars(select(CertificationOverride).where(
        CertificationOverride.session_id == session.id).order_by(CertificationOverride.id))
    return [{"examiner": o.user.full_name, "reason": o.reason,
             "by": o.by.full_name if o.by else "", "at": o.created_at}
            for o in rows if o.user_id in seated]


def _minutes_members(panel: Panel, sheets: list) -> list[dict]:
    """Return the panel's members as the minutes list them (a chair outside the panel first)."""
    by_examiner = defaultdict(int)
    for sheet in sheets:
        by_examiner[sheet.examiner_id] += 1
    members = [{"name": m.user.full_name, "nip": m.user.nip,
                "role": "chair" if panel.chair_id == m.user_id else "member",
                "present": by_examiner[m.user_id] > 0,
                "submitted": sum(1 for s in sheets
                                 if s.examiner_id == m.user_id and s.status == "submitted")}
               for m in panel.members]
    if panel.chair is not None and all(m.user_id != panel.chair_id for m in panel.members):
        members.insert(0, {"name": panel.chair.full_name, "nip": panel.chair.nip,
                           "role": "chair", "present": True, "submitted": 0})
    return members


def _panel_minutes(panel: Panel, rubric: Rubric) -> dict:
    assignments = list(panel.assignments)
    sheets = [s for a in assignments for s in a.sheets]
    declared = {(d.assignment_id, d.examiner_id): d for d in db.session.scalars(
        select(ConflictDeclaration).where(
            ConflictDeclaration.assignment_id.in_([a.id for a in assignments])))} \
        if assignments else {}
    members = _minutes_members(panel, sheets)
    recusals = []
    candidates = []
    # The minutes print figures only of candidates whose every sheet is in (the chair's and
    # the administrator's view: the same for both, so the sealed document is too).
    shown = {aid for aid, d in decisions(ADMIN, panel_ids=[panel.id]).items() if d.visible}
    for a in assignments:
        for s in a.sheets:
            if s.status == "recused":
                d = declared.get((a.id, s.examiner_id))
                recusals.append({"participant_number": a.candidate.participant_number,
                                 "examiner": s.examiner.full_name,
                                 "relationship": d.relationship if d else "other"})
        submitted = [s for s in a.sheets if s.status == "submitted"]
        if not submitted and a.status == "pending":
            continue
        closed = a.status == "closed"
        candidates.append({"participant_number": a.candidate.participant_number,
                           "name": a.candidate.name, "status": a.status,
                           "submitted": a.scored_at_close if closed and a.scored_at_close
                           is not None else len(submitted),
                           "quorum": a.quorum_at_close if closed else None,
                           "status_reason": a.status_reason,
                           "final_score": stored_final_score(a) if a.id in shown else None})
    return {"id": panel.id, "name": panel.name, "room": panel.room,
            "chair": panel.chair.full_name if panel.chair else None,
            "members": members, "recusals": recusals, "candidates": candidates,
            "reopened": reopenings(panel),
            "agreement": agreement_summary(panel, rubric)}


def agreement_summary(panel: Panel, rubric: Rubric) -> dict:
    """Return the panel's agreement figures: the one summary every document prints."""
    summary = panel_agreement(panel)
    summary.pop("n_examiners", None)
    return {key: (_finite(value) if isinstance(value, float) else value)
            for key, value in summary.items()}


def _finite(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None
