"""Database models (SQLAlchemy 2 typed mappings, singular names).

The schema makes impossible states unrepresentable where a database can:

* a score references ``rubric_level(session_id, criterion_code, level)``, a row per criterion
  and level of the session's rubric snapshot, so a level outside the scale or a criterion the
  rubric lacks is refused by a foreign key;
* one sheet per examiner and assignment, one assignment per candidate and session;
* audit rows cannot be updated or deleted (triggers made by the migration).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import LoginSession, PasswordReset, User
from .audit_trail import AuditEvent, AuditHead, AuditPending
from .base import (
    AMENDMENT_STATES,
    ASSIGNMENT_MARKS,
    ASSIGNMENT_STATES,
    DOCUMENT_KINDS,
    JOB_STATES,
    NIK_MESSAGE,
    PHASES,
    RELATIONSHIPS,
    ROLES,
    SCORER_ROLES,
    SESSION_STATES,
    SHEET_STATES,
    UTCDateTime,
    _in,
    is_nik,
    utcnow,
)
from .interviews import (
    Assignment,
    Candidate,
    InterviewSession,
    Panel,
    PanelMember,
    Publication,
    RubricLevel,
)
from .score_sheets import Amendment, ConflictDeclaration, Score, ScoreSheet
from .signed_documents import Document, ExportJob

__all__ = [
    "AMENDMENT_STATES",
    "ASSIGNMENT_MARKS",
    "ASSIGNMENT_STATES",
    "DOCUMENT_KINDS",
    "JOB_STATES",
    "NIK_MESSAGE",
    "PHASES",
    "RELATIONSHIPS",
    "ROLES",
    "SCORER_ROLES",
    "SESSION_STATES",
    "SHEET_STATES",
    "UTCDateTime",
    "is_nik",
    "utcnow",
    "LoginSession",
    "PasswordReset",
    "User",
    "Assignment",
    "Candidate",
    "InterviewSession",
    "Panel",
    "PanelMember",
    "Publication",
    "RubricLevel",
    "Amendment",
    "ConflictDeclaration",
    "Score",
    "ScoreSheet",
    "Document",
    "ExportJob",
    "AuditEvent",
    "AuditHead",
    "AuditPending",
]


OBJECTION_CATEGORIES = ("calculation", "procedure", "conflict", "conduct", "other")


OBJECTION_STATES = ("filed", "assigned", "accepted", "rejected")


class CandidatePolicy(db.Model):
    """A session's settings for candidates: the objection window, whether notes are shared."""

    __tablename__ = "candidate_policy"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("interview_session.id", ondelete="CASCADE"), primary_key=True)
    # The objection (sanggah) window, stored UTC; set and shown in WIB.
    objection_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    objection_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Evidence notes on the candidate's own result page: off unless the session says so.
    share_notes: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CandidateCode(db.Model):
    """A candidate's personal access code for one session; only its keyed hash is stored."""

    __tablename__ = "candidate_code"
    __table_args__ = (Index("ix_candidate_code_assignment_id", "assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A reissued code stops working at once.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Objection(db.Model):
    """A candidate's objection (sanggah) to a session's result: one per candidate and session."""

    __tablename__ = "objection"
    __table_args__ = (
        UniqueConstraint("assignment_id"),
        CheckConstraint(_in("category", OBJECTION_CATEGORIES), name="category"),
        CheckConstraint(_in("status", OBJECTION_STATES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The receipt number, e.g. S1-0003.
    number: Mapped[str] = mapped_column(String(80), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"))
    category: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_type: Mapped[str | None] = mapped_column(String(64))
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the receipt's canonical content (number, time, text, attachment hash).
    receipt_hash: Mapped[str] = mapped_column(String(64))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="filed")
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The publication that carried the correction an accepted objection led to.
    correction_number: Mapped[int | None] = mapped_column(Integer)

    assignment: Mapped[Assignment] = relationship()
    responder: Mapped[User | None] = relationship()


# ---- calibration and shadow (issue 15) ----
SHADOW_STATES = ("draft", "submitted", "recused")


class CalibrationSet(db.Model):
    """Practice cases for one rubric with the expert panel's reference levels."""

    __tablename__ = "calibration_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    rubric_id: Mapped[str] = mapped_column(String(100))
    rubric_version: Mapped[str] = mapped_column(String(50))
    rubric_hash: Mapped[str] = mapped_column(String(64))
    rubric_snapshot: Mapped[str] = mapped_column(Text)
    # What an attempt must reach to pass; a session's requirement may ask for more.
    min_exact: Mapped[float] = mapped_column(Float, default=0.6)
    min_adjacent: Mapped[float] = mapped_column(Float, default=0.9)
    max_abs_deviation: Mapped[float] = mapped_column(Float, default=0.5)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cases: Mapped[list[CalibrationCase]] = relationship(
        back_populates="set", order_by="CalibrationCase.position", cascade="all, delete-orphan")


class CalibrationCase(db.Model):
    """One practice case: an answer summary (Markdown), optional media, reference levels."""

    __tablename__ = "calibration_case"
    __table_args__ = (UniqueConstraint("set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("calibration_set.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    # A file name under the instance's calibration media folder (served on the LAN).
    media: Mapped[str | None] = mapped_column(String(300))
    media_sha256: Mapped[str | None] = mapped_column(String(64))
    # JSON: {criterion code: {"level": int, "rationale": str}}
    reference: Mapped[str] = mapped_column(Text)

    set: Mapped[CalibrationSet] = relationship(back_populates="cases")


class CalibrationAttempt(db.Model):
    """One examiner's run through a set; the figures are stored when the last case is in."""

    __tablename__ = "calibration_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("calibration_set.id"))
    examiner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exact: Mapped[float | None] = mapped_column(Float)
    adjacent: Mapped[float | None] = mapped_column(Float)
    mean_deviation: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    set: Mapped[CalibrationSet] = relationship()
    examiner: Mapped[User] = relationship()
    answers: Mapped[list[CalibrationAnswer]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="CalibrationAnswer.id")


class CalibrationAnswer(db.Model):
    """An examiner's levels for one practice case (never a real sheet)."""

    __tablename__ = "calibration_answer"
    __table_args__ = (UniqueConstraint("attempt_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_attempt.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("calibration_case.id"))
    # JSON: {criterion code: {"level": int | None, "note": str}}
    scores: Mapped[str] = mapped_column(Text, default="{}")
    client_seq: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempt: Mapped[CalibrationAttempt] = relationship(back_populates="answers")
    case: Mapped[CalibrationCase] = relationship()


class CalibrationRequirement(db.Model):
    """A session's certification gate: a set, thresholds and how long a pass stays valid."""

    __tablename__ = "calibration_requirement"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("interview_session.id", ondelete="CASCADE"), primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("calibration_set.id"))
    min_exact: Mapped[float] = mapped_column(Float)
    min_adjacent: Mapped[float] = mapped_column(Float)
    max_abs_deviation: Mapped[float] = mapped_column(Float)
    valid_days: Mapped[int] = mapped_column(Integer, default=365)

    set: Mapped[CalibrationSet] = relationship()


class CertificationOverride(db.Model):
    """An administrator's decision to seat an uncertified examiner, with the reason."""

    __tablename__ = "certification_override"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    by: Mapped[User | None] = relationship(foreign_keys=[by_id])


class ShadowSeat(db.Model):
    """A trainee beside a live panel: scores like a member, counts nowhere."""

    __tablename__ = "shadow_seat"
    __table_args__ = (UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    panel: Mapped[Panel] = relationship()
    user: Mapped[User] = relationship()


class ShadowSheet(db.Model):
    """A shadow's own sheet for one candidate, kept apart from the real sheets."""

    __tablename__ = "shadow_sheet"
    __table_args__ = (UniqueConstraint("assignment_id", "examiner_id"),
                      CheckConstraint(_in("status", SHADOW_STATES), name="status"),
                      CheckConstraint(_in("conflict", RELATIONSHIPS), name="conflict"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"))
    examiner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # The declared relationship to the candidate (as ConflictDeclaration.relationship).
    conflict: Mapped[str] = mapped_column(String(16), default="none")
    detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # JSON: {criterion code: {"level": int | None, "note": str}}
    scores: Mapped[str] = mapped_column(Text, default="{}")
    client_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignment: Mapped[Assignment] = relationship()
