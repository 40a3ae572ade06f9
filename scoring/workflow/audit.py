"""The append-only, hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.event import listens_for
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import find_tables

from ..extensions import db
from ..models import AuditEvent, AuditHead, AuditPending, User, utcnow

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


def _hashed_fields(event: AuditEvent) -> dict:
    return {
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


def event_hash(event: AuditEvent) -> str:
    """Return the hash binding ``event``'s content to the previous event's hash."""
    body = canonical_json(_hashed_fields(event))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _hashed_body_around_the_head(event: AuditEvent) -> tuple[str, str, str]:
    """Return the hashed text of ``event`` in three parts, to be joined around its number
    and its previous hash: ``a + str(id) + b + prev_hash + c`` is ``canonical_json`` of it."""
    fields = _hashed_fields(event)
    keys = sorted(fields)
    parts = [f"{canonical_json(key)}:{canonical_json(fields[key])}" for key in keys]
    at_id, at_prev = keys.index("id"), keys.index("prev_hash")
    before_id = "{" + ",".join(parts[:at_id] + ['"id":'])
    between = "," + ",".join(parts[at_id + 1:at_prev] + ['"prev_hash":"'])
    after = '"' + "".join("," + p for p in parts[at_prev + 1:]) + "}"
    return before_id, between, after


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
    """Record an event in the caller's transaction; it joins the chain when the transaction
    commits (or sooner, when the transaction reads the trail itself: see below).

    Its number, its moment and its hashes are given then: the chain's head row is every
    writer's lock, so it is taken at the last moment and held for one append.
    """
    info = info or RequestInfo()
    event = AuditEvent(
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
    )
    db.session.info.setdefault(_PENDING, []).append(event)
    return event


# ---------------------------------------------------------------------------------------
# Appending: the events a transaction recorded join the chain when it commits, after the
# ORM's flush, so that the head row (PostgreSQL serialises every appender on it; SQLite's
# BEGIN IMMEDIATE serialises every writer anyway) is held as briefly as can be. On PostgreSQL
# the database itself appends them inside the COMMIT (audit_pending's deferred trigger), so
# the head is not held across a round trip to the app server, whose thread may wait for the
# GIL before it sends the COMMIT. On SQLite they are appended just before the COMMIT. A query
# of the transaction's own that reads the trail or its head appends them first, as the ORM's
# autoflush would. A rollback drops them.

_PENDING = "scoring.audit.pending"
_TRAIL = {AuditEvent.__tablename__, AuditHead.__tablename__}
# What record() gives; the append adds the number, the moment and the two hashes.
_RECORDED = ("actor_id", "actor", "action", "object_type", "object_id", "session_id", "data",
             "client_id", "ip", "user_agent")
_COLUMNS = ("id", "created_at", *_RECORDED, "prev_hash", "hash")

# The appends' statements, built once (every write of the day appends). SQLite: read the
# head, insert the events, move the head on (BEGIN IMMEDIATE already holds the database's
# write lock). PostgreSQL: hand the events to audit_pending, whose deferred trigger (migration
# 0016) appends them; to append them at once, fire it now and read their numbers and hashes
# back (the head stays locked by this transaction, so they are the chain's last n events).
_HEAD_SQLITE = select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)
_INSERT_EVENTS = insert(AuditEvent.__table__)
_INSERT_WAITING = insert(AuditPending.__table__)
_CHAIN_NOW = text("SET CONSTRAINTS audit_pending_chain IMMEDIATE")
_CHAIN_AT_COMMIT = text("SET CONSTRAINTS audit_pending_chain DEFERRED")
_LAST_APPENDED = (select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash)
                  .where(AuditEvent.id > select(AuditHead.last_id).where(AuditHead.id == 1)
                         .scalar_subquery() - bindparam("n"))
                  .order_by(AuditEvent.id))
_MOVE_HEAD_SQLITE = (update(AuditHead.__table__).where(AuditHead.id == 1)
                     .values(last_id=bindparam("new_last_id"),
                             last_hash=bindparam("new_last_hash")))


def append_pending(session: Session, *, now: bool = False) -> None:
    """Append the events ``session``'s transaction recorded to the chain (in its transaction).

    On PostgreSQL they are handed to the database (``audit_pending``), which numbers and
    hashes them inside the COMMIT (migration 0016's deferred trigger): the head is then
    never held while the transaction waits for its app server. ``now`` appends them at once
    instead (a query of the transaction's own reads the trail), holding the head until the
    commit, and gives the events their numbers and hashes here too.
    """
    events = session.info.pop(_PENDING, None)
    if not events:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        for event in events:
            event.created_at = utcnow()
        connection.execute(_INSERT_WAITING, [_waiting(e) for e in events])
        if not now:
            return
        connection.execute(_CHAIN_NOW)
        connection.execute(_CHAIN_AT_COMMIT)  # for the events the transaction records next
        appended = connection.execute(_LAST_APPENDED, {"n": len(events)}).all()
        for event, (number, prev_hash, digest) in zip(events, appended, strict=True):
            event.id, event.prev_hash, event.hash = number, prev_hash, digest
    else:
        last_id, last_hash = connection.execute(_HEAD_SQLITE).one()
        for event in events:
            event.id, event.created_at, event.prev_hash = last_id + 1, utcnow(), last_hash
            event.hash = event_hash(event)
            last_id, last_hash = event.id, event.hash
        connection.execute(_INSERT_EVENTS, [{c: getattr(e, c) for c in _COLUMNS} for e in events])
        connection.execute(_MOVE_HEAD_SQLITE, {"new_last_id": last_id, "new_last_hash": last_hash})
    head = session.identity_map.get(session.identity_key(AuditHead, 1))
    if head is not None:  # the ORM's copy is older than the append
        session.expire(head)


def _waiting(event: AuditEvent) -> dict:
    """The ``audit_pending`` row of ``event``: what it recorded and its hashed text."""
    before_id, before_prev, after = _hashed_body_around_the_head(event)
    return {"created_at": event.created_at, **{c: getattr(event, c) for c in _RECORDED},
            "text_before_id": before_id, "text_before_prev": before_prev, "text_after": after}


@listens_for(Session, "before_commit")
def _append_before_commit(session: Session) -> None:
    if session.info.get(_PENDING):
        session.flush()  # the rest of the transaction first: the head is taken last
        append_pending(session)


@listens_for(Session, "do_orm_execute")
def _append_before_reading_the_trail(state) -> None:
    if state.session.info.get(_PENDING) and any(
            getattr(t, "name", None) in _TRAIL for t in find_tables(
                state.statement, include_aliases=True, include_crud=True)):
        append_pending(state.session, now=True)


@listens_for(Session, "after_transaction_end")
def _drop_unappended(session: Session, transaction) -> None:
    if transaction.parent is None:  # rolled back or closed (a commit appended them)
        session.info.pop(_PENDING, None)


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
