"""Interview sessions, their rubric levels, panels, candidates and assignments, publications."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import ASSIGNMENT_STATES, SESSION_STATES, UTCDateTime, _in, utcnow

if TYPE_CHECKING:
    from .accounts import User
    from .score_sheets import ScoreSheet


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
