"""Score sheets: conflict declaration, drafts, submission. The only writer of scores.

Saves are full sheet states stamped by the client with a sequence number that only grows on
that tablet: the server applies a state only when its ``seq`` is higher than the last one
applied, so a retried or late request never overwrites a newer one (last write by client
sequence, never by arrival). A submission carries a client id; repeating it returns the same
receipt instead of failing or submitting twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from ..extensions import db
from ..models import (
    RELATIONSHIPS,
    Assignment,
    ConflictDeclaration,
    Panel,
    Score,
    ScoreSheet,
    User,
    utcnow,
)
from ..rubrics import Rubric
from ..rules.sheet_facts import session_rubric
from ..rules.visibility import can_see_assignment
from .audit import RequestInfo, canonical_json, record
from .errors import WorkflowError


@dataclass(frozen=True)
class Receipt:
    """What the server confirms when a sheet is submitted."""

    sheet_id: int
    submitted_at: datetime
    content_hash: str


# The statements every save and submission runs are built once: on exam day's hot path,
# building a statement and its cache key cost more CPU than running it. Their values are
# bound parameters; what they read is read anew at each execution.
_CURRENT_ASSIGNMENT = (
    select(Assignment).where(Assignment.id == bindparam("assignment_id"))
    .options(joinedload(Assignment.panel).joinedload(Panel.session),
             joinedload(Assignment.panel).joinedload(Panel.members),
             joinedload(Assignment.candidate))
    .execution_options(populate_existing=True))
# populate_existing: a copy loaded earlier in this request must not hide a concurrent
# writer's commit that the row lock has just waited for. The scores come in a statement of
# their own, after the lock: on PostgreSQL a join in the locking statement would read them
# from the snapshot taken before the wait, without the scores the other writer committed.
# (A plain query rather than selectinload, whose generic loader cost more CPU than the rest
# of the read.)
_LOCKED_SHEET = (
    select(ScoreSheet)
    .where(ScoreSheet.assignment_id == bindparam("assignment_id"),
           ScoreSheet.examiner_id == bindparam("examiner_id"))
    .with_for_update()
    .execution_options(populate_existing=True))
_SHEET_SCORES = (
    select(Score).where(Score.sheet_id == bindparam("sheet_id")).order_by(Score.id)
    .execution_options(populate_existing=True))
_OWN_DECLARATION = select(ConflictDeclaration).where(
    ConflictDeclaration.assignment_id == bindparam("assignment_id"),
    ConflictDeclaration.examiner_id == bindparam("examiner_id"))


def _current_assignment(assignment: Assignment) -> Assignment:
    """Read ``assignment`` again with its panel, the panel's members and session and the
    candidate, in one query: what a sheet's verb checks must be current (under the write
    lock), and one statement holds that lock for less time than five lazy loads."""
    assignment_id = inspect(assignment).identity[0]  # without reloading an expired copy
    return db.session.scalars(_CURRENT_ASSIGNMENT,
                              {"assignment_id": assignment_id}).unique().one()


def _require_member(assignment: Assignment, examiner: User) -> None:
    if not any(m.user_id == examiner.id for m in assignment.panel.members):
        # Same answer whether or not the candidate exists elsewhere: nothing leaks.
        raise WorkflowError("not_found", _l("No such candidate in your panels."), 404)


def _require_open(assignment: Assignment) -> None:
    if assignment.panel.session.status != "open":
        raise WorkflowError("session_not_open", _l("The session is not open for scoring."))
    if assignment.status not in ("pending", "discussion"):
        raise WorkflowError("candidate_closed", _l("The candidate's result is closed."))


def _locked_sheet(assignment: Assignment, examiner: User) -> ScoreSheet | None:
    # The statement (_LOCKED_SHEET) re-reads the sheet under the lock, then its scores.
    sheet = db.session.scalar(_LOCKED_SHEET, {"assignment_id": assignment.id,
                                              "examiner_id": examiner.id})
    if sheet is not None:
        # As loaded: the collection in its relationship's order (Score.id), nothing pending.
        set_committed_value(sheet, "scores", db.session.scalars(
            _SHEET_SCORES, {"sheet_id": sheet.id}).all())
        # Its foreign key is composite: the ORM would query for it again.
        set_committed_value(sheet, "assignment", assignment)
    return sheet


MAX_SEQ = 2**31 - 1


def _check_client(client_id, seq) -> None:
    """Refuse a missing client id or a sequence number that is not a positive integer."""
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= 64:
        raise WorkflowError("bad_client_id", _l("The request has no valid client id."), 400)
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
        raise WorkflowError("bad_seq", _l("The request has no valid sequence number."), 400)


def declare_conflict(
    assignment: Assignment,
    examiner: User,
    relationship: str,
    detail: str = "",
    *,
    info: RequestInfo | None = None,
) -> ScoreSheet:
    """Record the examiner's declaration; any relationship recuses them from the candidate."""
    assignment = _current_assignment(assignment)
    _require_member(assignment, examiner)
    _require_open(assignment)
    if relationship not in RELATIONSHIPS:
        raise WorkflowError("bad_relationship", _l("Choose a relationship from the list."), 400)
    detail = (detail or "").strip()
    if relationship == "other" and not detail:
        raise WorkflowError("detail_required", _l("Describe the relationship."), 400)
    existing = db.session.scalar(_OWN_DECLARATION, {"assignment_id": assignment.id,
                                                    "examiner_id": examiner.id})
    if existing is not None:
        raise WorkflowError("already_declared", _l("You have already made your declaration."))
    if _locked_sheet(assignment, examiner) is not None:
        raise WorkflowError("marked_absent", _l(
            "The chair marked you absent for this candidate."))
    rubric = session_rubric(assignment.panel.session)
    db.session.add(ConflictDeclaration(
        assignment_id=assignment.id, examiner_id=examiner.id,
        relationship=relationship, detail=detail,
    ))
    sheet = ScoreSheet(
        session_id=assignment.session_id, assignment_id=assignment.id, examiner_id=examiner.id,
        rubric_hash=rubric.content_hash,
        status="draft" if relationship == "none" else "recused",
    )
    db.session.add(sheet)
    db.session.flush()
    action = "sheet.declare_no_conflict" if relationship == "none" else "sheet.recuse"
    record(action, examiner, sheet,
           {"candidate": assignment.candidate.participant_number,
            "relationship": relationship, "detail": detail},
           session_id=assignment.session_id, info=info)
    return sheet


def _sheet_for_writing(assignment: Assignment, examiner: User) -> ScoreSheet:
    assignment = _current_assignment(assignment)
    _require_member(assignment, examiner)
    _require_open(assignment)
    sheet = _locked_sheet(assignment, examiner)
    if sheet is None:
        raise WorkflowError(
            "declaration_required", _l("Declare any conflict of interest first."), 409
        )
    if sheet.status == "recused":
        raise WorkflowError("recused", _l("You are recused from this candidate."))
    if sheet.status == "absent":
        raise WorkflowError("marked_absent", _l(
            "The chair marked you absent for this candidate."))
    return sheet


def _normalise(rubric: Rubric, scores: dict) -> dict[str, dict]:
    """Validate a full sheet state {code: {"level": int|None, "note": str}} against the rubric."""
    if not isinstance(scores, dict):
        raise WorkflowError("bad_scores", _l("Scores must be an object keyed by criterion."), 400)
    clean: dict[str, dict] = {}
    for code, value in scores.items():
        if code not in rubric.codes:
            raise WorkflowError(
                "unknown_criterion", _l("The rubric has no criterion %(c)s.", c=code), 400
            )
        if not isinstance(value, dict):
            raise WorkflowError("bad_scores", _l("Criterion %(c)s: expected an object.", c=code),
                                400)
        level, note = value.get("level"), value.get("note") or ""
        if level is not None and (
            isinstance(level, bool) or not isinstance(level, int)
            or level not in rubric.scale.values
        ):
            raise WorkflowError(
                "bad_level",
                _l("Criterion %(c)s: level must be one of %(v)s.", c=code,
                   v=", ".join(map(str, rubric.scale.values))),
                400,
            )
        if not isinstance(note, str) or len(note) > 5000:
            raise WorkflowError("bad_note", _l("Criterion %(c)s: the note is too long.", c=code),
                                400)
        if level is not None or note.strip():
            clean[code] = {"level": level, "note": note}
    return clean


def _current_state(sheet: ScoreSheet, phase: str = "pre") -> dict[str, dict]:
    return {
        s.criterion_code: {"level": s.level, "note": s.note}
        for s in sheet.scores
        if s.phase == phase
    }


def _write_state(sheet: ScoreSheet, state: dict[str, dict], phase: str = "pre") -> None:
    """Make the sheet's scores of ``phase`` exactly ``state`` (levels may be absent)."""
    existing = {s.criterion_code: s for s in sheet.scores if s.phase == phase}
    now = utcnow()
    for code, score in existing.items():
        wanted = state.get(code)
        if wanted is None or wanted["level"] is None:
            sheet.scores.remove(score)
        elif (score.level, score.note) != (wanted["level"], wanted["note"]):
            score.level, score.note, score.updated_at = wanted["level"], wanted["note"], now
            # Every changed row then updates the same columns, so the flush sends them as
            # one executemany instead of one UPDATE per score.
            flag_modified(score, "level")
            flag_modified(score, "note")
    for code, wanted in state.items():
        if code not in existing and wanted["level"] is not None:
            sheet.scores.append(Score(criterion_code=code, level=wanted["level"],
                                      note=wanted["note"], phase=phase, updated_at=now))


def save_draft(
    assignment: Assignment,
    examiner: User,
    scores: dict,
    *,
    client_id: str,
    seq: int,
    info: RequestInfo | None = None,
) -> tuple[ScoreSheet, bool]:
    """Replace the draft with the client's full state unless a newer one was applied.

    Returns the sheet and whether this save was applied (False: stale or repeated ``seq``).
    """
    _check_client(client_id, seq)
    sheet = _sheet_for_writing(assignment, examiner)
    if sheet.status == "submitted":
        raise WorkflowError("already_submitted", _l("The sheet is submitted and locked."))
    rubric = session_rubric(assignment.panel.session)
    state = _normalise(rubric, scores)
    if seq <= sheet.client_seq:
        return sheet, False
    before = _current_state(sheet)
    _write_state(sheet, state)
    sheet.client_seq, sheet.client_id, sheet.updated_at = seq, client_id, utcnow()
    # A note without a level has no row to live in: it stays on the tablet until a level
    # is chosen, so only what is stored counts as a change.
    changed = state_changes(before, {c: v for c, v in state.items() if v["level"] is not None})
    if changed:  # a save that changes nothing only moves the sequence number on
        record("sheet.save_draft", examiner, sheet, {"seq": seq, "changes": changed},
               session_id=assignment.session_id, info=info)
    return sheet, True


def state_changes(before: dict[str, dict], after: dict[str, dict]) -> dict[str, list]:
    """Return ``{code: [old, new]}`` for every criterion whose level or note differs."""
    return {
        code: [before.get(code), after.get(code)]
        for code in sorted(set(before) | set(after))
        if before.get(code) != after.get(code)
    }


def sheet_state(sheet: ScoreSheet, phase: str = "pre") -> dict[str, dict]:
    """Return the sheet's scores of ``phase`` as ``{code: {"level", "note"}}``."""
    return _current_state(sheet, phase)


def missing_items(rubric: Rubric, state: dict[str, dict]) -> list[dict]:
    """List what stops a sheet from being submitted: unscored criteria and required notes."""
    missing = []
    for criterion in rubric.criteria:
        entry = state.get(criterion.code)
        if entry is None or entry["level"] is None:
            missing.append({"criterion": criterion.code, "what": "level"})
        elif rubric.requires_evidence(entry["level"]) and not entry["note"].strip():
            missing.append({"criterion": criterion.code, "what": "note"})
    return missing


def require_complete(rubric: Rubric, state: dict[str, dict]) -> None:
    """Refuse (422, with the list as ``missing``) a sheet that :func:`missing_items` stops."""
    missing = missing_items(rubric, state)
    if missing:
        err = WorkflowError("incomplete", _l("Score every criterion and write the required "
                                             "notes before submitting."), 422)
        err.missing = missing
        raise err


def sheet_content_hash(sheet: ScoreSheet, state: dict[str, dict]) -> str:
    """Return the SHA-256 of the sheet's identity and scores (the receipt's hash)."""
    assignment = sheet.assignment
    body = canonical_json({
        "session": assignment.panel.session.code,
        "rubric_hash": sheet.rubric_hash,
        "candidate": assignment.candidate.participant_number,
        "examiner": sheet.examiner.username,
        "scores": state,
        "submitted_at": sheet.submitted_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    })
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def submit_sheet(
    assignment: Assignment,
    examiner: User,
    *,
    client_id: str,
    seq: int,
    scores: dict | None = None,
    signature_png: bytes | None = None,
    info: RequestInfo | None = None,
) -> Receipt:
    """Lock the sheet and return the receipt; a retried submission returns the same receipt."""
    _check_client(client_id, seq)
    sheet = _sheet_for_writing(assignment, examiner)
    if sheet.status == "submitted":
        if sheet.client_id == client_id:
            return Receipt(sheet.id, sheet.submitted_at, sheet.content_hash)
        raise WorkflowError("already_submitted", _l("The sheet is already submitted."))
    rubric = session_rubric(assignment.panel.session)
    before = _current_state(sheet)
    if scores is not None and seq > sheet.client_seq:
        _write_state(sheet, _normalise(rubric, scores))
    state = _current_state(sheet)
    require_complete(rubric, state)
    sheet.status = "submitted"
    sheet.submitted_at = utcnow()
    sheet.client_id, sheet.client_seq = client_id, max(seq, sheet.client_seq)
    sheet.signature_png = signature_png
    sheet.updated_at = sheet.submitted_at
    sheet.content_hash = sheet_content_hash(sheet, state)
    record("sheet.submit", examiner, sheet,
           {"seq": sheet.client_seq, "changes": state_changes(before, state), "scores": state,
            "content_hash": sheet.content_hash, "signed": signature_png is not None},
           session_id=assignment.session_id, info=info)
    return Receipt(sheet.id, sheet.submitted_at, sheet.content_hash)


def can_see_colleagues(assignment: Assignment, viewer: User) -> bool:
    """Return whether ``viewer`` may see other examiners' scores
    (:mod:`scoring.rules.visibility`).
    """
    return can_see_assignment(assignment, viewer)
