"""The tablet's outbox: declarations, drafts and submissions applied exactly once, in order.

A tablet queues every action with a client id and a sequence number that only grows for that
sheet on that tablet (the declaration first, then drafts, then the signed submission). These
verbs wrap the sheet verbs of :mod:`scoring.workflow.sheets` with the outbox's contract:

- a replay (the same client id and sequence number) is acknowledged again with the same
  receipt and changes nothing;
- a stale or out-of-order action (a sequence number below the one the server holds, or equal
  to it under another client id) is refused with a message that says so, and never applied;
- every rule of the sheet verbs still holds (recusal, closed candidates, lost updates).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Assignment, ConflictDeclaration, ScoreSheet, User
from .audit import RequestInfo
from .errors import WorkflowError
from .sheets import (
    _LOCKED_SHEET,
    _OWN_DECLARATION,
    Receipt,
    _check_client,
    _require_open,
    declare_conflict,
    save_draft,
    submit_sheet,
)


@dataclass(frozen=True)
class DeclarationReceipt:
    """What the server confirms when a declaration is received."""

    status: str  # "declared" (no relationship) or "recused"
    relationship: str
    declared_at: datetime
    seq: int
    duplicate: bool


@dataclass(frozen=True)
class DraftAck:
    """What the server confirms when a queued draft is received."""

    status: str
    seq: int
    duplicate: bool


def _stale(seq: int, held: int) -> WorkflowError:
    err = WorkflowError("stale_seq", _l(
        "This change (number %(seq)s) is older than what the server already holds (number "
        "%(held)s): it was not applied, and the newer version is kept.", seq=seq, held=held))
    err.server_seq = held
    return err


def _own_declaration(assignment: Assignment, examiner: User) -> ConflictDeclaration | None:
    return db.session.scalar(_OWN_DECLARATION, {"assignment_id": assignment.id,
                                                "examiner_id": examiner.id})


def _locked_sheet(assignment: Assignment, examiner: User) -> ScoreSheet | None:
    """The sheet under its row lock, without its scores (sheets' verbs load them)."""
    return db.session.scalar(_LOCKED_SHEET, {"assignment_id": assignment.id,
                                             "examiner_id": examiner.id})


def declare_once(
    assignment: Assignment,
    examiner: User,
    relationship: str,
    detail: str = "",
    *,
    client_id: str,
    seq: int,
    info: RequestInfo | None = None,
) -> DeclarationReceipt:
    """Record the queued declaration once; its replay returns the same receipt."""
    _check_client(client_id, seq)
    existing = _own_declaration(assignment, examiner)
    if existing is not None and existing.client_id == client_id:
        return _declaration_receipt(existing, seq, duplicate=True)
    sheet = declare_conflict(assignment, examiner, relationship, detail, info=info)
    declaration = _own_declaration(assignment, examiner)
    declaration.client_id = client_id
    # The declaration is the sheet's first action: drafts queued after it carry higher numbers.
    sheet.client_seq, sheet.client_id = seq, client_id
    return _declaration_receipt(declaration, seq, duplicate=False)


def _declaration_receipt(declaration: ConflictDeclaration, seq: int, *,
                         duplicate: bool) -> DeclarationReceipt:
    return DeclarationReceipt(
        status="declared" if declaration.relationship == "none" else "recused",
        relationship=declaration.relationship, declared_at=declaration.declared_at,
        seq=seq, duplicate=duplicate)


def save_draft_once(
    assignment: Assignment,
    examiner: User,
    scores: dict,
    *,
    client_id: str,
    seq: int,
    info: RequestInfo | None = None,
) -> DraftAck:
    """Apply a queued draft once; a replay is acknowledged, a stale one refused."""
    sheet, applied = save_draft(assignment, examiner, scores, client_id=client_id, seq=seq,
                                info=info)
    if applied:
        return DraftAck(status=sheet.status, seq=seq, duplicate=False)
    if sheet.client_seq == seq and sheet.client_id == client_id:
        return DraftAck(status=sheet.status, seq=seq, duplicate=True)
    raise _stale(seq, sheet.client_seq)


def submit_once(
    assignment: Assignment,
    examiner: User,
    *,
    client_id: str,
    seq: int,
    scores: dict | None,
    signature_png: bytes | None,
    info: RequestInfo | None = None,
) -> Receipt:
    """Submit a queued, signed sheet once; a replay returns the same receipt.

    A submission older than the draft the server holds is refused rather than signing scores
    the examiner did not see on the tablet.
    """
    _check_client(client_id, seq)
    sheet = _locked_sheet(assignment, examiner)
    if sheet is not None and sheet.status != "submitted":
        _require_open(assignment)  # a closed candidate's refusal comes first: it is final
    if (sheet is not None and sheet.status != "submitted" and seq <= sheet.client_seq
            and scores is not None):
        raise _stale(seq, sheet.client_seq)
    return submit_sheet(assignment, examiner, client_id=client_id, seq=seq, scores=scores,
                        signature_png=signature_png, info=info)
