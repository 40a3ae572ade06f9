"""JSON endpoints of the offline day: the pre-load manifest and the outbox's actions.

Each action carries ``client_id`` and ``seq``; a replay answers with the same receipt, a stale
or out-of-order one is refused (409) with a message the tablet shows. Errors are
``{"error": code, "message": text}`` (with ``server_seq`` when stale), answered by the one
registered ``WorkflowError`` handler; each action is one ``workflow.perform`` (a refused one
writes nothing).
"""

from __future__ import annotations

from flask import jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .. import workflow
from ..database import writes_at_end
from ..examine import queries as examining
from ..examine.api_views import receipt_json, signed_submission
from ..examine.views import SCORERS, _today, receipt_text
from ..web.helpers import client_info, json_payload, role_required
from ..workflow import WorkflowError
from ..workflow.offline import declare_once, save_draft_once, submit_once
from . import bp, queries


@bp.app_context_processor
def _offline_globals() -> dict:
    return {"offline_cache": queries.cache_name}


def _text(data: dict, name: str) -> str:
    value = data.get(name) or ""
    if not isinstance(value, str):
        raise WorkflowError("bad_" + name, _l("The field %(f)s must be text.", f=name), 400)
    return value


@bp.route("/day")
@role_required(*SCORERS)
def day():
    """Return what the tablet keeps for today: pages to cache, own sheet states, a token."""
    sheets = queries.day_sheets(current_user, _today())
    return jsonify({
        "cache": queries.cache_name(), "csrf": generate_csrf(), "user": current_user.id,
        "urls": queries.day_urls(sheets),
        "sheets": {str(s.assignment_id): {
            "state": s.state,
            "receipt": receipt_text(s.submitted_at) if s.submitted_at else None,
        } for s in sheets},
    })


@bp.route("/<int:assignment_id>/declare", methods=["POST"])
@writes_at_end
@role_required(*SCORERS)
def declare(assignment_id: int):
    """Record the queued conflict-of-interest declaration once."""
    data = json_payload()
    assignment = examining.member_assignment(current_user, assignment_id)
    receipt = workflow.perform(
        declare_once, assignment, current_user._get_current_object(), data.get("relationship"),
        _text(data, "detail"), client_id=data.get("client_id"), seq=data.get("seq"),
        info=client_info(data))
    return jsonify({"status": receipt.status, "relationship": receipt.relationship,
                    "seq": receipt.seq, "duplicate": receipt.duplicate,
                    "declared_at": receipt.declared_at.isoformat(),
                    "receipt": receipt_text(receipt.declared_at)})


@bp.route("/<int:assignment_id>/draft", methods=["POST"])
@writes_at_end
@role_required(*SCORERS)
def draft(assignment_id: int):
    """Apply the queued draft once; refuse one older than what the server holds."""
    data = json_payload()
    assignment = examining.member_assignment(current_user, assignment_id)
    ack = workflow.perform(
        save_draft_once, assignment, current_user._get_current_object(), data.get("scores"),
        client_id=data.get("client_id"), seq=data.get("seq"), info=client_info(data))
    return jsonify({"status": ack.status, "seq": ack.seq, "duplicate": ack.duplicate})


@bp.route("/<int:assignment_id>/submit", methods=["POST"])
@writes_at_end
@role_required(*SCORERS)
def submit(assignment_id: int):
    """Submit the queued, signed sheet once; answer with the receipt (the same on a replay)."""
    data, receipt = signed_submission(submit_once, assignment_id)
    return jsonify({**receipt_json(receipt), "seq": data.get("seq")})
