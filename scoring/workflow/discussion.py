"""Discussion and reconciliation: the chair opens discussion, examiners revise, the chair closes.

Rules (the structured-interview literature's "independent first, then discuss"):

* discussion opens only when every required, non-recused member has submitted and the
  panel's quorum is met; only then do the panel's examiners see each other's scores
  (:func:`~scoring.workflow.sheets.can_see_colleagues` reads ``Assignment.status``);
* a revision after discussion is a new ``Score`` row with phase ``post`` and a reason; the
  ``pre`` row (the independent rating every statistic uses) is never touched;
* closing computes the final score mechanically, by the rubric's formula over the effective
  scores (post revisions replacing the originals); a candidate with discrepancies cannot be
  closed before discussion was opened for it;
* a manual override needs a reason, is done by the chair (that is the approval), and is kept
  beside the computed score, never instead of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Amendment, Assignment, InterviewSession, Score, ScoreSheet, User, utcnow
from ..rubrics import Rubric
from ..rules.sheet_facts import (  # noqa: F401  (FINISHED_SHEETS: the old import path)
    FINISHED_SHEETS,
    effective_levels,
    panel_quorum,
    pre_levels,
    session_rubric,
)
from .audit import RequestInfo, record
from .errors import WorkflowError

MAX_REASON = 2000


@dataclass(frozen=True)
class Tally:
    """Where a candidate's sheets stand against the panel's required members and quorum."""

    submitted: int
    recused: int
    outstanding: int  # required members neither submitted, recused nor marked absent
    quorum: int
    absent: int = 0
    available: int | None = None  # members present and not recused (None: not counted)

    @property
    def quorum_met(self) -> bool:
        """Return whether enough sheets are submitted for a result."""
        return self.submitted >= self.quorum

    @property
    def complete(self) -> bool:
        """Return whether every required sheet is in and the quorum is met."""
        return self.outstanding == 0 and self.quorum_met

    @property
    def all_in(self) -> bool:
        """Return whether every required sheet is in (submitted, recused or absent)."""
        return self.outstanding == 0

    @property
    def below_quorum(self) -> bool:
        """Return whether the members present and not recused can no longer reach the quorum."""
        return self.available is not None and self.available < self.quorum


def tally(required: set[int], statuses: dict[int, str], quorum: int,
          members: set[int] | None = None) -> Tally:
    """Count sheets: ``required`` member ids, ``statuses`` {examiner id: sheet status}.

    ``members`` (every panel member) lets the tally say how many are present and not
    recused, the most sheets the candidate can still get.
    """
    submitted = sum(1 for s in statuses.values() if s == "submitted")
    recused = sum(1 for s in statuses.values() if s == "recused")
    absent = sum(1 for s in statuses.values() if s == "absent")
    outstanding = sum(1 for uid in required if statuses.get(uid) not in FINISHED_SHEETS)
    available = None
    if members is not None:
        available = sum(1 for uid in members | set(statuses)
                        if statuses.get(uid) not in ("recused", "absent"))
    return Tally(submitted, recused, outstanding, quorum, absent, available)


def discrepancies(rubric: Rubric, sheets: dict) -> dict[str, int]:
    """Return ``{code: spread}`` for criteria whose spread (max - min) reaches the threshold.

    ``sheets`` is ``{examiner: {code: level}}`` of the independent (pre-discussion) scores.
    """
    out = {}
    for code in rubric.codes:
        levels = [s[code] for s in sheets.values() if s.get(code) is not None]
        if len(levels) >= 2 and max(levels) - min(levels) >= rubric.discrepancy_threshold:
            out[code] = max(levels) - min(levels)
    return out


def assignment_tally(assignment: Assignment) -> Tally:
    """Return the sheet tally of one candidate."""
    panel = assignment.panel
    required = {m.user_id for m in panel.members if m.required}
    statuses = {s.examiner_id: s.status for s in assignment.sheets}
    return tally(required, statuses, panel_quorum(panel), {m.user_id for m in panel.members})


def require_mutable(session: InterviewSession) -> None:
    """Refuse any change to a published session (a correction reopens it first)."""
    if session.status == "closed":
        raise WorkflowError("session_published", _l(
            "The session's results are published and can no longer change; the administrator "
            "can start a correction."))


def pending_amendments(assignment: Assignment) -> list[int]:
    """Return the ids of the candidate's amendments still waiting for a decision."""
    return list(db.session.scalars(
        select(Amendment.id).join(ScoreSheet, ScoreSheet.id == Amendment.sheet_id)
        .where(ScoreSheet.assignment_id == assignment.id, Amendment.status == "pending")))


def _submitted(assignment: Assignment) -> list[ScoreSheet]:
    return [s for s in assignment.sheets if s.status == "submitted"]


def _locked(assignment: Assignment) -> Assignment:
    """Lock the candidate's row, re-read, and refuse a session whose results are final."""
    # populate_existing: a concurrent close/open committed while we waited must be seen.
    locked = db.session.scalar(
        select(Assignment).where(Assignment.id == assignment.id).with_for_update()
        .execution_options(populate_existing=True))
    require_mutable(locked.panel.session)
    return locked


def _require_chair(assignment: Assignment, chair: User) -> None:
    if assignment.panel.chair_id != chair.id:
        raise WorkflowError("not_found", _l("No such candidate in your panels."), 404)


def _chair_locked(assignment: Assignment, chair: User) -> Assignment:
    """Refuse anyone but the panel's chair, then :func:`_locked`."""
    _require_chair(assignment, chair)
    return _locked(assignment)


def _reason(text) -> str:
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise WorkflowError("reason_required", _l("Give a reason."), 400)
    if len(text) > MAX_REASON:
        raise WorkflowError("reason_too_long", _l("The reason is too long."), 400)
    return text


def _require_complete(assignment: Assignment) -> Tally:
    counted = assignment_tally(assignment)
    if counted.below_quorum:
        raise WorkflowError("below_quorum", _l(
            "Only %(n)s members are present and not recused, below the quorum of %(q)s: add a "
            "substitute examiner, move the candidate or mark them not assessable.",
            n=counted.available, q=counted.quorum))
    if not counted.complete:
        raise WorkflowError("sheets_outstanding", _l(
            "Not every required sheet is in yet (%(n)s submitted, quorum %(q)s).",
            n=counted.submitted, q=counted.quorum))
    return counted


def open_discussion(assignment: Assignment, chair: User, *,
                    info: RequestInfo | None = None) -> Assignment:
    """Open discussion of a candidate: the panel's examiners may now see each other's scores."""
    assignment = _chair_locked(assignment, chair)
    if assignment.status != "pending":
        raise WorkflowError("not_pending", _l("Discussion is already open or the candidate "
                                              "is closed."))
    _require_complete(assignment)
    rubric = session_rubric(assignment.panel.session)
    flagged = discrepancies(rubric, {s.examiner_id: pre_levels(s)
                                     for s in _submitted(assignment)})
    assignment.status, assignment.discussion_opened_at = "discussion", utcnow()
    record("assignment.open_discussion", chair, assignment,
           {"candidate": assignment.candidate.participant_number, "discrepancies": flagged},
           session_id=assignment.session_id, info=info)
    return assignment


def revise_score(assignment: Assignment, examiner: User, code: str, level: int, reason: str,
                 *, note: str = "", info: RequestInfo | None = None) -> Score:
    """Record an examiner's post-discussion level for one criterion; the pre score stays."""
    if not any(m.user_id == examiner.id for m in assignment.panel.members):
        raise WorkflowError("not_found", _l("No such candidate in your panels."), 404)
    assignment = _locked(assignment)
    if assignment.status != "discussion":
        raise WorkflowError("not_in_discussion", _l(
            "Scores can be revised only while the candidate is in discussion."))
    rubric = session_rubric(assignment.panel.session)
    if code not in rubric.codes:
        raise WorkflowError("unknown_criterion", _l("The rubric has no criterion %(c)s.", c=code),
                            400)
    if isinstance(level, bool) or not isinstance(level, int) or level not in rubric.scale.values:
        raise WorkflowError("bad_level", _l("Criterion %(c)s: level must be one of %(v)s.", c=code,
                                            v=", ".join(map(str, rubric.scale.values))), 400)
    reason = _reason(reason)
    sheet = next((s for s in assignment.sheets if s.examiner_id == examiner.id), None)
    if sheet is None or sheet.status != "submitted":
        raise WorkflowError("not_submitted", _l("Only an examiner who submitted a sheet for this "
                                                "candidate can revise it."))
    current = effective_levels(sheet).get(code)
    if current == level:
        raise WorkflowError("no_change", _l("That is already your score for this criterion."),
                            400)
    post = next((s for s in sheet.scores if s.phase == "post" and s.criterion_code == code),
                None)
    now = utcnow()
    if post is None:
        post = Score(criterion_code=code, level=level, note=(note or "").strip()[:5000],
                     phase="post", reason=reason, updated_at=now)
        sheet.scores.append(post)
    else:
        post.level, post.reason, post.updated_at = level, reason, now
        post.note = (note or "").strip()[:5000]
    db.session.flush()
    record("score.revise", examiner, sheet,
           {"candidate": assignment.candidate.participant_number, "criterion": code,
            "level": [current, level], "pre": pre_levels(sheet).get(code), "reason": reason},
           session_id=assignment.session_id, info=info)
    return post


def close_candidate(assignment: Assignment, chair: User, *,
                    info: RequestInfo | None = None) -> Assignment:
    """Close a candidate: the final score is the rubric's formula over the effective scores."""
    assignment = _chair_locked(assignment, chair)
    if assignment.status == "closed":
        raise WorkflowError("already_closed", _l("The candidate is already closed."))
    if assignment.status not in ("pending", "discussion"):
        raise WorkflowError("marked", _l("The candidate is marked %(s)s; it has no result.",
                                         s=assignment.status))
    counted = _require_complete(assignment)
    if pending_amendments(assignment):
        raise WorkflowError("amendment_pending", _l(
            "An amendment is waiting for a decision: approve or reject it before closing."))
    rubric = session_rubric(assignment.panel.session)
    sheets = _submitted(assignment)
    flagged = discrepancies(rubric, {s.examiner_id: pre_levels(s) for s in sheets})
    if flagged and assignment.status != "discussion":
        raise WorkflowError("discussion_required", _l(
            "The panel disagrees on %(c)s: open discussion before closing.",
            c=", ".join(flagged)))
    try:
        final = rubric.final_score({s.examiner_id: effective_levels(s) for s in sheets})
    except ValueError:
        raise WorkflowError("incomplete", _l("A criterion has no score."), 422) from None
    assignment.status, assignment.closed_at = "closed", utcnow()
    assignment.closed_by_id, assignment.final_score = chair.id, final
    assignment.quorum_at_close, assignment.scored_at_close = counted.quorum, len(sheets)
    record("assignment.close", chair, assignment,
           {"candidate": assignment.candidate.participant_number, "final_score": final,
            "sheets": len(sheets), "quorum": counted.quorum, "discrepancies": flagged},
           session_id=assignment.session_id, info=info)
    return assignment


def score_bounds(rubric: Rubric) -> tuple[float, float]:
    """Return the lowest and highest final score the rubric's formula can give."""
    low = rubric.final_score({0: dict.fromkeys(rubric.codes, rubric.scale.min)})
    high = rubric.final_score({0: dict.fromkeys(rubric.codes, rubric.scale.max)})
    return low, high


def override_final_score(assignment: Assignment, chair: User, score: float, reason: str, *,
                         info: RequestInfo | None = None) -> Assignment:
    """Replace a closed candidate's final score by hand, with a reason kept beside it."""
    assignment = _chair_locked(assignment, chair)
    if assignment.status != "closed":
        raise WorkflowError("not_closed", _l("Close the candidate before overriding the score."))
    rubric = session_rubric(assignment.panel.session)
    low, high = score_bounds(rubric)
    if isinstance(score, bool) or not isinstance(score, int | float) or not low <= score <= high:
        raise WorkflowError("bad_score", _l("The score must lie between %(lo)s and %(hi)s.",
                                            lo=low, hi=high), 400)
    reason = _reason(reason)
    old = assignment.override_score
    assignment.override_score = round(float(score), rubric.combination.decimals)
    assignment.override_reason, assignment.override_by_id = reason, chair.id
    record("assignment.override", chair, assignment,
           {"candidate": assignment.candidate.participant_number,
            "computed": assignment.final_score, "override": [old, assignment.override_score],
            "reason": reason},
           session_id=assignment.session_id, info=info)
    return assignment
