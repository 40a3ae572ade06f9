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
