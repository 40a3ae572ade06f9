"""Signed documents and bulk export jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import DOCUMENT_KINDS, JOB_STATES, UTCDateTime, _in, utcnow


class Document(db.Model):
    """A generated, signed PDF, stored with its hash so the same bytes are served again."""

    __tablename__ = "document"
    __table_args__ = (CheckConstraint(_in("kind", DOCUMENT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Random, unguessable: the QR code and the printed short code lead to /verify/<token>.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id"))
    sheet_id: Mapped[int | None] = mapped_column(ForeignKey("score_sheet.id"))
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panel.id"))
    participant_number: Mapped[str | None] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(8), default="id")
    # Hash of the data the document was rendered from: unchanged data -> same document.
    source_hash: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    signed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # JSON: what the document says that matters (levels, totals, final scores), as sealed;
    # /verify shows it so a doctored printout bearing a genuine code is caught.
    facts: Mapped[str | None] = mapped_column(Text)
    # The audit chain's head when the document was sealed (also in its text and seal): an
    # anchor outside the database for `scoring audit verify --against`.
    audit_event: Mapped[int | None] = mapped_column(Integer)
    audit_hash: Mapped[str | None] = mapped_column(String(64))


class ExportJob(db.Model):
    """A background job (a bulk ZIP of documents, a report PDF) with its progress."""

    __tablename__ = "export_job"
    __table_args__ = (CheckConstraint(_in("status", JOB_STATES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id"))
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panel.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The task queue's lease: a running job whose heartbeat is older than the lease lost its
    # worker; the sweep queues it again (or fails it, with the reason, after max attempts).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lang: Mapped[str] = mapped_column(String(8), default="id", server_default="id")
    base_url: Mapped[str | None] = mapped_column(String(500))
    # What the job makes: "sheets" (a ZIP of signed sheets) or one PDF, an agreement report or
    # the minutes (scoring.workflow.report_jobs.PDF_KINDS), with its options as JSON in ``params``.
    kind: Mapped[str] = mapped_column(String(24), default="sheets", server_default="sheets")
    params: Mapped[str | None] = mapped_column(Text)
