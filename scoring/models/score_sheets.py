"""Score sheets, scores, conflict declarations and amendments."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import AMENDMENT_STATES, PHASES, RELATIONSHIPS, SHEET_STATES, UTCDateTime, _in, utcnow

if TYPE_CHECKING:
    from .accounts import User
    from .interviews import Assignment


class ScoreSheet(db.Model):
    """One examiner's sheet for one candidate: draft, submitted (locked) or recused."""

    __tablename__ = "score_sheet"
    __table_args__ = (
        UniqueConstraint("assignment_id", "examiner_id"),
        UniqueConstraint("id", "session_id"),
        CheckConstraint(_in("status", SHEET_STATES), name="status"),
        CheckConstraint(
            "(status = 'submitted') = (submitted_at IS NOT NULL)", name="submitted_at"
        ),
        ForeignKeyConstraint(
            ["assignment_id", "session_id"], ["assignment.id", "assignment.session_id"]
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id"))
    assignment_id: Mapped[int] = mapped_column(Integer)
    examiner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    rubric_hash: Mapped[str] = mapped_column(String(64))
    # Highest client sequence number applied: a retried or late save never overwrites a newer one.
    client_seq: Mapped[int] = mapped_column(Integer, default=0)
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Why the chair marked the member absent for this candidate.
    absent_reason: Mapped[str | None] = mapped_column(Text)

    assignment: Mapped[Assignment] = relationship(back_populates="sheets")
    examiner: Mapped[User] = relationship()
    scores: Mapped[list[Score]] = relationship(
        back_populates="sheet", cascade="all, delete-orphan", order_by="Score.id"
    )


class Score(db.Model):
    """A level chosen for one criterion on a sheet, before or after discussion."""

    __tablename__ = "score"
    __table_args__ = (
        UniqueConstraint("sheet_id", "criterion_code", "phase"),
        CheckConstraint(_in("phase", PHASES), name="phase"),
        ForeignKeyConstraint(
            ["session_id", "criterion_code", "level"],
            ["rubric_level.session_id", "rubric_level.criterion_code", "rubric_level.level"],
        ),
        ForeignKeyConstraint(
            ["sheet_id", "session_id"], ["score_sheet.id", "score_sheet.session_id"]
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[int] = mapped_column(Integer)
    criterion_code: Mapped[str] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[str] = mapped_column(String(8), default="pre")
    # Post-discussion revisions and approved amendments say why the level changed.
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sheet: Mapped[ScoreSheet] = relationship(back_populates="scores")


class ConflictDeclaration(db.Model):
    """An examiner's declaration of (no) relationship to a candidate."""

    __tablename__ = "conflict_declaration"
    __table_args__ = (
        UniqueConstraint("assignment_id", "examiner_id"),
        CheckConstraint(_in("relationship", RELATIONSHIPS), name="relationship"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"))
    examiner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    relationship: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The tablet's id for the queued declaration: its replay returns the same receipt.
    client_id: Mapped[str | None] = mapped_column(String(64))


class Amendment(db.Model):
    """A requested change to a submitted sheet; applies only when the chair approves."""

    __tablename__ = "amendment"
    __table_args__ = (CheckConstraint(_in("status", AMENDMENT_STATES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheet.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text)
    # JSON: {"before": {code: {"level", "note"}}, "after": {...}}
    change: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sheet: Mapped[ScoreSheet] = relationship()
