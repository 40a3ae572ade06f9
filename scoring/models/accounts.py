"""People who log in, their logins and password-reset codes."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import ROLES, UTCDateTime, _in, utcnow


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
