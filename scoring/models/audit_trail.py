"""The append-only, hash-chained audit trail's rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class AuditHead(db.Model):
    """The single row holding the hash of the newest audit event (locked while appending)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(db.Model):
    """An append-only, hash-chained record of one event."""

    __tablename__ = "audit_event"
    # Recent failed logins of a username are counted on every login attempt.
    __table_args__ = (Index("ix_audit_event_actor_action_created_at",
                            "actor", "action", "created_at"),
                      # ... and the recent failures from one address (throttling, spraying).
                      Index("ix_audit_event_action_ip_created_at",
                            "action", "ip", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    session_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # JSON: what changed (old -> new) and context.
    data: Mapped[str] = mapped_column(Text, default="{}")
    client_id: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditPending(db.Model):
    """An event its transaction has recorded, waiting for that transaction's COMMIT.

    PostgreSQL only: a deferred trigger (migration 0016) numbers and hashes each row at
    COMMIT, inside the server, appends it to ``audit_event`` and deletes it, so the chain's
    head is locked only while the transaction commits, never while it waits for its app
    server to send the COMMIT. The table is empty outside a transaction; SQLite, whose
    writers are serialised anyway, appends directly and leaves it empty.
    """

    __tablename__ = "audit_pending"

    seq: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(300))
    # The event's canonical text (event_hash's) around its number and its previous hash:
    # hashed_text = text_before_id || id || text_before_prev || prev_hash || text_after.
    text_before_id: Mapped[str] = mapped_column(Text)
    text_before_prev: Mapped[str] = mapped_column(Text)
    text_after: Mapped[str] = mapped_column(Text)
