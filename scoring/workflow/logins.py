"""Logins that end: one database row per login, idle timeout, throttling, lockout and unlock.

Every login gets a random token; the session and remember-me cookies carry it (Flask-Login's
``get_id()``) and the database keeps only its hash, so every app server agrees on which logins
are alive. Logout ends that login; a new password, a redeemed reset code or a deactivation
ends all of the user's logins; a login unused for LOGIN_IDLE_MINUTES ends by itself.

Failed logins are counted from the audit trail (every app server sees the same count) four
ways: one account from one address, one account from anywhere, one address over any account,
and the number of accounts one address failed on (one password sprayed over many accounts).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, distinct, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import read_only, write_transaction
from ..extensions import db
from ..models import AuditEvent, LoginSession, User, utcnow
from .audit import RequestInfo, record

FAILED = "auth.login_failed"
# Touch a login's last activity at most this often (one write a minute, not one a request).
TOUCH_SECONDS = 60


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "ignore")).hexdigest()


def start_login(user: User, info: RequestInfo) -> str:
    """Open a new login for ``user``, record it, and return the token its cookies carry."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(LoginSession(user_id=user.id, token_hash=_token_hash(token), created_at=now,
                                last_seen_at=now, ip=(info.ip or "")[:64],
                                user_agent=(info.user_agent or "")[:300]))
    user.login_token = token
    record("auth.login", user, user, {}, info=info)
    return token


@dataclass(frozen=True)
class LoadedLogin:
    """The outcome of looking a cookie's token up: the user, or why there is none."""

    user: User | None
    ended: str | None = None  # why the login ended, e.g. "idle"


# The login and its user in one query, built once: it runs on every request, and building a
# statement (and its cache key) costs more CPU than running it.
_LOGIN_BY_TOKEN = (
    select(LoginSession.id, LoginSession.ended_at, LoginSession.end_reason,
           LoginSession.last_seen_at, User)
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.token_hash == bindparam("token_hash")))


def load_login(token: str | None) -> LoadedLogin:
    """Return the user of the live login ``token`` names; end it if it has been idle too long.

    Commits when it writes (the last activity, or the end of an idle login), so call it first
    thing in a request, before any other change.
    """
    if not token or len(token) > 100:
        return LoadedLogin(None)
    row = db.session.execute(_LOGIN_BY_TOKEN, {"token_hash": _token_hash(token)}).first()
    if row is None:
        return LoadedLogin(None)
    login_id, ended_at, end_reason, last_seen_at, user = row
    if ended_at is not None:
        return LoadedLogin(None, ended=end_reason)
    if not user.active:
        return LoadedLogin(None)
    now = utcnow()
    idle = timedelta(minutes=current_app.config["LOGIN_IDLE_MINUTES"])
    if now - last_seen_at >= idle:
        with write_transaction():
            _end(select(LoginSession.id).where(LoginSession.id == login_id), "idle", now)
        db.session.commit()
        return LoadedLogin(None, ended="idle")
    if (now - last_seen_at).total_seconds() >= TOUCH_SECONDS:
        # A read-only request reads in a deferred transaction, which SQLite cannot turn into a
        # write once another writer has committed ("database is locked" at once, no wait):
        # the stamp gets a short write transaction of its own.
        with write_transaction():
            db.session.execute(update(LoginSession).where(LoginSession.id == login_id)
                               .values(last_seen_at=now))
        db.session.commit()
    user.login_token = token
    return LoadedLogin(user)


def _end(ids, reason: str, now: datetime) -> None:
    db.session.execute(update(LoginSession).where(
        LoginSession.id.in_(ids), LoginSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason))


def end_login(user: User, info: RequestInfo) -> None:
    """End the login ``user`` was loaded for (logout); the user's other logins go on."""
    if user.login_token:
        _end(select(LoginSession.id).where(
            LoginSession.token_hash == _token_hash(user.login_token)), "logout", utcnow())
    record("auth.logout", user, user, {}, info=info)


def end_all_logins(user: User, reason: str) -> None:
    """End every live login of ``user`` (new password, reset, deactivation)."""
    _end(select(LoginSession.id).where(LoginSession.user_id == user.id), reason, utcnow())


def live_login_count(user: User) -> int:
    """Return how many logins of ``user`` have not ended (idle ones count until their next use)."""
    return db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))) or 0


# ---- throttling -------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a login attempt is refused before its password is checked."""

    code: str  # account_address, account, address, spray
    message: object
    minutes: int


def _since() -> datetime:
    return utcnow() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])


def _account_failures(username: str, since: datetime):
    """Select the recent failures of ``username`` that a reset or unlock has not cleared."""
    cleared = db.session.scalar(select(User.lockout_cleared_at).where(
        User.username == username))
    query = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor == username[:64], AuditEvent.action == FAILED,
        AuditEvent.created_at >= since)
    if cleared is not None:
        query = query.where(AuditEvent.created_at > cleared)
    return query


def login_refusal(username: str, info: RequestInfo) -> Refusal | None:
    """Return why an attempt for ``username`` from ``info.ip`` must wait, or None."""
    config, since, ip = current_app.config, _since(), (info.ip or "")[:64]
    minutes = config["LOGIN_WINDOW_MINUTES"]
    account = _account_failures(username, since)
    if db.session.scalar(account.where(AuditEvent.ip == ip)) >= config["LOGIN_MAX_FAILURES"]:
        return Refusal("account_address", _l(
            "Too many failed attempts for this username. Wait %(m)d minutes and try again, or "
            "ask the administrator for a reset code.", m=minutes), minutes)
    if db.session.scalar(account) >= config["LOGIN_ACCOUNT_MAX_FAILURES"]:
        return Refusal("account", _l(
            "Too many failed attempts for this username. Wait %(m)d minutes and try again, or "
            "ask the administrator for a reset code.", m=minutes), minutes)
    from_ip = select(AuditEvent).where(AuditEvent.action == FAILED, AuditEvent.ip == ip,
                                       AuditEvent.created_at >= since).subquery()
    failures, accounts = db.session.execute(select(
        func.count(), func.count(distinct(from_ip.c.actor))).select_from(from_ip)).one()
    if failures >= config["LOGIN_ADDRESS_MAX_FAILURES"] or (
            accounts >= config["LOGIN_SPRAY_ACCOUNTS"]):
        return Refusal("spray" if accounts >= config["LOGIN_SPRAY_ACCOUNTS"] else "address", _l(
            "Too many failed logins from this device's network address. Wait %(m)d minutes "
            "and try again.", m=minutes), minutes)
    return None


@dataclass(frozen=True)
class LockState:
    """An account's recent failed logins and whether they lock it (from some address)."""

    failures: int
    locked: bool


def lock_state(user: User) -> LockState:
    """Return whether ``user`` is locked out by recent failed logins, for the admin's page."""
    config, since = current_app.config, _since()
    failures = db.session.scalar(_account_failures(user.username, since)) or 0
    by_address = _account_failures(user.username, since).add_columns(AuditEvent.ip) \
        .group_by(AuditEvent.ip)
    worst = max((row[0] for row in db.session.execute(by_address)), default=0)
    locked = (worst >= config["LOGIN_MAX_FAILURES"]
              or failures >= config["LOGIN_ACCOUNT_MAX_FAILURES"])
    return LockState(failures, locked)


def clear_lockout(user: User) -> None:
    """Stop counting ``user``'s failed logins so far (a reset code was redeemed)."""
    user.lockout_cleared_at = utcnow()


def unlock_user(user: User, *, actor: User | None = None, info: RequestInfo | None = None) -> None:
    """Let a locked-out user try again now (an administrator's decision, audited)."""
    state = lock_state(user)
    clear_lockout(user)
    record("user.unlock", actor, user, {"username": user.username, "failures": state.failures},
           info=info)


@cache
def _dummy_hash() -> str:
    """Return a hash to check against when the username is unknown, so a miss costs a hit's time."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def check_login(username: str, password: str, info: RequestInfo):
    """Return ``(refusal, user)`` for a login attempt, read before any write lock is taken.

    The throttle and the password hash (scrypt: tens of milliseconds of CPU) are read and
    computed in a deferred transaction: on SQLite a POST holds the write lock from its first
    statement, and 200 tablets logging in at once would otherwise stall every save.
    """
    db.session.commit()  # end the request's transaction: the reads below run deferred
    with read_only():
        refusal = login_refusal(username, info)
        user = None if refusal is not None else authenticate(username, password)
        db.session.commit()
    return refusal, user


def record_login(user: User | None, username: str, info: RequestInfo) -> None:
    """Start ``user``'s login, or record a failed attempt for ``username``: one short write."""
    with write_transaction():
        if user is not None:
            start_login(user, info)
        else:
            record_failed_login(username, info)


def candidate_login_name(participant_number: str) -> str:
    """Return the name a candidate's login attempts are counted and audited under."""
    # "#" cannot start a staff username: candidate failures never lock a staff account.
    return ("#" + participant_number)[:64]


def record_failed_login(username: str, info: RequestInfo) -> None:
    """Record a failed login attempt (the username as typed, never the password)."""
    record(FAILED, None, None, {"username": username[:64]}, info=info,
           actor_name=username[:64])


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (whatever the reason)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user
