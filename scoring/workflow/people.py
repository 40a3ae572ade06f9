"""Users: create, change password, deactivate."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import ROLES, User
from .audit import RequestInfo, record
from .errors import WorkflowError
from .logins import end_all_logins

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
MIN_PASSWORD = 8


def check_password_strength(password: str) -> None:
    """Refuse passwords shorter than MIN_PASSWORD characters."""
    if len(password or "") < MIN_PASSWORD:
        raise WorkflowError(
            "weak_password",
            _l("The password must have at least %(n)d characters.", n=MIN_PASSWORD),
            400,
        )


def create_user(
    username: str,
    full_name: str,
    role: str,
    password: str | None = None,
    *,
    nip: str | None = None,
    email: str | None = None,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> User:
    """Create a user with ``role``; the password may be set later."""
    if not USERNAME.match(username or ""):
        raise WorkflowError(
            "bad_username",
            _l("A username has 2-64 letters, digits, dots, dashes or underscores."),
            400,
        )
    if role not in ROLES:
        raise WorkflowError("bad_role", _l("Unknown role %(role)s.", role=role), 400)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise WorkflowError("username_taken", _l("The username %(u)s is taken.", u=username))
    user = User(username=username, full_name=full_name.strip(), role=role, nip=nip, email=email)
    if password is not None:
        check_password_strength(password)
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.create", actor, user, {"username": username, "role": role}, info=info)
    return user


def set_password(
    user: User, password: str, *, actor: User | None = None, info: RequestInfo | None = None
) -> None:
    """Replace ``user``'s password."""
    check_password_strength(password)
    user.set_password(password)
    end_all_logins(user, "password")
    record("user.set_password", actor, user, {"username": user.username}, info=info)


def set_active(
    user: User, active: bool, *, actor: User | None = None, info: RequestInfo | None = None
) -> None:
    """Activate or deactivate ``user``."""
    if user.active != active:
        record("user.set_active", actor, user, {"active": [user.active, active]}, info=info)
        user.active = active
        if not active:
            end_all_logins(user, "deactivated")
