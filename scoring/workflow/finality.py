"""Finality: absence, marked candidates, reopening, closing and publishing a session, corrections.

Rules (the README's roles section states them for users):

* the chair may mark a panel member absent for a candidate (a ``ScoreSheet`` with status
  ``absent`` and a reason); the quorum is then counted against the members present and not
  recused, and a candidate who can no longer reach it gets a substitute examiner, is moved,
  or is marked not assessable;
* a closed candidate is frozen: amendments, revisions and marks are refused until the chair
  reopens it with a reason; a pending amendment blocks closing;
* a candidate outside the ranking is marked ``absent``, ``withdrawn`` or ``not_assessable``
  with a reason, never ranked;
* a session closes only when every candidate is closed or marked; closing publishes: the
  public results are a snapshot (``Publication`` number 1) that nothing changes afterwards;
* a correction is a new publication: the administrator opens it with a reason (the session
  goes to ``correction``, the public keeps reading the last publication), the chairs reopen
  and change what must change through the same verbs, and publishing records number n + 1.
"""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import (
    ASSIGNMENT_MARKS,
    SCORER_ROLES,
    Amendment,
    Assignment,
    Candidate,
    ConflictDeclaration,
    Document,
    ExportJob,
    InterviewSession,
    Panel,
    PanelMember,
    Publication,
    RubricLevel,
    Score,
    ScoreSheet,
    User,
    utcnow,
)
from ..rules.results import public_rows
from ..rules.sheet_facts import session_rubric
from .audit import RequestInfo, record
from .discussion import _chair_locked, _locked, _reason, _require_chair, require_mutable
from .errors import WorkflowError

UNFINISHED = ("pending", "discussion")


def _require_confirmed(confirm: bool) -> None:
    if confirm is not True:
        raise WorkflowError("confirm_required", _l(
            "This cannot be undone: tick the confirmation to go ahead."), 400)


def mark_absent(assignment: Assignment, chair: User, examiner: User, reason: str, *,
                info: RequestInfo | None = None) -> ScoreSheet:
    """Mark a panel member absent for one candidate; their sheet no longer counts or blocks."""
    assignment = _chair_locked(assignment, chair)
    if assignment.status not in UNFINISHED:
        raise WorkflowError("result_closed", _l(
            "The candidate's result is closed; reopen it first."))
    if not any(m.user_id == examiner.id for m in assignment.panel.members):
        raise WorkflowError("not_member", _l("%(u)s is not on this panel.", u=examiner.username),
                            400)
    reason = _reason(reason)
    sheet = db.session.scalar(
        select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id,
                                 ScoreSheet.examiner_id == examiner.id).with_for_update())
    before = sheet.status if sheet is not None else "not_started"
    if before == "submitted":
        raise WorkflowError("already_submitted", _l(
            "%(u)s has submitted a sheet for this candidate and cannot be marked absent.",
            u=examiner.username))
    if before in ("absent", "recused"):
        raise WorkflowError("already_out", _l("%(u)s is already %(s)s for this candidate.",
                                              u=examiner.username, s=before))
    if sheet is None:
        sheet = ScoreSheet(session_id=assignment.session_id, assignment_id=assignment.id,
                           examiner_id=examiner.id,
                           rubric_hash=session_rubric(assignment.panel.session).content_hash)
        db.session.add(sheet)
    sheet.status, sheet.absent_reason, sheet.updated_at = "absent", reason, utcnow()
    db.session.flush()
    record("sheet.absent", chair, sheet,
           {"candidate": assignment.candidate.participant_number,
            "examiner": examiner.username, "status": [before, "absent"], "reason": reason},
           session_id=assignment.session_id, info=info)
    return sheet


def add_substitute(assignment: Assignment, chair: User, examiner: User, reason: str, *,
                   info: RequestInfo | None = None) -> PanelMember:
    """Seat a substitute examiner on the candidate's panel (not required for other candidates)."""
    _require_chair(assignment, chair)
    require_mutable(assignment.panel.session)
    if assignment.status not in UNFINISHED:
        raise WorkflowError("result_closed", _l(
            "The candidate's result is closed; reopen it first."))
    if examiner.role not in SCORER_ROLES or not examiner.active:
        raise WorkflowError("not_examiner", _l("%(u)s is not an active examiner or chair.",
                                               u=examiner.username), 400)
    panel = assignment.panel
    if any(m.user_id == examiner.id for m in panel.members):
        raise WorkflowError("already_member", _l("%(u)s already sits on this panel.",
                                                 u=examiner.username), 400)
    reason = _reason(reason)
    position = 1 + max((m.position for m in panel.members), default=-1)
    member = PanelMember(panel=panel, user=examiner, position=position, required=False)
    db.session.add(member)
    db.session.flush()
    record("panel.substitute", chair, panel,
           {"candidate": assignment.candidate.participant_number,
            "examiner": examiner.username, "reason": reason},
           session_id=assignment.session_id, info=info)
    return member


def mark_candidate(assignment: Assignment, chair: User, status: str, reason: str, *,
                   info: RequestInfo | None = None) -> Assignment:
    """Take a candidate out of the ranking: absent, withdrawn or not assessable, with a reason."""
    _require_chair(assignment, chair)
    if status not in ASSIGNMENT_MARKS:
        raise WorkflowError("bad_status", _l("Unknown candidate status %(s)s.", s=status), 400)
    assignment = _locked(assignment)
    if assignment.status not in UNFINISHED:
        raise WorkflowError("result_closed", _l(
            "The candidate's result is closed or marked; reopen it first."))
    reason = _reason(reason)
    pending = db.session.scalars(
        select(Amendment).join(ScoreSheet, ScoreSheet.id == Amendment.sheet_id)
        .where(ScoreSheet.assignment_id == assignment.id, Amendment.status == "pending")).all()
    if pending:
        raise WorkflowError("amendment_pending", _l(
            "An amendment is waiting for a decision: approve or reject it first."))
    before = assignment.status
    assignment.status, assignment.status_reason = status, reason
    assignment.closed_at, assignment.closed_by_id = utcnow(), chair.id
    record("assignment.mark", chair, assignment,
           {"candidate": assignment.candidate.participant_number, "status": [before, status],
            "reason": reason},
           session_id=assignment.session_id, info=info)
    return assignment


def reopen_candidate(assignment: Assignment, chair: User, reason: str, *,
                     confirm: bool = False, info: RequestInfo | None = None) -> Assignment:
    """Reopen a closed or marked candidate with a reason (audited, listed in the minutes)."""
    assignment = _chair_locked(assignment, chair)
    if assignment.status in UNFINISHED:
        raise WorkflowError("not_closed", _l("The candidate is not closed."))
    reason = _reason(reason)
    _require_confirmed(confirm)
    before = {"status": assignment.status, "final_score": assignment.final_score,
              "override": assignment.override_score, "quorum": assignment.quorum_at_close,
              "status_reason": assignment.status_reason}
    assignment.status = "discussion" if assignment.discussion_opened_at else "pending"
    assignment.final_score = assignment.override_score = None
    assignment.override_reason = assignment.override_by_id = None
    assignment.quorum_at_close = assignment.scored_at_close = None
    assignment.status_reason = assignment.closed_at = assignment.closed_by_id = None
    record("assignment.reopen", chair, assignment,
           {"candidate": assignment.candidate.participant_number, "before": before,
            "status": assignment.status, "reason": reason},
           session_id=assignment.session_id, info=info)
    return assignment


def unfinished_candidates(session: InterviewSession) -> list[str]:
    """Return the participant numbers of candidates neither closed nor marked."""
    return list(db.session.scalars(
        select(Candidate.participant_number)
        .join(Assignment, Assignment.candidate_id == Candidate.id)
        .where(Assignment.session_id == session.id, Assignment.status.in_(UNFINISHED))
        .order_by(Assignment.panel_id, Assignment.position)))


def _locked_session(session: InterviewSession) -> InterviewSession:
    return db.session.scalar(
        select(InterviewSession).where(InterviewSession.id == session.id).with_for_update()
        .execution_options(populate_existing=True))


def _publish(session: InterviewSession, actor: User | None, reason: str,
             info: RequestInfo | None) -> Publication:
    unfinished = unfinished_candidates(session)
    if unfinished:
        err = WorkflowError("unfinished", _l(
            "%(n)s candidates are neither closed nor marked: %(list)s.", n=len(unfinished),
            list=", ".join(unfinished[:50]) + (" …" if len(unfinished) > 50 else "")))
        err.unfinished = unfinished
        raise err
    number = 1 + (db.session.scalar(select(func.max(Publication.number))
                                    .where(Publication.session_id == session.id)) or 0)
    rows = public_rows(session)
    publication = Publication(session_id=session.id, number=number, reason=reason,
                              published_by_id=actor.id if actor else None,
                              published_at=utcnow(),
                              results=json.dumps(rows, sort_keys=True, ensure_ascii=False))
    db.session.add(publication)
    before = session.status
    session.status = "closed"
    db.session.flush()
    record("session.publish", actor, session,
           {"number": number, "reason": reason, "status": [before, "closed"],
            "results": len(rows)},
           session_id=session.id, info=info)
    return publication


def close_session(session: InterviewSession, actor: User | None, *, confirm: bool = False,
                  info: RequestInfo | None = None) -> Publication:
    """Close and publish a session; refused while a candidate is neither closed nor marked."""
    session = _locked_session(session)
    if session.status != "open":
        raise WorkflowError("not_open", _l("Only an open session can be closed and published."))
    _require_confirmed(confirm)
    return _publish(session, actor, "", info)


def open_correction(session: InterviewSession, actor: User | None, reason: str, *,
                    confirm: bool = False, info: RequestInfo | None = None) -> InterviewSession:
    """Open a published session for a correction; the public keeps the last publication."""
    session = _locked_session(session)
    if session.status != "closed":
        raise WorkflowError("not_published", _l("Only a published session can be corrected."))
    reason = _reason(reason)
    _require_confirmed(confirm)
    session.status = "correction"
    record("session.correction", actor, session, {"reason": reason,
                                                  "status": ["closed", "correction"]},
           session_id=session.id, info=info)
    return session


def publish_correction(session: InterviewSession, actor: User | None, reason: str, *,
                       confirm: bool = False, info: RequestInfo | None = None) -> Publication:
    """Publish a corrected session: a new, numbered publication with its reason."""
    session = _locked_session(session)
    if session.status != "correction":
        raise WorkflowError("no_correction", _l("No correction of this session is open."))
    reason = _reason(reason)
    _require_confirmed(confirm)
    return _publish(session, actor, reason, info)


def publications(session: InterviewSession) -> list[Publication]:
    """Return the session's publications, first to last."""
    return list(db.session.scalars(select(Publication).where(
        Publication.session_id == session.id).order_by(Publication.number)))


def session_has_levels(session: InterviewSession) -> bool:
    """Return whether any sheet of the session holds a level (declarations alone do not)."""
    return db.session.scalar(select(func.count()).select_from(Score).where(
        Score.session_id == session.id)) > 0


def delete_session(session: InterviewSession, actor: User | None, *, confirm: bool = False,
                   info: RequestInfo | None = None) -> None:
    """Delete a draft session that no sheet holds a level for, with its panels and candidates."""
    session = _locked_session(session)
    if session.status != "draft":
        raise WorkflowError("not_draft", _l("Only a draft session can be deleted."))
    if session_has_levels(session):
        raise WorkflowError("has_levels", _l(
            "Score sheets of this session hold levels; it cannot be deleted."))
    _require_confirmed(confirm)
    sid = session.id
    assignment_ids = select(Assignment.id).where(Assignment.session_id == sid)
    if db.session.scalar(select(func.count()).select_from(Document).where(
            Document.session_id == sid)) or db.session.scalar(
            select(func.count()).select_from(Publication).where(Publication.session_id == sid)):
        raise WorkflowError("has_documents", _l(
            "Documents were issued for this session; it cannot be deleted."))
    record("session.delete", actor, session,
           {"code": session.code, "name": session.name, "rubric_hash": session.rubric_hash},
           session_id=sid, info=info)
    db.session.execute(delete(ConflictDeclaration)
                       .where(ConflictDeclaration.assignment_id.in_(assignment_ids)))
    db.session.execute(delete(ScoreSheet).where(ScoreSheet.session_id == sid))
    db.session.execute(delete(Assignment).where(Assignment.session_id == sid))
    db.session.execute(delete(ExportJob).where(ExportJob.session_id == sid))
    panel_ids = select(Panel.id).where(Panel.session_id == sid)
    db.session.execute(delete(PanelMember).where(PanelMember.panel_id.in_(panel_ids)))
    db.session.execute(delete(Panel).where(Panel.session_id == sid))
    db.session.execute(delete(RubricLevel).where(RubricLevel.session_id == sid))
    db.session.execute(delete(InterviewSession).where(InterviewSession.id == sid))
    db.session.expire_all()
