"""Amendments: a change to a submitted sheet, applied only when the panel chair approves.

Design choice. An approved amendment *replaces* the sheet's pre-discussion score values (level
and note) in place; it is not a third phase. An amendment corrects the examiner's own
independent rating (a mis-tap, a note written against the wrong criterion), so the corrected
value is the independent rating every statistic and the final score must use, and the ``post``
phase stays reserved for revisions after the chair's discussion. Nothing is lost or silent:

* ``Amendment.change`` keeps both versions as JSON ``{"before": {...}, "after": {...}}``
  (only the criteria that change), and the request, approval or rejection are audit events
  carrying ``old -> new`` per criterion and the sheet's content hash before and after;
* the replaced ``Score`` rows carry ``reason`` = "amendment <id>: <reason>";
* the sheet's ``content_hash`` is recomputed over the new values (the original receipt's hash
  stays in the ``sheet.submit`` audit event); ``submitted_at`` keeps the original time.

Rules: only the examiner who submitted the sheet may request, with a reason, one pending
amendment per sheet, never after the candidate's result is closed (the chair reopens it
first, with a reason) nor in a published session. A pending amendment blocks closing. The
candidate's panel chair decides; a chair never decides on their own request (an administrator does).
"""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Amendment, ScoreSheet, User, utcnow
from ..rules.sheet_facts import session_rubric
from .audit import RequestInfo, record
from .discussion import require_mutable
from .errors import WorkflowError
from .sheets import (
    _current_state,
    _normalise,
    _write_state,
    missing_items,
    sheet_content_hash,
    state_changes,
)

MAX_REASON = 2000


def _lock(sheet: ScoreSheet) -> ScoreSheet:
    return db.session.scalar(
        select(ScoreSheet).where(ScoreSheet.id == sheet.id).with_for_update()
        .execution_options(populate_existing=True)
    )


def _reason(text, code: str = "reason_required") -> str:
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise WorkflowError(code, _l("Give a reason."), 400)
    if len(text) > MAX_REASON:
        raise WorkflowError("reason_too_long", _l("The reason is too long."), 400)
    return text


def require_amendable(sheet: ScoreSheet | None) -> ScoreSheet:
    """Return ``sheet`` if an amendment may be asked of it: it exists and is submitted."""
    if sheet is None or sheet.status != "submitted":
        raise WorkflowError("not_submitted",
                            _l("Only a submitted sheet can be amended; edit the draft instead."))
    return sheet


def request_amendment(
    sheet: ScoreSheet,
    examiner: User,
    changes: dict,
    reason: str,
    *,
    info: RequestInfo | None = None,
) -> Amendment:
    """Ask for ``changes`` ({code: {"level", "note"}}) to the examiner's submitted sheet."""
    if sheet.examiner_id != examiner.id:
        raise WorkflowError("not_found", _l("No such candidate in your panels."), 404)
    sheet = require_amendable(_lock(sheet))
    _require_open_result(sheet)
    reason = _reason(reason)
    pending = db.session.scalar(
        select(Amendment.id).where(Amendment.sheet_id == sheet.id, Amendment.status == "pending")
    )
    if pending is not None:
        raise WorkflowError("amendment_pending",
                            _l("An amendment of this sheet is already waiting for the chair."))
    rubric = session_rubric(sheet.assignment.panel.session)
    before_all = _current_state(sheet)
    after_all = {**before_all, **_normalise(rubric, changes)}
    if missing_items(rubric, after_all):
        raise WorkflowError("incomplete", _l("Every criterion needs a level, and the levels "
                                             "that require a note need one."), 422)
    diff = state_changes(before_all, after_all)
    if not diff:
        raise WorkflowError("no_change", _l("The amendment changes nothing."), 400)
    amendment = Amendment(
        sheet_id=sheet.id, requested_by_id=examiner.id, reason=reason, status="pending",
        change=json.dumps({"before": {c: v[0] for c, v in diff.items()},
                           "after": {c: v[1] for c, v in diff.items()}},
                          sort_keys=True, ensure_ascii=False),
    )
    db.session.add(amendment)
    db.session.flush()
    record("amendment.request", examiner, amendment,
           {"sheet": sheet.id, "candidate": sheet.assignment.candidate.participant_number,
            "reason": reason, "changes": diff},
           session_id=sheet.session_id, info=info)
    return amendment


def _require_open_result(sheet: ScoreSheet) -> None:
    """Refuse a change to a closed or marked candidate, or to a published session."""
    require_mutable(sheet.assignment.panel.session)
    if sheet.assignment.status not in ("pending", "discussion"):
        raise WorkflowError("result_closed", _l(
            "The candidate's result is closed; the chair must reopen it first, with a reason."))


def may_decide(amendment: Amendment, user: User) -> bool:
    """Return whether ``user`` may approve or reject ``amendment``."""
    if user.id == amendment.requested_by_id:
        return False
    panel = amendment.sheet.assignment.panel
    if user.role == "admin":
        return amendment.requested_by_id == panel.chair_id
    return panel.chair_id == user.id


def _locked_pending(amendment: Amendment, user: User) -> Amendment:
    if not may_decide(amendment, user):
        raise WorkflowError("not_found", _l("No such amendment."), 404)
    amendment = db.session.scalar(
        select(Amendment).where(Amendment.id == amendment.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if amendment.status != "pending":
        raise WorkflowError("already_decided", _l("The amendment has already been decided."))
    return amendment


def approve_amendment(
    amendment: Amendment, chair: User, note: str = "", *, info: RequestInfo | None = None
) -> Amendment:
    """Apply the amendment's new values to the sheet, keeping the old ones on record."""
    amendment = _locked_pending(amendment, chair)
    sheet = _lock(amendment.sheet)
    _require_open_result(sheet)
    change = json.loads(amendment.change)
    state = _current_state(sheet)
    if any(state.get(code) != old for code, old in change["before"].items()):
        raise WorkflowError("stale_amendment",
                            _l("The sheet changed since the amendment was requested."))
    new_state = {**state, **change["after"]}
    _write_state(sheet, new_state)
    why = f"amendment {amendment.id}: {amendment.reason}"
    for score in sheet.scores:
        if score.phase == "pre" and score.criterion_code in change["after"]:
            score.reason = why
    old_hash = sheet.content_hash
    sheet.content_hash = sheet_content_hash(sheet, new_state)
    sheet.updated_at = utcnow()
    amendment.status, amendment.decided_by_id = "approved", chair.id
    amendment.decision_note, amendment.decided_at = (note or "").strip()[:MAX_REASON], utcnow()
    record("amendment.approve", chair, amendment,
           {"sheet": sheet.id, "candidate": sheet.assignment.candidate.participant_number,
            "examiner": sheet.examiner.username, "reason": amendment.reason,
            "note": amendment.decision_note, "changes": state_changes(state, new_state),
            "content_hash": [old_hash, sheet.content_hash]},
           session_id=sheet.session_id, info=info)
    return amendment


def reject_amendment(
    amendment: Amendment, chair: User, note: str, *, info: RequestInfo | None = None
) -> Amendment:
    """Refuse the amendment with a reason; the sheet keeps its values."""
    amendment = _locked_pending(amendment, chair)
    require_mutable(amendment.sheet.assignment.panel.session)
    note = _reason(note)
    amendment.status, amendment.decided_by_id = "rejected", chair.id
    amendment.decision_note, amendment.decided_at = note, utcnow()
    sheet = amendment.sheet
    record("amendment.reject", chair, amendment,
           {"sheet": sheet.id, "candidate": sheet.assignment.candidate.participant_number,
            "examiner": sheet.examiner.username, "reason": amendment.reason, "note": note},
           session_id=sheet.session_id, info=info)
    return amendment
