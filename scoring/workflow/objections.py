"""Objections (sanggah) and the session's objection window.

One objection per candidate and session, filed inside the session's window (WIB), with an
optional checked attachment kept in the shared storage folder; a responder who never sat on
the candidate's panel answers; an accepted objection that changes a result is published
through :func:`scoring.workflow.finality.publish_correction`. Every step is audited.
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

from babel.dates import format_datetime
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    OBJECTION_CATEGORIES,
    Assignment,
    CandidateCode,
    CandidatePolicy,
    InterviewSession,
    Objection,
    Publication,
    ScoreSheet,
    User,
    utcnow,
)
from ..ops.private_files import private_dir, write_private
from ..ops.storage import storage_dir
from ..rules.visibility import session_public
from .audit import RequestInfo, canonical_json, record
from .errors import WorkflowError
from .finality import publish_correction
from .logins import candidate_login_name

WIB = timezone(timedelta(hours=7), "WIB")
MAX_TEXT = 5000
MAX_RESPONSE = 5000
PDF_MAGIC = b"%PDF-"
IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
OBJECTIONS_DIR = "objections"


# ---- policy -----------------------------------------------------------------------------


def policy_of(session: InterviewSession) -> CandidatePolicy:
    """Return the session's candidate policy (defaults, unsaved, when none was set)."""
    return db.session.get(CandidatePolicy, session.id) or CandidatePolicy(
        session_id=session.id, share_notes=False)


def set_policy(session: InterviewSession, *, opens_at: datetime | None,
               closes_at: datetime | None, share_notes: bool, actor: User | None = None,
               info: RequestInfo | None = None) -> CandidatePolicy:
    """Set the objection window (both ends or neither) and whether evidence notes are shared."""
    if (opens_at is None) != (closes_at is None):
        raise WorkflowError("window_half", _l(
            "Give both the start and the end of the objection window, or neither."), 400)
    if opens_at is not None and closes_at <= opens_at:
        raise WorkflowError("window_order", _l(
            "The objection window must end after it starts."), 400)
    policy = db.session.get(CandidatePolicy, session.id)
    if policy is None:
        policy = CandidatePolicy(session_id=session.id)
        db.session.add(policy)
    before = {"opens_at": policy.objection_opens_at, "closes_at": policy.objection_closes_at,
              "share_notes": policy.share_notes}
    policy.objection_opens_at, policy.objection_closes_at = opens_at, closes_at
    policy.share_notes, policy.updated_at = bool(share_notes), utcnow()
    db.session.flush()
    record("candidate.policy", actor, session,
           {"before": before, "after": {"opens_at": opens_at, "closes_at": closes_at,
                                        "share_notes": bool(share_notes)}},
           session_id=session.id, info=info)
    return policy


def wib(moment: datetime | None) -> str:
    """Return ``moment`` as WIB wall time, e.g. ``5 Des 2026 16.00 WIB``."""
    if moment is None:
        return ""
    locale = get_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE", "id")
    return format_datetime(moment, "d MMM y HH.mm", tzinfo=WIB, locale=locale) + " WIB"


def window_state(policy: CandidatePolicy, now: datetime | None = None) -> str:
    """Return ``unset``, ``before``, ``open`` or ``after`` for the objection window now."""
    now = now or utcnow()
    if policy.objection_opens_at is None or policy.objection_closes_at is None:
        return "unset"
    if now < policy.objection_opens_at:
        return "before"
    return "open" if now < policy.objection_closes_at else "after"


# ---- objections -------------------------------------------------------------------------


def check_attachment(filename: str, data: bytes) -> str:
    """Return the attachment's MIME type, or refuse it: a PDF or PNG/JPEG image, size-capped."""
    limit = current_app.config["OBJECTION_ATTACHMENT_MAX_BYTES"]
    if len(data) > limit:
        raise WorkflowError("attachment_too_large", _l(
            "The attachment %(name)s is larger than %(mb)s MB.", name=filename,
            mb=round(limit / 1048576, 1)), 400)
    if not data:
        raise WorkflowError("attachment_empty", _l("The attachment %(name)s is empty.",
                                                   name=filename), 400)
    if data.startswith(PDF_MAGIC):
        return "application/pdf"
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    if kind not in IMAGE_FORMATS:
        raise WorkflowError("attachment_type", _l(
            "The attachment %(name)s is not a PDF, PNG or JPEG file.", name=filename), 400)
    return IMAGE_FORMATS[kind]


def attachment_path(objection: Objection) -> Path:
    """Return where the objection's attachment is kept: ``objections/<session>/`` in the shared
    storage folder (``STORAGE_DIR``, else the instance folder), so every app server finds it."""
    folder = storage_dir() / OBJECTIONS_DIR / str(objection.session_id)
    return folder / f"{objection.number}.bin"


def require_open_window(session: InterviewSession, now: datetime) -> None:
    """Refuse an objection outside the session's published objection window (WIB)."""
    if not session_public(session):
        raise WorkflowError("not_published", _l(
            "Objections open once the session's results are published."))
    policy = policy_of(session)
    state = window_state(policy, now)
    if state == "unset":
        raise WorkflowError("window_unset", _l(
            "The objection period of this session has not been announced."))
    if state == "before":
        raise WorkflowError("window_before", _l(
            "Objections can be filed from %(start)s until %(end)s.",
            start=wib(policy.objection_opens_at), end=wib(policy.objection_closes_at)))
    if state == "after":
        raise WorkflowError("window_closed", _l(
            "The objection period ended on %(end)s; late objections are not accepted.",
            end=wib(policy.objection_closes_at)))


def _checked_text(category: str, text: str) -> str:
    """Return the objection's text stripped, or refuse a bad category or text."""
    if category not in OBJECTION_CATEGORIES:
        raise WorkflowError("bad_category", _l("Choose a category."), 400)
    text = (text or "").strip()
    if not text:
        raise WorkflowError("text_required", _l("Write what your objection is about."), 400)
    if len(text) > MAX_TEXT:
        raise WorkflowError("text_too_long", _l(
            "The objection is longer than %(n)d characters.", n=MAX_TEXT), 400)
    return text


def file_objection(code: CandidateCode, category: str, text: str,
                   attachment: tuple[str, bytes] | None = None, *,
                   info: RequestInfo | None = None, now: datetime | None = None) -> Objection:
    """File the candidate's one objection of the session, inside the window; return it."""
    now = now or utcnow()
    assignment = db.session.get(Assignment, code.assignment_id)
    session = db.session.scalar(
        select(InterviewSession).where(InterviewSession.id == code.session_id)
        .with_for_update())
    require_open_window(session, now)
    text = _checked_text(category, text)
    if db.session.scalar(select(Objection.id).where(Objection.assignment_id == assignment.id)):
        raise WorkflowError("already_filed", _l(
            "You have already filed an objection for this session."))
    kind = digest = name = None
    if attachment is not None:
        name, data = attachment
        name = (Path(name or "lampiran").name or "lampiran")[:200]
        kind = check_attachment(name, data)
        digest = hashlib.sha256(data).hexdigest()
    count = db.session.scalar(select(func.count()).select_from(Objection).where(
        Objection.session_id == session.id)) or 0
    number = f"{session.code}-S{count + 1:04d}"
    objection = Objection(number=number, session_id=session.id, assignment_id=assignment.id,
                          category=category, text=text, attachment_name=name,
                          attachment_type=kind, attachment_sha256=digest, filed_at=now,
                          status="filed")
    objection.receipt_hash = hashlib.sha256(canonical_json(receipt_content(
        objection, assignment.candidate.participant_number)).encode("utf-8")).hexdigest()
    db.session.add(objection)
    db.session.flush()
    if attachment is not None:
        path = attachment_path(objection)
        private_dir(path.parent)
        write_private(path, attachment[1])
    record("objection.file", None, objection,
           {"number": number, "candidate": assignment.candidate.participant_number,
            "category": category, "attachment_sha256": digest,
            "receipt_hash": objection.receipt_hash},
           session_id=session.id, info=info,
           actor_name=candidate_login_name(assignment.candidate.participant_number))
    return objection


def receipt_content(objection: Objection, participant_number: str) -> dict:
    """Return what the receipt's hash covers."""
    return {"number": objection.number, "participant_number": participant_number,
            "filed_at": objection.filed_at, "category": objection.category,
            "text": objection.text, "attachment_sha256": objection.attachment_sha256}


def panel_user_ids(assignment: Assignment) -> set[int]:
    """Return everyone who sat on the candidate's panel: chair, members, anyone with a sheet."""
    panel = assignment.panel
    ids = {m.user_id for m in panel.members}
    if panel.chair_id:
        ids.add(panel.chair_id)
    ids.update(db.session.scalars(select(ScoreSheet.examiner_id).where(
        ScoreSheet.assignment_id == assignment.id)))
    return ids


def assign_responder(objection: Objection, responder: User, *, actor: User | None = None,
                     info: RequestInfo | None = None) -> Objection:
    """Assign who answers the objection: never someone of the candidate's panel."""
    if objection.status in ("accepted", "rejected"):
        raise WorkflowError("answered", _l("This objection has been answered."))
    if not responder.active:
        raise WorkflowError("inactive", _l("%(u)s is not active.", u=responder.username), 400)
    if responder.id in panel_user_ids(objection.assignment):
        raise WorkflowError("responder_on_panel", _l(
            "%(u)s sat on this candidate's panel and cannot answer the objection.",
            u=responder.username))
    before = objection.responder_id
    objection.responder_id, objection.assigned_at = responder.id, utcnow()
    objection.status = "assigned"
    record("objection.assign", actor, objection,
           {"number": objection.number, "responder": responder.username,
            "before": before}, session_id=objection.session_id, info=info)
    return objection


def answer_objection(objection: Objection, decision: str, response: str, *,
                     actor: User | None = None, info: RequestInfo | None = None) -> Objection:
    """Record the response (accepted or rejected, with its text); the candidate then sees it."""
    if objection.status != "assigned" or objection.responder_id is None:
        raise WorkflowError("not_assigned", _l(
            "Assign a responder before answering, and answer only once."))
    if actor is not None and actor.role != "admin" and actor.id != objection.responder_id:
        raise WorkflowError("not_responder", _l("Only the assigned responder or an "
                                                "administrator can answer."), 403)
    if decision not in ("accepted", "rejected"):
        raise WorkflowError("bad_decision", _l("Choose accepted or rejected."), 400)
    response = (response or "").strip()
    if not response:
        raise WorkflowError("response_required", _l("Write the response."), 400)
    if len(response) > MAX_RESPONSE:
        raise WorkflowError("response_too_long", _l("The response is too long."), 400)
    objection.status, objection.response, objection.responded_at = decision, response, utcnow()
    record("objection.answer", actor, objection,
           {"number": objection.number, "decision": decision,
            "response_sha256": hashlib.sha256(response.encode("utf-8")).hexdigest()},
           session_id=objection.session_id, info=info)
    return objection


def publish_objection_correction(objection: Objection, reason: str, *, actor: User | None,
                                 confirm: bool = False, info: RequestInfo | None = None
                                 ) -> Publication:
    """Publish the open correction an accepted objection led to, and link the two (audited)."""
    if objection.status != "accepted":
        raise WorkflowError("not_accepted", _l(
            "Only an accepted objection can lead to a correction."))
    if objection.correction_number is not None:
        raise WorkflowError("already_corrected", _l(
            "The correction of this objection is already published."))
    session = db.session.get(InterviewSession, objection.session_id)
    reason = (reason or "").strip()
    publication = publish_correction(
        session, actor, f"{objection.number}: {reason}" if reason else "", confirm=confirm,
        info=info)
    objection.correction_number = publication.number
    record("objection.correction", actor, objection,
           {"number": objection.number, "publication": publication.number},
           session_id=session.id, info=info)
    return publication


