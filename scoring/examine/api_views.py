"""The scoring page's JSON API: save a draft, submit with a signature, read one's own sheet.

Every answer is JSON; every error is ``{"error": code, "message": text}`` and speaks only of
the caller's own sheet. CSRF protection applies: the page sends the token as ``X-CSRFToken``.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from .. import workflow
from ..database import retry_if_disconnected, writes_at_end
from ..web.helpers import client_info, json_payload, role_required
from . import queries as examining
from .views import SCORERS, receipt_text

bp = Blueprint("examine_api", __name__, url_prefix="/api/examine")


@bp.route("/<int:assignment_id>/draft", methods=["POST"])
@retry_if_disconnected
@writes_at_end
@role_required(*SCORERS)
def save_draft(assignment_id: int):
    """Save the sheet's full state as a draft unless a newer state was already saved."""
    data = json_payload()
    assignment = examining.member_assignment(current_user, assignment_id)
    # The answer is read inside the verb's write transaction: afterwards the sheet is
    # expired, and reloading it would cost another transaction just to answer.
    def save() -> dict:
        sheet, applied = workflow.save_draft(
            assignment, current_user._get_current_object(), data.get("scores"),
            client_id=data.get("client_id"), seq=data.get("seq"), info=client_info(data))
        return {"status": sheet.status, "applied": applied, "seq": sheet.client_seq}

    return jsonify(workflow.perform(save))


@bp.route("/<int:assignment_id>/submit", methods=["POST"])
@retry_if_disconnected
@writes_at_end
@role_required(*SCORERS)
def submit(assignment_id: int):
    """Submit and lock the sheet with the examiner's signature; answer with the receipt."""
    _data, receipt = signed_submission(workflow.submit_sheet, assignment_id)
    return jsonify(receipt_json(receipt))


def signed_submission(verb, assignment_id: int):
    """Run a submit verb (``submit_sheet``, or the outbox's ``submit_once``) on the caller's
    sheet with the JSON body's scores and signature; return the body and the receipt."""
    data = json_payload()
    assignment = examining.member_assignment(current_user, assignment_id)
    signature = workflow.decode_signature(data.get("signature"))
    receipt = workflow.perform(
        verb, assignment, current_user._get_current_object(),
        client_id=data.get("client_id"), seq=data.get("seq"), scores=data.get("scores"),
        signature_png=signature, info=client_info(data))
    return data, receipt


def receipt_json(receipt) -> dict:
    """Return the JSON answer to a submitted sheet: status, time, content hash, receipt text."""
    return {"status": "submitted", "submitted_at": receipt.submitted_at.isoformat(),
            "content_hash": receipt.content_hash, "receipt": receipt_text(receipt.submitted_at)}


@bp.route("/<int:assignment_id>/state")
@retry_if_disconnected
@role_required(*SCORERS)
def state(assignment_id: int):
    """Return the caller's own sheet: status, last applied sequence number and scores."""
    assignment = examining.member_assignment(current_user, assignment_id)
    sheet = examining.own_sheet(assignment, current_user)
    if sheet is None:
        return jsonify({"status": "not_started", "seq": 0, "scores": {}})
    body = {"status": sheet.status, "seq": sheet.client_seq,
            "scores": workflow.sheet_state(sheet)}
    if sheet.submitted_at is not None:
        body.update(submitted_at=sheet.submitted_at.isoformat(),
                    content_hash=sheet.content_hash, receipt=receipt_text(sheet.submitted_at))
    return jsonify(body)
