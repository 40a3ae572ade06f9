"""Builders of example data for the demo, the tests and the benchmarks: one set, verbs only.

Each builder is the few workflow verbs a real session calls, in that order, so what they build
has a real audit trail, real receipts and the real constraints. ``tests/factories.py`` is a thin
layer on top; ``scoring demo`` (ops/demo.py, candidates/demo.py, examiners/demo.py) and the
benchmarks build through these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from sqlalchemy import select

from ..extensions import db
from ..models import Assignment, InterviewSession, Panel, ScoreSheet, User
from ..paths import data_dir
from ..rubrics import Rubric, load_rubric
from ..workflow import (
    assign_candidate,
    close_candidate,
    create_candidate,
    create_panel,
    declare_conflict,
    open_discussion,
    submit_sheet,
)
from ..workflow.audit import RequestInfo
from ..workflow.sheets import Receipt

NOTE_LOW = "Jawaban umum; tidak ada contoh perilaku konkret meski sudah digali."
NOTE_HIGH = "Memberi contoh spesifik (situasi, tindakan, hasil) yang terukur dan relevan."


def shipped_rubric(filename: str) -> Rubric:
    """Load one of the shipped rubrics by its file name."""
    return load_rubric(data_dir("rubrics") / filename)


def demo_note(rubric: Rubric, level: int) -> str:
    """Return the demo's evidence note for ``level`` (empty where the rubric needs none)."""
    if not rubric.requires_evidence(level):
        return ""
    return NOTE_LOW if level == rubric.scale.min else NOTE_HIGH


def sheet_of(rubric: Rubric, levels: Iterable[int],
             note: Callable[[Rubric, int], str] = demo_note) -> dict[str, dict]:
    """Return a sheet state from one level per criterion (the rubric's order), with notes."""
    return {code: {"level": int(level), "note": note(rubric, int(level))}
            for code, level in zip(rubric.codes, levels, strict=True)}


def clipped(rubric: Rubric, values) -> np.ndarray:
    """Round drawn values to whole levels on the rubric's scale."""
    return np.clip(np.rint(values), rubric.scale.min, rubric.scale.max).astype(int)


def chaired_panel(session: InterviewSession, name: str, members: list[User], *,
                  room: str = "", quorum: int | None = None,
                  info: RequestInfo | None = None) -> Panel:
    """Create a panel whose first member is its chair."""
    return create_panel(session, name, members, chair=members[0], quorum=quorum, room=room,
                        info=info)


def seat(panel: Panel, number: str, name: str, *, position_applied: str = "",
         nik: str | None = None, info: RequestInfo | None = None) -> Assignment:
    """Create a candidate and place them last on ``panel``."""
    candidate = create_candidate(number, name, position_applied=position_applied, nik=nik,
                                 info=info)
    return assign_candidate(panel, candidate, info=info)


def score(assignment: Assignment, examiner: User, state: dict, *,
          signature_png: bytes | None = None, info: RequestInfo | None = None) -> Receipt:
    """Declare no conflict and submit ``state`` as the examiner's sheet, as a tablet would."""
    declare_conflict(assignment, examiner, "none", info=info)
    return submit_sheet(assignment, examiner, client_id="demo", seq=1, scores=state,
                        signature_png=signature_png, info=info)


def settle(assignment: Assignment, chair: User, *, info: RequestInfo | None = None) -> None:
    """Open the discussion of a scored candidate and close it at once."""
    open_discussion(assignment, chair, info=info)
    close_candidate(assignment, chair, info=info)


def publish(session: InterviewSession, actor: User | None = None, *,
            info: RequestInfo | None = None) -> None:
    """Settle every candidate (close where the sheets allow it, else mark) and publish."""
    from ..workflow import WorkflowError, set_session_status
    from ..workflow.finality import close_session, mark_candidate

    if session.status == "draft":
        set_session_status(session, "open", info=info)
    for panel in session.panels:
        for a in panel.assignments:
            if a.status not in ("pending", "discussion"):
                continue
            try:
                if a.status == "pending":
                    open_discussion(a, panel.chair, info=info)
                close_candidate(a, panel.chair, info=info)
            except WorkflowError:
                mark_candidate(a, panel.chair, "not_assessable", "Not every sheet is in.",
                               info=info)
    close_session(session, actor, confirm=True, info=info)


def unsubmitted(session: InterviewSession) -> list[tuple[User, Assignment, ScoreSheet | None]]:
    """List each (member, candidate, their sheet or None) of ``session`` not yet submitted."""
    rows = []
    for assignment in db.session.scalars(select(Assignment).where(
            Assignment.session_id == session.id).order_by(Assignment.id)):
        sheets = {s.examiner_id: s for s in assignment.sheets}
        for member in assignment.panel.members:
            sheet = sheets.get(member.user_id)
            if sheet is None or sheet.status != "submitted":
                rows.append((member.user, assignment, sheet))
    return rows
