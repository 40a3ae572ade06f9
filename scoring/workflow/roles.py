"""People's roles change: an examiner becomes a chair, or may chair, in the same account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import ROLES, Panel, PanelMember, User
from .audit import RequestInfo, record
from .errors import WorkflowError


def set_role(
    user: User,
    role: str,
    *,
    may_chair: bool = False,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> None:
    """Change ``user``'s role and whether an examiner may also chair (audited).

    Refused when it would leave a panel with a chair who may not chair, a panel member who
    cannot score, or the acting administrator without administration.
    """
    if role not in ROLES:
        raise WorkflowError("bad_role", _l("Unknown role %(role)s.", role=role), 400)
    may_chair = bool(may_chair) and role == "examiner"
    if actor is not None and actor.id == user.id and role != user.role:
        raise WorkflowError("own_role", _l("You cannot change your own role."), 400)
    can_chair = role == "chair" or may_chair
    chaired = db.session.scalars(select(Panel).where(Panel.chair_id == user.id)
                                 .order_by(Panel.name)).all()
    if chaired and not can_chair:
        raise WorkflowError("chairs_panel", _l(
            "%(u)s chairs panel %(p)s: choose another chair for it first.",
            u=user.username, p=chaired[0].name), 409)
    if role == "admin" and db.session.scalar(
            select(PanelMember.id).where(PanelMember.user_id == user.id).limit(1)):
        raise WorkflowError("member_admin", _l(
            "%(u)s sits on a panel: an administrator cannot score. Take them off the panel "
            "first.", u=user.username), 409)
    changes = {k: [getattr(user, k), v] for k, v in (("role", role), ("may_chair", may_chair))
               if getattr(user, k) != v}
    if not changes:
        return
    user.role, user.may_chair = role, may_chair
    record("user.set_role", actor, user, changes, info=info)
