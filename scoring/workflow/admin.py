"""Administration verbs: edit sessions, panels and candidates, order panels, reset passwords."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models import (
    Assignment,
    Candidate,
    InterviewSession,
    Panel,
    PanelMember,
    PasswordReset,
    ScoreSheet,
    User,
    utcnow,
)
from ..rubrics import Rubric
from .audit import RequestInfo, record, record_changes
from .calibration import check_certified
from .errors import WorkflowError
from .logins import clear_lockout, end_all_logins
from .people import check_password_strength, create_user
from .roles import set_role
from .sessions import (
    change_session_rubric,
    check_nik,
    check_panel_members,
    check_panel_name,
)

RESET_HOURS = 24
# No 0/O, 1/I/L: a code read aloud or copied from paper is typed right the first time.
RESET_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RESET_LENGTH = 12  # 31**12 ~ 2**59: not guessable in 24 hours


def edit_session(
    session: InterviewSession,
    *,
    name: str,
    held_on: date,
    place: str = "",
    publish_names: bool = False,
    rubric: Rubric | None = None,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> None:
    """Save the session form: name, date, place, whether public results show names, and a new
    rubric when one is given and differs."""
    record_changes("session.update", actor, session, {
        "name": name.strip(), "held_on": held_on, "place": place.strip(),
        "publish_names": bool(publish_names)}, session_id=session.id, info=info)
    if rubric is not None and rubric.content_hash != session.rubric_hash:
        change_session_rubric(session, rubric, actor=actor, info=info)


def _sheet_holders(panel: Panel) -> set[int]:
    """Return the ids of examiners who have a sheet (any state) on ``panel``."""
    return set(db.session.scalars(
        select(ScoreSheet.examiner_id).join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .where(Assignment.panel_id == panel.id).distinct()))


def update_panel(
    panel: Panel,
    *,
    name: str,
    members: list[User],
    chair: User | None = None,
    quorum: int | None = None,
    room: str = "",
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> None:
    """Change a panel's name, room, members (in order), chair and quorum.

    A member who already has a sheet on the panel cannot be removed: the sheet would lose
    its panel.
    """
    check_panel_members(members, quorum)
    check_certified(panel.session, members, already={m.user_id for m in panel.members})
    wanted = {u.id for u in members}
    kept_out = [m.user for m in panel.members
                if m.user_id not in wanted and m.user_id in _sheet_holders(panel)]
    if kept_out:
        raise WorkflowError("member_has_sheets", _l(
            "%(u)s already has score sheets on this panel and cannot be removed.",
            u=kept_out[0].username))
    name = name.strip()
    if name != panel.name:
        check_panel_name(panel.session_id, name, exclude=panel.id)
    before = _panel_state(panel)
    by_user = {m.user_id: m for m in panel.members}
    new_members = []
    for position, user in enumerate(members):
        member = by_user.get(user.id) or PanelMember(user=user)
        member.position = position
        new_members.append(member)
    panel.members = new_members
    panel.name, panel.room, panel.chair, panel.quorum = name, room.strip(), chair, quorum
    db.session.flush()
    after = _panel_state(panel)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        record("panel.update", actor, panel, changes, session_id=panel.session_id, info=info)


def _panel_state(panel: Panel) -> dict:
    return {"name": panel.name, "room": panel.room, "quorum": panel.quorum,
            "chair": panel.chair.username if panel.chair else None,
            "members": [m.user.username for m in panel.members]}


def order_by_positions(
    panel: Panel,
    positions: dict[int, str],
    *,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> None:
    """Reorder the panel's candidates by the numbers typed beside them (ties keep order).

    ``positions`` maps an assignment id to what was typed ("3", "2,5"); a blank or unreadable
    entry keeps the candidate at its current place.
    """
    current = list(db.session.scalars(
        select(Assignment).where(Assignment.panel_id == panel.id)
        .order_by(Assignment.position, Assignment.id)))
    wanted = []
    for index, assignment in enumerate(current):
        raw = (positions.get(assignment.id) or "").strip()
        try:
            number = float(raw.replace(",", ".")) if raw else float(index + 1)
        except ValueError:
            number = float(index + 1)
        wanted.append((number, index, assignment.id))
    reorder_assignments(panel, [ident for _n, _i, ident in sorted(wanted)], actor=actor,
                        info=info)


def reorder_assignments(
    panel: Panel,
    assignment_ids: list[int],
    *,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> None:
    """Put the panel's candidates in the order given (1, 2, 3 ...); others follow, in order."""
    current = list(db.session.scalars(
        select(Assignment).where(Assignment.panel_id == panel.id)
        .order_by(Assignment.position, Assignment.id)))
    by_id = {a.id: a for a in current}
    unknown = [i for i in assignment_ids if i not in by_id]
    if unknown or len(set(assignment_ids)) != len(assignment_ids):
        raise WorkflowError("bad_order", _l("The order lists a candidate twice or one from "
                                            "another panel."), 400)
    listed = set(assignment_ids)
    ordered = [by_id[i] for i in assignment_ids] + [a for a in current if a.id not in listed]
    before = [a.candidate.participant_number for a in current]
    for position, assignment in enumerate(ordered, start=1):
        assignment.position = position
    after = [a.candidate.participant_number for a in ordered]
    if before != after or any(a.position != p for p, a in enumerate(current, start=1)):
        record("panel.reorder", actor, panel, {"order": after},
               session_id=panel.session_id, info=info)


def remove_assignment(
    assignment: Assignment, *, actor: User | None = None, info: RequestInfo | None = None
) -> None:
    """Take a candidate off a panel; refused once anyone has a sheet for them."""
    if assignment.sheets:
        raise WorkflowError("assignment_locked", _l(
            "Candidate %(n)s already has score sheets.", n=assignment.candidate.participant_number))
    _drop_candidate_codes(assignment)
    record("assignment.remove", actor, assignment,
           {"candidate": assignment.candidate.participant_number,
            "panel": assignment.panel.name},
           session_id=assignment.session_id, info=info)
    db.session.delete(assignment)
    db.session.flush()


def _drop_candidate_codes(assignment: Assignment) -> None:
    """Drop the access codes of a placement being removed; refuse if it holds an objection."""
    from ..models import CandidateCode, Objection

    if db.session.scalar(select(Objection.id).where(Objection.assignment_id == assignment.id)):
        raise WorkflowError("has_objection", _l(
            "Candidate %(n)s has filed an objection.", n=assignment.candidate.participant_number))
    db.session.execute(delete(CandidateCode).where(CandidateCode.assignment_id == assignment.id))


def update_candidate(
    candidate: Candidate,
    *,
    name: str,
    position_applied: str = "",
    nik: str | None = None,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> None:
    """Change a candidate's name, position and NIK (the NIK never enters the audit trail)."""
    check_nik(nik)
    record_changes("candidate.update", actor, candidate, {
        "name": name.strip(), "position_applied": position_applied.strip(), "nik": nik},
        secret={"nik"}, info=info)


def update_user(
    user: User,
    *,
    full_name: str,
    nip: str | None = None,
    email: str | None = None,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> None:
    """Change a user's full name, NIP and e-mail address."""
    record_changes("user.update", actor, user, {
        "full_name": full_name.strip(), "nip": nip or None, "email": email or None}, info=info)


def _code_hash(code: str) -> str:
    return hashlib.sha256(normalise_reset_code(code).encode("ascii", "ignore")).hexdigest()


def normalise_reset_code(code: str) -> str:
    """Return ``code`` upper-cased without spaces and dashes (as people type it)."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def format_reset_code(code: str) -> str:
    """Return ``code`` in groups of four, easier to read aloud: ``ABCD-EFGH-JKMN``."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def create_password_reset(
    user: User,
    *,
    hours: int = RESET_HOURS,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> str:
    """Issue a one-time reset code for ``user`` (only its hash is kept); older codes lapse."""
    if not user.active:
        raise WorkflowError("user_inactive", _l("Activate the account before resetting its "
                                                "password."))
    now = utcnow()
    db.session.execute(update(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
        PasswordReset.expires_at > now).values(expires_at=now))
    code = "".join(secrets.choice(RESET_ALPHABET) for _ in range(RESET_LENGTH))
    reset = PasswordReset(user_id=user.id, code_hash=_code_hash(code),
                          created_by_id=actor.id if actor else None, created_at=now,
                          expires_at=now + timedelta(hours=hours))
    db.session.add(reset)
    db.session.flush()
    record("user.reset_issued", actor, user,
           {"username": user.username, "expires_at": reset.expires_at.isoformat()}, info=info)
    return code


def redeem_password_reset(
    code: str, new_password: str, *, info: RequestInfo | None = None
) -> User:
    """Set a new password with a valid, unused, unexpired code; the code is then spent."""
    reset = db.session.scalar(select(PasswordReset).where(
        PasswordReset.code_hash == _code_hash(code)).with_for_update())
    now = utcnow()
    user = db.session.get(User, reset.user_id) if reset is not None else None
    if reset is None or reset.used_at is not None or reset.expires_at <= now or (
            user is None or not user.active):
        # One answer for unknown, used and expired codes: nothing to learn by probing.
        raise WorkflowError("reset_invalid", _l(
            "This reset code is not valid: it may be mistyped, used or expired. Ask the "
            "administrator for a new one."), 400)
    check_password_strength(new_password)
    user.set_password(new_password)
    reset.used_at = now
    clear_lockout(user)
    end_all_logins(user, "reset")
    record("user.reset_redeemed", user, user, {"username": user.username}, info=info)
    return user


def active_reset_count(user: User) -> int:
    """Return how many unused, unexpired reset codes ``user`` has."""
    return db.session.scalar(select(func.count()).select_from(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
        PasswordReset.expires_at > utcnow())) or 0


def enrol_user(
    username: str,
    full_name: str,
    role: str,
    password: str | None,
    *,
    may_chair: bool = False,
    nip: str | None = None,
    email: str | None = None,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> tuple[User, str | None]:
    """Create an account with its role; without a password, also a one-time reset code.

    Returns the user and the code (None when a password was given): the code is shown once.
    """
    user = create_user(username, full_name, role, password, nip=nip, email=email,
                       actor=actor, info=info)
    set_role(user, role, may_chair=may_chair, actor=actor, info=info)
    code = None if password else create_password_reset(user, actor=actor, info=info)
    return user, code
