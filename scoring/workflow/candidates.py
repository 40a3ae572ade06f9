"""Candidates: personal access codes, their login, the explained result's signed document.

Access codes are random (12 characters of a 31-letter alphabet, about 59 bits) and stored as a
keyed hash: HMAC-SHA256 under a key derived from ``SECRET_KEY``. A slow password hash (scrypt)
protects low-entropy passwords people choose; a random 59-bit code needs no stretching, and
the key means a copy of the database alone lets nobody test guesses offline. It also keeps
printing slips for a whole session fast (scrypt would cost minutes for 500 candidates) and
lets a login find its code by an indexed lookup. Guessing online is throttled like staff logins.

Objections and the session's objection window: :mod:`scoring.workflow.objections`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..extensions import db
from ..models import (
    Assignment,
    Candidate,
    CandidateCode,
    InterviewSession,
    User,
    utcnow,
)
from .admin import format_reset_code, normalise_reset_code
from .audit import RequestInfo, record
from .errors import WorkflowError
from .logins import Refusal, candidate_login_name, login_refusal, record_failed_login
from .objections import (  # noqa: F401
    answer_objection,
    assign_responder,
    file_objection,
    set_policy,
)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 31**12 ~ 2**59


# ---- codes ------------------------------------------------------------------------------


def code_hash(code: str) -> str:
    """Return the keyed hash stored for ``code`` (as typed: case, spaces and dashes ignored)."""
    key = hashlib.sha256(b"candidate-code:" + str(current_app.config["SECRET_KEY"])
                         .encode("utf-8")).digest()
    text = normalise_reset_code(code).encode("ascii", "ignore")
    return hmac.new(key, text, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CodeSlip:
    """A candidate and their new code (shown once, on the slip; never stored in clear)."""

    participant_number: str
    name: str
    position: str
    panel: str
    code: str  # formatted ABCD-EFGH-JKMN


def session_assignments(session: InterviewSession) -> list[Assignment]:
    """Return the session's candidates in panel and interview order."""
    return list(db.session.scalars(
        select(Assignment).where(Assignment.session_id == session.id)
        .order_by(Assignment.panel_id, Assignment.position, Assignment.id)))


def issue_codes(session: InterviewSession, assignments: list[Assignment] | None = None, *,
                actor: User | None = None, info: RequestInfo | None = None,
                choose: Callable[[Assignment], str] | None = None) -> list[CodeSlip]:
    """Issue a new code to each candidate (all of the session's by default); old codes stop.

    Audited per candidate (``candidate.code_issue``, with whether it replaced a code).
    ``choose`` picks the codes instead of chance: for the reproducible demo only.
    """
    targets = session_assignments(session) if assignments is None else assignments
    if not targets:
        raise WorkflowError("nobody", _l("This session has no candidates to give a code to."),
                            400)
    now, slips = utcnow(), []
    for a in targets:
        if a.session_id != session.id:
            raise WorkflowError("not_found", _l("No such candidate in this session."), 404)
        revoked = db.session.execute(
            update(CandidateCode).where(CandidateCode.assignment_id == a.id,
                                        CandidateCode.revoked_at.is_(None))
            .values(revoked_at=now)).rowcount
        code = choose(a) if choose else "".join(secrets.choice(CODE_ALPHABET)
                                                for _ in range(CODE_LENGTH))
        row = CandidateCode(assignment_id=a.id, session_id=session.id,
                            code_hash=code_hash(code), issued_at=now,
                            issued_by_id=actor.id if actor else None)
        db.session.add(row)
        db.session.flush()
        record("candidate.code_issue", actor, row,
               {"candidate": a.candidate.participant_number, "reissue": bool(revoked)},
               session_id=session.id, info=info)
        slips.append(CodeSlip(a.candidate.participant_number, a.candidate.name,
                              a.candidate.position_applied, a.panel.name,
                              format_reset_code(code)))
    return slips


def live_code(code_id: int | None) -> CandidateCode | None:
    """Return the code a candidate's login holds, while it has not been replaced."""
    if not code_id:
        return None
    row = db.session.get(CandidateCode, code_id)
    return row if row is not None and row.revoked_at is None else None


def candidate_refusal(participant_number: str, info: RequestInfo) -> Refusal | None:
    """Return why a code login for ``participant_number`` must wait (the staff rules), or None."""
    return login_refusal(candidate_login_name(participant_number), info)


def candidate_login(participant_number: str, code: str, info: RequestInfo
                    ) -> CandidateCode | None:
    """Return the live code matching the participant number and code, or None (recorded).

    A failure is recorded like a failed staff login, so the same throttle counts it.
    """
    number = (participant_number or "").strip()[:64]
    digest = code_hash(code or "")
    row = db.session.scalar(
        select(CandidateCode).join(Assignment, Assignment.id == CandidateCode.assignment_id)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .where(CandidateCode.code_hash == digest, CandidateCode.revoked_at.is_(None),
               Candidate.participant_number == number))
    if row is None:
        record_failed_login(candidate_login_name(number), info)
        return None
    record("candidate.login", None, row, {"candidate": number}, session_id=row.session_id,
           info=info, actor_name=candidate_login_name(number))
    return row


def issue_result_document(assignment: Assignment, data: dict, lang: str = "id", *,
                          info: RequestInfo | None = None, base_url: str | None = None):
    """Return the signed PDF of a candidate's explained result (issued once per content).

    ``data`` is :func:`scoring.candidates.queries.result_context` of a published, explained
    result; the document is verifiable like every other (QR code, short code, upload).
    """
    from .documents import _issue

    if not data.get("explained"):
        raise WorkflowError("not_published", _l(
            "The result document is available once the session's results are published."))
    return _issue("result", data, lang=lang, base_url=base_url, actor=None, info=info,
                  participant_number=data["candidate"]["participant_number"],
                  assignment_id=assignment.id, panel_id=assignment.panel_id, sheet_id=None)
