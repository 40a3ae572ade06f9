"""One-time reset codes for a whole role or panel at once, printed as slips."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import SCORER_ROLES, Panel, PanelMember, User
from .admin import create_password_reset, format_reset_code
from .audit import RequestInfo
from .errors import WorkflowError


@dataclass(frozen=True)
class ResetSlip:
    """A person and their new one-time code (shown once, never stored in clear)."""

    username: str
    full_name: str
    role: str
    code: str  # formatted ABCD-EFGH-JKMN


def reset_targets(*, role: str | None = None, panel: Panel | None = None) -> list[User]:
    """Return the active users of ``role`` (examiner, chair) or the members of ``panel``."""
    if panel is not None:
        query = (select(User).join(PanelMember, PanelMember.user_id == User.id)
                 .where(PanelMember.panel_id == panel.id).order_by(PanelMember.position))
    elif role in SCORER_ROLES:
        query = select(User).where(User.role == role).order_by(User.full_name, User.username)
    else:
        raise WorkflowError("bad_role", _l("Unknown role %(role)s.", role=role or ""), 400)
    return [u for u in db.session.scalars(query) if u.active]


def issue_reset_codes(
    users: list[User], *, actor: User | None = None, info: RequestInfo | None = None
) -> list[ResetSlip]:
    """Issue a one-time code to each of ``users`` (older codes lapse); audited per user.

    The codes are random and only their SHA-256 is stored, so a batch of 30 costs
    milliseconds; the passwords people choose with them are hashed with scrypt as always.
    """
    if not users:
        raise WorkflowError("nobody", _l("Nobody to give a reset code to: no active account "
                                         "matches."), 400)
    return [ResetSlip(u.username, u.full_name, u.role,
                      format_reset_code(create_password_reset(u, actor=actor, info=info)))
            for u in users]
