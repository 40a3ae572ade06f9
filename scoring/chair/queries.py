"""Read-only queries of the chair's pages: the live board, one candidate, long score exports.

Everything returns plain data (dicts and lists), the same for the page, the JSON the board
polls, the exports and the command line. A few grouped queries per page, whatever the size of
the panel. Independence is enforced here too: a candidate's scores (and anything derived from
them, such as discrepancy flags) are only included when :mod:`scoring.rules.visibility` lets the
viewer see them.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from sqlalchemy import String, cast, func, select

from ..extensions import db
from ..models import Assignment, Candidate, ExportJob, Panel, PanelMember, Score, ScoreSheet, User
from ..rubrics import Rubric
from ..rules.sheet_facts import panel_quorum, session_rubric
from ..rules.visibility import ADMIN, can_see_assignment, decisions, state_text
from ..stats import Thresholds, leniency_tier, rater_effects
from ..stats.longform import LONG_HEADERS
from ..workflow.discussion import discrepancies, tally

SHEET_STATES = ("not_started", "draft", "submitted", "recused", "absent")


def feedback_minimum(candidates: int, ceiling: int = 8) -> int:
    """Return the sheets an examiner needs before live feedback: half the panel's candidates,
    at least 3, at most ``ceiling`` (so a small panel reaches it and a large one not late)."""
    return min(ceiling, max(3, math.ceil(candidates / 2)))


def panel_examiners(panel: Panel) -> list[dict]:
    """Return the panel's members in seating order as plain rows."""
    rows = db.session.execute(
        select(PanelMember.user_id, PanelMember.required, User.username, User.full_name)
        .join(User, User.id == PanelMember.user_id)
        .where(PanelMember.panel_id == panel.id)
        .order_by(PanelMember.position, PanelMember.id)).all()
    return [{"id": uid, "username": username, "name": name or username, "required": required}
            for uid, required, username, name in rows]


def _assignments(panel: Panel):
    return db.session.execute(
        select(Assignment.id, Assignment.position, Assignment.status, Assignment.final_score,
               Assignment.override_score, Assignment.override_reason,
               Candidate.participant_number, Candidate.name)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .where(Assignment.panel_id == panel.id)
        .order_by(Assignment.position, Assignment.id)).all()


def sheet_statuses(panel_ids: list[int]) -> dict[int, dict[int, dict[int, str]]]:
    """Return ``{panel: {assignment: {examiner: sheet status}}}`` in one query."""
    out: dict[int, dict[int, dict[int, str]]] = defaultdict(lambda: defaultdict(dict))
    rows = db.session.execute(
        select(Assignment.panel_id, ScoreSheet.assignment_id, ScoreSheet.examiner_id,
               ScoreSheet.status)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .where(Assignment.panel_id.in_(panel_ids)))
    for pid, aid, uid, status in rows:
        out[pid][aid][uid] = status
    return out


def pre_sheets(panel_ids: list[int], codes: tuple[str, ...]) -> list[tuple]:
    """Return (panel, position, assignment, examiner, levels) per submitted sheet.

    ``levels`` are the pre-discussion levels in the order of ``codes`` (NaN where absent).
    One row per sheet comes back from the database, its levels folded into a string
    ("INT:3,KS:2,..."; ``aggregate_strings`` is group_concat on SQLite, string_agg on
    PostgreSQL): a national session has millions of scores, and a row per score costs more
    in the driver than the whole analysis.
    """
    score, sheet, assignment = Score.__table__.c, ScoreSheet.__table__.c, Assignment.__table__.c
    pair = score.criterion_code + ":" + cast(score.level, String)
    query = (
        select(assignment.panel_id, assignment.position, assignment.id, sheet.examiner_id,
               func.aggregate_strings(pair, ","))
        .select_from(Score.__table__.join(ScoreSheet.__table__, sheet.id == score.sheet_id)
                     .join(Assignment.__table__, assignment.id == sheet.assignment_id))
        .where(assignment.panel_id.in_(panel_ids), sheet.status == "submitted",
               score.phase == "pre")
        .group_by(sheet.id, assignment.panel_id, assignment.position, assignment.id,
                  sheet.examiner_id))
    index = {c: i for i, c in enumerate(codes)}
    out = []
    for pid, pos, aid, uid, folded in db.session.connection().execute(query):
        levels = [math.nan] * len(codes)
        for item in folded.split(","):
            code, _, level = item.rpartition(":")
            if code in index:
                levels[index[code]] = int(level)
        out.append((pid, pos, aid, uid, levels))
    return out


def participant_numbers(panel_ids: list[int]) -> dict[int, str]:
    """Return ``{assignment id: participant number}`` for the panels' candidates."""
    return dict(db.session.execute(
        select(Assignment.id, Candidate.participant_number)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .where(Assignment.panel_id.in_(panel_ids))).all())


def board(panel: Panel, viewer: User, min_sheets: int = 8) -> dict:
    """Return the live board: candidates x examiners with sheet states, quorum, discrepancies."""
    rubric = session_rubric(panel.session)
    examiners = panel_examiners(panel)
    required = {e["id"] for e in examiners if e["required"]}
    quorum = panel_quorum(panel)
    statuses = sheet_statuses([panel.id]).get(panel.id, {})
    levels: dict[int, dict[int, dict[str, int]]] = defaultdict(dict)
    decided = decisions(viewer, panel_ids=[panel.id])
    # Live feedback too is a figure: only candidates the viewer may see feed it.
    sheets = [s for s in pre_sheets([panel.id], rubric.codes) if decided[s[2]].visible]
    for _, _, aid, uid, vector in sheets:
        levels[aid][uid] = {c: v for c, v in zip(rubric.codes, vector, strict=True)
                            if v == v}  # NaN != NaN: a criterion left unscored
    candidates = []
    members = {e["id"] for e in examiners}
    for row in _assignments(panel):
        aid = row.id
        states = statuses.get(aid, {})
        counted = tally(required, states, quorum, members)
        visible = decided[aid].visible
        # Flags are advice for open candidates; after discussion and close they are stale.
        flagged = None if not visible else (
            discrepancies(rubric, levels[aid]) if row.status == "pending" else {})
        candidates.append(_board_row(row, states, counted, visible, flagged, examiners,
                                     rubric.codes))
    return {
        "panel": {"id": panel.id, "name": panel.name, "room": panel.room,
                  "session": {"id": panel.session.id, "code": panel.session.code,
                              "name": panel.session.name, "status": panel.session.status}},
        "examiners": [{"id": e["id"], "name": e["name"], "username": e["username"],
                       "required": e["required"]} for e in examiners],
        "quorum": quorum, "threshold": rubric.discrepancy_threshold,
        "candidates": candidates,
        "counts": _counts(candidates),
        "feedback": live_feedback(rubric, examiners, sheets,
                                  feedback_minimum(len(candidates), min_sheets)),
        "min_sheets": feedback_minimum(len(candidates), min_sheets),
    }


def _board_row(row, states: dict, counted, visible: bool, flagged: dict | None,
               examiners: list[dict], codes: tuple) -> dict:
    """Return one candidate's row of the board (figures only where the viewer may see them)."""
    return {
        "assignment_id": row.id, "order": row.position,
        "participant_number": row.participant_number, "name": row.name,
        "status": row.status,
        "cells": [states.get(e["id"], "not_started") for e in examiners],
        "submitted": counted.submitted, "recused": counted.recused,
        "expected": len(examiners) - counted.recused - counted.absent,
        "outstanding": counted.outstanding, "quorum_met": counted.quorum_met,
        "complete": counted.complete, "scores_visible": visible,
        "absent": counted.absent, "below_quorum": counted.below_quorum,
        "discrepancies": None if flagged is None else sorted(flagged, key=codes.index),
        "final_score": (row.override_score if row.override_score is not None
                        else row.final_score) if visible and row.status == "closed" else None,
        "overridden": row.override_score is not None,
        "override_reason": row.override_reason if visible else None,
    }


def _counts(candidates: list[dict]) -> dict:
    return {
        "candidates": len(candidates),
        "complete": sum(c["complete"] for c in candidates),
        "discussion": sum(c["status"] == "discussion" for c in candidates),
        "closed": sum(c["status"] == "closed" for c in candidates),
        "flagged": sum(bool(c["discrepancies"]) for c in candidates),
    }


def live_feedback(rubric: Rubric, examiners: list[dict], sheets, min_sheets: int) -> list[dict]:
    """Return each examiner's provisional deviation once they have ``min_sheets`` sheets in.

    The figures are :func:`scoring.stats.rater_effects` on the submitted, pre-discussion
    scores so far (``sheets`` from :func:`pre_sheets`); below ``min_sheets`` submitted
    sheets an examiner gets none.
    """
    position = {e["id"]: j for j, e in enumerate(examiners)}
    mine = [(aid, position[uid], vector) for _, _, aid, uid, vector in sheets
            if uid in position]
    counts = [0] * len(examiners)
    for _, j, _ in mine:
        counts[j] += 1
    out = [{"examiner": e["username"], "name": e["name"], "sheets": counts[j],
            "deviation": None, "ci_low": None, "ci_high": None, "z": None, "attention": False,
            "watch": False}
           for j, e in enumerate(examiners)]
    if max(counts, default=0) < min_sheets or len(examiners) < 2:
        return out
    keys = {aid: i for i, aid in enumerate(dict.fromkeys(aid for aid, _, _ in mine))}
    x = np.full((len(keys), len(examiners), len(rubric.codes)), np.nan)
    for aid, j, vector in mine:
        x[keys[aid], j, :] = vector
    scale, th = (rubric.scale.min, rubric.scale.max), rubric_thresholds(rubric)
    effects = rater_effects(x, scale, th)
    for j, effect in enumerate(effects):
        if counts[j] >= min_sheets and math.isfinite(effect.deviation):
            out[j].update(_deviation(effect, scale, th))
    return out


def rubric_thresholds(rubric: Rubric) -> Thresholds:
    """Return the examiner-flag thresholds of ``rubric`` (its ``examiner_flags`` sizes)."""
    sizes = rubric.examiner_flags
    if sizes is None:
        return Thresholds()
    return Thresholds(min_share=sizes.flag_share, watch_share=sizes.watch_share)


def _deviation(effect, scale, th: Thresholds) -> dict:
    """Return deviation, 95 % CI and whether it is a flag (attention) or a watch."""
    ci = effect.confidence_interval()
    tier = leniency_tier(effect.deviation, effect.z, effect.gap, scale, th)
    return {"deviation": effect.deviation, "attention": tier == "flag", "watch": tier == "watch",
            "ci_low": ci.low if math.isfinite(ci.low) else None,
            "ci_high": ci.high if math.isfinite(ci.high) else None,
            "z": effect.z if math.isfinite(effect.z) else None}


def candidate_detail(assignment: Assignment, viewer: User) -> dict:
    """Return one candidate's sheets: states, and once visible the pre and post levels."""
    panel = assignment.panel
    rubric = session_rubric(panel.session)
    examiners = panel_examiners(panel)
    sheets = {s.examiner_id: s for s in assignment.sheets}
    states = {uid: s.status for uid, s in sheets.items()}
    counted = tally({e["id"] for e in examiners if e["required"]}, states, panel_quorum(panel),
                    {e["id"] for e in examiners})
    visible = can_see_assignment(assignment, viewer)
    rows = []
    for e in examiners:
        sheet = sheets.get(e["id"])
        row = {"examiner": e["username"], "name": e["name"], "id": e["id"],
               "state": sheet.status if sheet else "not_started", "pre": {}, "post": {}}
        if visible and sheet is not None and sheet.status == "submitted":
            for s in sheet.scores:
                if s.phase == "pre":
                    row["pre"][s.criterion_code] = {"level": s.level, "note": s.note}
                else:
                    row["post"][s.criterion_code] = {"level": s.level, "reason": s.reason,
                                                     "at": s.updated_at}
        rows.append(row)
    pre = {r["id"]: {c: v["level"] for c, v in r["pre"].items()} for r in rows if r["pre"]}
    # Discrepancy advice is for a candidate still being scored; discussion and close settle it.
    flagged = discrepancies(rubric, pre) if visible and assignment.status == "pending" else {}
    computed = None
    if visible and assignment.status == "closed":
        computed = assignment.final_score  # stored at close, never recomputed
    elif visible and pre:  # a preview of what closing would record
        effective = {r["id"]: {**{c: v["level"] for c, v in r["pre"].items()},
                               **{c: v["level"] for c, v in r["post"].items()}}
                     for r in rows if r["pre"]}
        try:
            computed = rubric.final_score(effective)
        except ValueError:
            computed = None
    return {"rubric": rubric, "examiners": rows, "tally": counted, "visible": visible,
            "discrepancies": flagged, "computed_score": computed,
            "spreads": _spreads(rubric, pre) if visible else {}}


def _spreads(rubric: Rubric, pre: dict) -> dict[str, int]:
    out = {}
    for code in rubric.codes:
        levels = [s[code] for s in pre.values() if code in s]
        if levels:
            out[code] = max(levels) - min(levels)
    return out


# ``state`` is empty on a score row; a candidate whose numbers the viewer may not see gets one
# row with only its participant number and state ("waiting for 2 sheets"), which
# :func:`scoring.stats.read_long_csv` skips.
LONG_HEADER = LONG_HEADERS["en"]  # the reader's own names (and their Indonesian twins)


def long_score_rows(session, panel: Panel | None = None, viewer=ADMIN) -> list[list]:
    """Return the long scores (candidate, examiner, criterion, score, phase, state) of sheets.

    Only submitted sheets of candidates ``viewer`` may see (:mod:`scoring.rules.visibility`; the
    default is the administrator's context) carry scores. ``pre`` rows are the independent
    scores; ``post`` rows are the scores after discussion (a revision where there is one,
    else the unchanged pre score), for every submitted sheet, so that
    ``scoring stats --phase post`` sees the complete post-discussion data.
    """
    rubric = session_rubric(session)
    order = {c: i for i, c in enumerate(rubric.codes)}
    decided = decisions(viewer, **({"panel_ids": [panel.id]} if panel is not None
                                   else {"session_id": session.id}))
    query = (
        select(Candidate.participant_number, User.username, Score.criterion_code, Score.level,
               Score.phase, Assignment.panel_id, Assignment.position, PanelMember.position,
               Assignment.id)
        .select_from(Score)
        .join(ScoreSheet, ScoreSheet.id == Score.sheet_id)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .join(User, User.id == ScoreSheet.examiner_id)
        .outerjoin(PanelMember, (PanelMember.panel_id == Assignment.panel_id)
                   & (PanelMember.user_id == ScoreSheet.examiner_id))
        .where(Assignment.session_id == session.id, ScoreSheet.status == "submitted"))
    if panel is not None:
        query = query.where(Assignment.panel_id == panel.id)
    pre, post = {}, {}
    for number, username, code, level, phase, pid, pos, seat, aid in db.session.execute(query):
        if not decided[aid].visible:
            continue
        key = (pid, pos, number, seat or 0, username, order.get(code, 99), code)
        (pre if phase == "pre" else post)[key] = level
    out = []
    for key in sorted(pre):
        out.append([key[2], key[4], key[6], pre[key], "pre", ""])
    for key in sorted(pre):
        out.append([key[2], key[4], key[6], post.get(key, pre[key]), "post", ""])
    hidden = {aid: d for aid, d in decided.items() if not d.visible and d.related}
    if hidden:
        query = (select(Assignment.id, Candidate.participant_number)
                 .join(Candidate, Candidate.id == Assignment.candidate_id)
                 .where(Assignment.session_id == session.id)
                 .order_by(Assignment.panel_id, Assignment.position, Assignment.id))
        if panel is not None:
            query = query.where(Assignment.panel_id == panel.id)
        out.extend([number, "", "", "", "", state_text(hidden[aid])]
                   for aid, number in db.session.execute(query) if aid in hidden)
    return out


def submitted_sheet_counts(session) -> dict[int, int]:
    """Return panel id -> the number of submitted sheets of ``session``'s candidates."""
    return dict(db.session.execute(
        select(Assignment.panel_id, func.count(ScoreSheet.id))
        .join(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.session_id == session.id, ScoreSheet.status == "submitted")
        .group_by(Assignment.panel_id)).all())


def export_job(token: str) -> ExportJob | None:
    """Return the bulk export with ``token``, or None."""
    return db.session.scalar(select(ExportJob).where(ExportJob.token == token))
