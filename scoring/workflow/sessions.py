"""Interview sessions, panels, candidates and their assignment to panels."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models import (
    NIK_MESSAGE,
    SCORER_ROLES,
    Assignment,
    Candidate,
    InterviewSession,
    Panel,
    PanelMember,
    RubricLevel,
    Score,
    ScoreSheet,
    User,
    is_nik,
)
from ..rubrics import Rubric
from .audit import RequestInfo, record
from .errors import WorkflowError


def create_session(
    code: str,
    name: str,
    held_on: date,
    rubric: Rubric,
    *,
    place: str = "",
    publish_names: bool = False,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> InterviewSession:
    """Create a session in draft state with its own snapshot of ``rubric`` (one audit event)."""
    if db.session.scalar(select(InterviewSession.id).where(InterviewSession.code == code)):
        raise WorkflowError("session_code_taken", _l("Session code %(c)s exists.", c=code))
    check_rubric_identity(rubric)
    session = InterviewSession(code=code, name=name, held_on=held_on, place=place,
                               publish_names=publish_names)
    _apply_rubric(session, rubric)
    db.session.add(session)
    db.session.flush()
    _write_levels(session, rubric)
    record("session.create", actor, session,
           {"code": code, "rubric": rubric.id, "rubric_hash": rubric.content_hash,
            "publish_names": publish_names},
           session_id=session.id, info=info)
    return session


def _apply_rubric(session: InterviewSession, rubric: Rubric) -> None:
    session.rubric_id = rubric.id
    session.rubric_version = rubric.version
    session.rubric_hash = rubric.content_hash
    session.rubric_snapshot = rubric.to_json()


def _write_levels(session: InterviewSession, rubric: Rubric) -> None:
    db.session.add_all(
        RubricLevel(session_id=session.id, criterion_code=c.code, level=level)
        for c in rubric.criteria
        for level in rubric.scale.values
    )


def check_rubric_identity(rubric: Rubric, *, exclude: int | None = None) -> None:
    """Refuse a rubric whose id and version some session already uses with other content.

    The content hash is a rubric's identity: "v2025.2" must mean one set of criteria,
    anchors and weights wherever it appears. ``exclude`` is a session id not to compare with.
    """
    query = select(InterviewSession.rubric_hash, InterviewSession.code).where(
        InterviewSession.rubric_id == rubric.id,
        InterviewSession.rubric_version == rubric.version,
        InterviewSession.rubric_hash != rubric.content_hash)
    if exclude is not None:
        query = query.where(InterviewSession.id != exclude)
    clash = db.session.execute(query.limit(1)).first()
    if clash is not None:
        raise WorkflowError("rubric_conflict", _l(
            "Rubric %(id)s version %(v)s already exists with other content (hash %(old)s, used "
            "by session %(s)s); this file's hash is %(new)s. Give the changed rubric a new "
            "version.", id=rubric.id, v=rubric.version, old=clash[0][:12], s=clash[1],
            new=rubric.content_hash[:12]), 400)


def change_session_rubric(
    session: InterviewSession, rubric: Rubric, *, actor: User | None = None,
    info: RequestInfo | None = None,
) -> None:
    """Replace a session's rubric; refused once any sheet holds a level.

    Declarations alone (sheets without levels) do not lock the rubric: they move to the new
    rubric's hash with it.
    """
    if session.status in ("closed", "correction"):
        raise WorkflowError("session_published", _l(
            "The session's results are published; its rubric can no longer change."))
    if db.session.scalar(select(func.count()).select_from(Score)
                         .where(Score.session_id == session.id)):
        raise WorkflowError(
            "rubric_locked", _l("Score sheets of this session hold levels; its rubric can no "
                                "longer change.")
        )
    check_rubric_identity(rubric, exclude=session.id)
    old = session.rubric_hash
    db.session.execute(delete(RubricLevel).where(RubricLevel.session_id == session.id))
    _apply_rubric(session, rubric)
    _write_levels(session, rubric)
    db.session.execute(update(ScoreSheet).where(ScoreSheet.session_id == session.id)
                       .values(rubric_hash=rubric.content_hash))
    record("session.change_rubric", actor, session, {"rubric_hash": [old, rubric.content_hash]},
           session_id=session.id, info=info)


def set_session_status(
    session: InterviewSession, status: str, *, actor: User | None = None,
    info: RequestInfo | None = None, confirm: bool = False,
) -> None:
    """Move a session between draft and open, or close and publish it (see ``close_session``).

    A published session (closed, or under correction) never changes status here; returning
    an open session to draft and closing it cannot be undone and need ``confirm``.
    """
    if status not in ("draft", "open", "closed"):
        raise WorkflowError("bad_status", _l("Unknown session status %(s)s.", s=status), 400)
    if session.status == status:
        return
    if session.status in ("closed", "correction"):
        raise WorkflowError("session_published", _l(
            "The session's results are published and can no longer change; the administrator "
            "can start a correction."))
    if status == "closed":
        from .finality import close_session

        close_session(session, actor, confirm=confirm, info=info)
        return
    if status == "draft" and not confirm:
        raise WorkflowError("confirm_required", _l(
            "This cannot be undone: tick the confirmation to go ahead."), 400)
    record("session.status", actor, session, {"status": [session.status, status]},
           session_id=session.id, info=info)
    session.status = status


def check_panel_members(members: list[User], quorum: int | None) -> None:
    """Refuse a panel whose members repeat or are not examiners, or whose quorum cannot be met."""
    if quorum is not None and quorum < 1:
        raise WorkflowError("bad_quorum", _l("The quorum must be at least 1."), 400)
    if quorum is not None and quorum > len(members):
        raise WorkflowError("bad_quorum", _l("The quorum cannot exceed the number of members."),
                            400)
    if len({m.id for m in members}) != len(members):
        raise WorkflowError("duplicate_member", _l("A member is listed twice."), 400)
    for user in members:
        if user.role not in SCORER_ROLES:
            raise WorkflowError(
                "not_examiner", _l("%(u)s is not an examiner or chair.", u=user.username), 400
            )


def check_panel_name(session_id: int, name: str, *, exclude: int | None = None) -> None:
    """Refuse a panel name the session already has (``exclude``: the panel being renamed)."""
    query = select(Panel.id).where(Panel.session_id == session_id, Panel.name == name)
    if exclude is not None:
        query = query.where(Panel.id != exclude)
    if db.session.scalar(query):
        raise WorkflowError("panel_name_taken", _l("The session already has a panel %(n)s.",
                                                   n=name))


def create_panel(
    session: InterviewSession,
    name: str,
    members: list[User],
    *,
    chair: User | None = None,
    quorum: int | None = None,
    room: str = "",
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> Panel:
    """Create a panel with its members (in order) and chair; its name is unique in the session."""
    name = name.strip()
    check_panel_name(session.id, name)
    check_panel_members(members, quorum)
    from .calibration import check_certified  # calibration reads sheets, which read sessions

    check_certified(session, members)
    panel = Panel(session=session, name=name, chair=chair, quorum=quorum, room=room)
    panel.members = [PanelMember(user=u, position=i) for i, u in enumerate(members)]
    db.session.add(panel)
    db.session.flush()
    record("panel.create", actor, panel,
           {"name": name, "members": [u.username for u in members],
            "chair": chair.username if chair else None, "quorum": quorum},
           session_id=session.id, info=info)
    return panel


def check_nik(nik: str | None) -> None:
    """Refuse a NIK that is not exactly 16 digits (None: no NIK recorded)."""
    if nik is not None and not is_nik(nik):
        raise WorkflowError("bad_nik", NIK_MESSAGE, 400)


def create_candidate(
    participant_number: str,
    name: str,
    *,
    position_applied: str = "",
    nik: str | None = None,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> Candidate:
    """Create a candidate keyed on the participant number."""
    check_nik(nik)
    if db.session.scalar(
        select(Candidate.id).where(Candidate.participant_number == participant_number)
    ) is not None:
        raise WorkflowError("candidate_exists",
                            _l("Participant number %(n)s exists.", n=participant_number))
    candidate = Candidate(participant_number=participant_number, name=name,
                          position_applied=position_applied, nik=nik)
    db.session.add(candidate)
    db.session.flush()
    record("candidate.create", actor, candidate, {"participant_number": participant_number},
           info=info)
    return candidate


def place_candidates(
    panel: Panel,
    numbers: str,
    *,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> list[Candidate]:
    """Put candidates on ``panel`` by participant number (one a line or comma-separated).

    They are appended in the order listed; a number given twice counts once. An unknown
    number refuses the whole list, naming every unknown one.
    """
    wanted = list(dict.fromkeys(
        n.strip() for n in numbers.replace(",", "\n").splitlines() if n.strip()))
    found = {c.participant_number: c for c in db.session.scalars(
        select(Candidate).where(Candidate.participant_number.in_(wanted)))}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise WorkflowError("unknown_candidates", _l("Unknown participant numbers: %(n)s",
                                                     n=", ".join(missing)), 400)
    for number in wanted:
        assign_candidate(panel, found[number], actor=actor, info=info)
    return [found[n] for n in wanted]


def assign_candidate(
    panel: Panel,
    candidate: Candidate,
    position: int | None = None,
    *,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> Assignment:
    """Place ``candidate`` on ``panel``, at the end of the order unless ``position`` is given."""
    existing = db.session.scalar(
        select(Assignment).where(
            Assignment.session_id == panel.session_id, Assignment.candidate_id == candidate.id
        )
    )
    if existing is not None:
        if existing.panel_id == panel.id and (position is None or existing.position == position):
            return existing
        if existing.sheets:
            raise WorkflowError(
                "assignment_locked",
                _l("Candidate %(n)s already has score sheets on another panel.",
                   n=candidate.participant_number),
            )
        old = (existing.panel_id, existing.position)
        existing.panel_id = panel.id
        existing.position = position if position is not None else _next_position(panel)
        record("assignment.move", actor, existing,
               {"panel_position": [list(old), [panel.id, existing.position]]},
               session_id=panel.session_id, info=info)
        return existing
    assignment = Assignment(
        session_id=panel.session_id, panel_id=panel.id, candidate_id=candidate.id,
        position=position if position is not None else _next_position(panel),
    )
    db.session.add(assignment)
    db.session.flush()
    record("assignment.create", actor, assignment,
           {"candidate": candidate.participant_number, "panel": panel.name,
            "position": assignment.position},
           session_id=panel.session_id, info=info)
    return assignment


def _next_position(panel: Panel) -> int:
    current = db.session.scalar(
        select(func.max(Assignment.position)).where(Assignment.panel_id == panel.id)
    )
    return (current or 0) + 1
