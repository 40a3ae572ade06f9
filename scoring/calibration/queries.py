"""Reads for calibration pages and commands: sets, attempts, a session's gate."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import abort
from flask_babel import gettext
from sqlalchemy import select

from ..extensions import db
from ..i18n import page_catalogue
from ..models import (
    CalibrationAttempt,
    CalibrationRequirement,
    CalibrationSet,
    CertificationOverride,
    InterviewSession,
    Panel,
    PanelMember,
    User,
)
from ..paths import data_dir
from ..rubrics import Rubric, check_rubrics, rubric_from_json
from ..shadow.queries import shadow_agreement
from ..workflow.calibration import certification_gap, qualifying_attempt
from .sets import CalibrationError, SetFile, parse_set


def find_rubric(rubric_id: str, version: str) -> Rubric | None:
    """Return the rubric ``rubric_id`` at ``version``: a shipped file or a session's snapshot."""
    for _source, rubric, errors in check_rubrics([data_dir("rubrics")]):
        if rubric is not None and not errors and (rubric.id, rubric.version) == (rubric_id,
                                                                                  version):
            return rubric
    snapshot = db.session.scalar(
        select(InterviewSession.rubric_snapshot).where(
            InterviewSession.rubric_id == rubric_id,
            InterviewSession.rubric_version == version).limit(1))
    return rubric_from_json(snapshot) if snapshot else None


def all_sets() -> list[CalibrationSet]:
    """Return every calibration set, by code."""
    return list(db.session.scalars(select(CalibrationSet).order_by(CalibrationSet.code)))


def set_by_code(code: str) -> CalibrationSet | None:
    """Return the set with ``code`` (or an id given as digits)."""
    found = db.session.scalar(select(CalibrationSet).where(CalibrationSet.code == code))
    if found is None and code.isdigit():
        found = db.session.get(CalibrationSet, int(code))
    return found


def attempts_of(user: User) -> list[CalibrationAttempt]:
    """Return a user's attempts, newest first."""
    return list(db.session.scalars(
        select(CalibrationAttempt).where(CalibrationAttempt.examiner_id == user.id)
        .order_by(CalibrationAttempt.started_at.desc(), CalibrationAttempt.id.desc())))


def own_attempt(user: User, attempt_id: int) -> CalibrationAttempt:
    """Return the user's attempt, or 404 (someone else's attempt is not theirs to see)."""
    attempt = db.get_or_404(CalibrationAttempt, attempt_id)
    if attempt.examiner_id != user.id:
        abort(404)
    return attempt


def case_reference(case) -> dict:
    """Return a case's reference levels and rationales ``{code: {"level", "rationale"}}``."""
    return json.loads(case.reference)


@dataclass(frozen=True)
class GateRow:
    """A person of the session's panels (or any examiner) and where they stand."""

    user: User
    seated: bool
    attempt: CalibrationAttempt | None
    override: CertificationOverride | None
    gap: str | None
    shadow: dict  # agreement with panels as a shadow: evidence an override may cite


def requirement(session: InterviewSession) -> CalibrationRequirement | None:
    """Return the session's requirement (None: no gate)."""
    return db.session.get(CalibrationRequirement, session.id)


def overrides(session: InterviewSession) -> list[CertificationOverride]:
    """Return the session's overrides, oldest first (the minutes list them)."""
    return list(db.session.scalars(
        select(CertificationOverride).where(CertificationOverride.session_id == session.id)
        .order_by(CertificationOverride.created_at, CertificationOverride.id)))


def gate_rows(session: InterviewSession) -> list[GateRow]:
    """Return every active examiner and chair with their certification for ``session``."""
    req = requirement(session)
    seated = set(db.session.scalars(
        select(PanelMember.user_id).join(Panel, Panel.id == PanelMember.panel_id)
        .where(Panel.session_id == session.id)))
    by_user = {o.user_id: o for o in overrides(session)}
    people = db.session.scalars(select(User).where(User.active.is_(True),
                                                   User.role.in_(("examiner", "chair")))
                                .order_by(User.username))
    rows = []
    for user in people:
        attempt = qualifying_attempt(user, req) if req is not None else None
        rows.append(GateRow(user, user.id in seated, attempt, by_user.get(user.id),
                            certification_gap(user, session) if req is not None else None,
                            shadow_agreement(user)))
    return rows


def calibration_set(set_id: int | None) -> CalibrationSet | None:
    """Return the set chosen in a form (0 or None: no set)."""
    return db.session.get(CalibrationSet, set_id) if set_id else None


def read_set_upload(upload, max_bytes: int) -> tuple[SetFile | None, list[str]]:
    """Read an uploaded set file (YAML, no media); return it, or every problem with its line.

    Nothing is written: the caller imports the set only when the list of problems is empty.
    """
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        return None, [gettext("The file is larger than 1 MB.")]
    try:
        parsed = parse_set(data.decode("utf-8-sig"), upload.filename or "set", find_rubric,
                           media_root=None)
    except UnicodeDecodeError:
        return None, [gettext("The file is not UTF-8 text.")]
    except CalibrationError as exc:
        translate = page_catalogue()
        return None, [(gettext("line %(n)s", n=e.line) + ": " if e.line else "")
                      + e.localised(translate) for e in getattr(exc, "all", [exc])]
    if any(c.media for c in parsed.cases):
        return None, [gettext("This set has media files: import it with `scoring "
                              "calibration import FILE` beside its media.")]
    return parsed, []
