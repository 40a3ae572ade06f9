"""Database models (SQLAlchemy 2 typed mappings, singular names).

The schema makes impossible states unrepresentable where a database can:

* a score references ``rubric_level(session_id, criterion_code, level)``, a row per criterion
  and level of the session's rubric snapshot, so a level outside the scale or a criterion the
  rubric lacks is refused by a foreign key;
* one sheet per examiner and assignment, one assignment per candidate and session;
* audit rows cannot be updated or deleted (triggers made by the migration).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db

ROLES = ("admin", "chair", "examiner")
# A candidate's NIK (national identity number): exactly 16 ASCII digits.
NIK_MESSAGE = _l("A NIK has exactly 16 digits.")


def is_nik(value: str) -> bool:
    """Return whether ``value`` is a well-formed NIK (exactly 16 ASCII digits)."""
    return re.fullmatch(r"[0-9]{16}", value) is not None


# Who scores candidates: the roles that sit on panels (a chair may score too).
SCORER_ROLES = ("examiner", "chair")
# "correction": a published session reopened by the administrator for an audited correction.
SESSION_STATES = ("draft", "open", "closed", "correction")
SHEET_STATES = ("draft", "submitted", "recused", "absent")
# Marked out of the ranking by the chair, each with a reason.
ASSIGNMENT_MARKS = ("absent", "withdrawn", "not_assessable")
ASSIGNMENT_STATES = ("pending", "discussion", "closed", *ASSIGNMENT_MARKS)
RELATIONSHIPS = ("none", "family", "workplace", "acquaintance", "other")
PHASES = ("pre", "post")
AMENDMENT_STATES = ("pending", "approved", "rejected")


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(db.TypeDecorator):
    """A datetime stored as naive UTC and always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class User(UserMixin, db.Model):
    """A person who logs in: administrator, panel chair or examiner."""

    __tablename__ = "user"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    nip: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # An examiner who may also chair a panel: one account for both (chairs always may).
    may_chair: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Failed logins before this moment no longer count (a redeemed reset code, an unlock).
    lockout_cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The login this user object was loaded for (not a column): Flask-Login's get_id().
    login_token = None

    def get_id(self) -> str | None:  # Flask-Login: the cookie names the login, not the user
        """Return this login's token, which the session and remember cookies carry."""
        return self.login_token

    def has_role(self, role: str) -> bool:
        """Return whether the user acts as ``role``; an examiner who may chair acts as chair."""
        return self.role == role or (role == "chair" and self.role == "examiner"
                                     and bool(self.may_chair))

    @property
    def can_chair(self) -> bool:
        """Return whether the user may be chosen as a panel's chair."""
        return self.has_role("chair")

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash of ``password``."""
        method = "scrypt"
        if has_app_context():  # tests use a cheap method; production keeps scrypt
            method = current_app.config.get("PASSWORD_HASH_METHOD", method)
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` matches the stored hash."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class InterviewSession(db.Model):
    """One interview session: date, place, the rubric snapshot every sheet is scored against."""

    __tablename__ = "interview_session"
    __table_args__ = (CheckConstraint(_in("status", SESSION_STATES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    rubric_id: Mapped[str] = mapped_column(String(100))
    rubric_version: Mapped[str] = mapped_column(String(50))
    rubric_hash: Mapped[str] = mapped_column(String(64))
    rubric_snapshot: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    publish_names: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    panels: Mapped[list[Panel]] = relationship(
        back_populates="session", order_by="Panel.name", cascade="all, delete-orphan"
    )


class RubricLevel(db.Model):
    """An allowed (criterion, level) pair of a session's rubric; scores reference it."""

    __tablename__ = "rubric_level"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("interview_session.id", ondelete="CASCADE"), primary_key=True
    )
    criterion_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class Panel(db.Model):
    """A panel of examiners in a session, with its chair and quorum."""

    __tablename__ = "panel"
    __table_args__ = (
        UniqueConstraint("session_id", "name"),
        UniqueConstraint("id", "session_id"),
        CheckConstraint("quorum IS NULL OR quorum >= 1", name="quorum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id"))
    name: Mapped[str] = mapped_column(String(100))
    room: Mapped[str] = mapped_column(String(100), default="")
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # None: the rubric's quorum applies.
    quorum: Mapped[int | None] = mapped_column(Integer)

    session: Mapped[InterviewSession] = relationship(back_populates="panels")
    chair: Mapped[User | None] = relationship()
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="panel", order_by="PanelMember.position", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="panel", order_by="Assignment.position"
    )


class PanelMember(db.Model):
    """An examiner sitting on a panel; ``required`` members count for the quorum."""

    __tablename__ = "panel_member"
    __table_args__ = (UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    required: Mapped[bool] = mapped_column(Boolean, default=True)

    panel: Mapped[Panel] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Candidate(db.Model):
    """A candidate, keyed on the participant number; personal data kept minimal."""

    __tablename__ = "candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_number: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position_applied: Mapped[str] = mapped_column(String(200), default="")
    # National ID number: optional, never shown on public pages.
    nik: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(db.Model):
    """A candidate placed on a panel of a session, in interview order."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("session_id", "candidate_id"),
        UniqueConstraint("id", "session_id"),
        CheckConstraint(_in("status", ASSIGNMENT_STATES), name="status"),
        ForeignKeyConstraint(["panel_id", "session_id"], ["panel.id", "panel.session_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id"))
    panel_id: Mapped[int] = mapped_column(Integer)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    discussion_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_score: Mapped[float | None] = mapped_column(Float)
    override_score: Mapped[float | None] = mapped_column(Float)
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Recorded at close: the quorum in force and the sheets that counted; documents print these.
    quorum_at_close: Mapped[int | None] = mapped_column(Integer)
    scored_at_close: Mapped[int | None] = mapped_column(Integer)
    # Why the candidate is absent, withdrawn or not assessable.
    status_reason: Mapped[str | None] = mapped_column(Text)

    panel: Mapped[Panel] = relationship(back_populates="assignments")
    candidate: Mapped[Candidate] = relationship()
    sheets: Mapped[list[ScoreSheet]] = relationship(back_populates="assignment")


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


class Publication(db.Model):
    """One publication of a session's results; number 1 at close, each correction adds one."""

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("session_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id"))
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # JSON: the public result rows as published; later pages read these, never live rows.
    results: Mapped[str] = mapped_column(Text)


DOCUMENT_KINDS = ("sheet", "recap", "minutes", "criteria", "report", "result")
JOB_STATES = ("queued", "running", "done", "failed")


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
    # What the job makes: "sheets" (a ZIP of signed sheets) or a report PDF
    # (scoring.workflow.report_jobs.REPORT_KINDS), with its options as JSON in ``params``.
    kind: Mapped[str] = mapped_column(String(24), default="sheets", server_default="sheets")
    params: Mapped[str | None] = mapped_column(Text)


class PasswordReset(db.Model):
    """A one-time password-reset code; only its hash is stored."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginSession(db.Model):
    """One login: the hash of the token its cookies carry, its last activity, how it ended."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # logout, idle, password, reset, deactivated
    end_reason: Mapped[str | None] = mapped_column(String(16))
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


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


# ---- candidate codes and objections (issue 16) ----

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
