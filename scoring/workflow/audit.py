"""The append-only, hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, AuditHead, User, utcnow

GENESIS = "0" * 64


@dataclass(frozen=True)
class RequestInfo:
    """Where an action came from: client id, IP address and user agent."""

    client_id: str = ""
    ip: str = ""
    user_agent: str = ""


CLI = RequestInfo(client_id="cli", ip="", user_agent="scoring-cli")


def canonical_json(data) -> str:
    """Serialise ``data`` deterministically (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: AuditEvent) -> str:
    """Return the hash binding ``event``'s content to the previous event's hash."""
    body = canonical_json(
        {
            "id": event.id,
            "created_at": _stamp(event.created_at),
            "actor_id": event.actor_id,
            "actor": event.actor,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "session_id": event.session_id,
            "data": event.data,
            "client_id": event.client_id,
            "ip": event.ip,
            "user_agent": event.user_agent,
            "prev_hash": event.prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(
    action: str,
    actor: User | None,
    obj=None,
    data: dict | None = None,
    *,
    session_id: int | None = None,
    info: RequestInfo | None = None,
    actor_name: str = "",
) -> AuditEvent:
    """Append an event to the chain inside the caller's transaction."""
    info = info or RequestInfo()
    # The head row is the chain's lock: PostgreSQL serialises appenders on it
    # (SQLite's BEGIN IMMEDIATE already serialises every writer).
    head = db.session.execute(select(AuditHead).with_for_update()).scalar_one()
    event = AuditEvent(
        id=head.last_id + 1,
        created_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor=actor.username if actor is not None else actor_name,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "id", "") or "") if obj is not None else "",
        session_id=session_id,
        data=canonical_json(data or {}),
        client_id=(info.client_id or "")[:64],
        ip=(info.ip or "")[:64],
        user_agent=(info.user_agent or "")[:300],
        prev_hash=head.last_hash,
    )
    event.hash = event_hash(event)
    db.session.add(event)
    head.last_id = event.id
    head.last_hash = event.hash
    return event


@dataclass(frozen=True)
class ChainCheck:
    """Result of recomputing the audit chain."""

    ok: bool
    events: int
    first_bad_id: int | None = None
    problem: str = ""


def verify_chain(batch: int = 5000) -> ChainCheck:
    """Recompute the chain and name the first event that was edited, deleted or reordered."""
    prev_hash, expected_id, count = GENESIS, 1, 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            count += 1
            if event.id != expected_id:
                return ChainCheck(False, count, expected_id, f"event {expected_id} is missing")
            if event.prev_hash != prev_hash:
                return ChainCheck(
                    False, count, event.id,
                    f"event {event.id} does not follow event {event.id - 1} "
                    "(deleted, inserted or reordered)",
                )
            if event_hash(event) != event.hash:
                return ChainCheck(False, count, event.id, f"event {event.id} was edited")
            prev_hash, expected_id = event.hash, event.id + 1
        last_id = rows[-1].id
        db.session.expire_all()
    head = db.session.get(AuditHead, 1)
    last = expected_id - 1
    if head is not None and head.last_id > last:
        return ChainCheck(False, count, last + 1, f"events {last + 1}-{head.last_id} were deleted")
    if head is not None and head.last_id < last:
        return ChainCheck(
            False, count, head.last_id + 1, f"event {head.last_id + 1} was inserted after the head"
        )
    if head is not None and head.last_hash != prev_hash:
        return ChainCheck(False, count, last, f"event {last} does not match the chain's head")
    return ChainCheck(True, count)


def record_changes(action: str, actor: User | None, obj, new: dict, *,
                   secret: frozenset | set = frozenset(), session_id: int | None = None,
                   info: RequestInfo | None = None) -> dict:
    """Set on ``obj`` the fields of ``new`` that differ and record them (old -> new) as
    ``action``; a ``secret`` field (a NIK) is recorded only as changed. Return the changes."""
    changes = {k: [getattr(obj, k), v] for k, v in new.items() if getattr(obj, k) != v}
    if not changes:
        return changes
    for key, (_old, value) in changes.items():
        setattr(obj, key, value)
    logged = {k: ["***", "***"] if k in secret else v for k, v in changes.items()}
    record(action, actor, obj, logged, session_id=session_id, info=info)
    return changes


def record_export(session, action: str, fmt: str, rows: int, *, actor=None,
                  info: RequestInfo | None = None) -> None:
    """Record that ``session``'s data left the system (an export), in a write of its own.

    An export is a GET: its request reads deferred, so the record takes one short write
    transaction and commits it at once.
    """
    from ..database import write_transaction

    with write_transaction():
        record(action, actor, session, {"format": fmt, "rows": rows}, session_id=session.id,
               info=info)
