"""Build small, realistic worlds for tests through the workflow verbs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scoring.extensions import db
from scoring.models import Assignment, InterviewSession, Panel, User
from scoring.paths import data_dir
from scoring.rubrics import Rubric, load_rubric
from scoring.workflow import (
    assign_candidate,
    create_candidate,
    create_panel,
    create_session,
    create_user,
    set_session_status,
)

PASSWORD = "password-123"


def example_rubric() -> Rubric:
    """Return the shipped English example rubric."""
    return load_rubric(data_dir("rubrics") / "example-en.yaml")


@dataclass
class World:
    """A session with two panels of three examiners, a chair each, and candidates."""

    session: InterviewSession
    rubric: Rubric
    admin: User
    panels: list[Panel]
    examiners: list[list[User]]
    assignments: list[list[Assignment]]


def make_world(candidates_per_panel: int = 3, status: str = "open") -> World:
    """Create and commit a world; call inside an app context."""
    rubric = example_rubric()
    admin = create_user("admin", "Admin", "admin", "admin-password")
    session = create_session("S1", "Test session", dt.date(2025, 11, 28), rubric, place="Hall")
    panels, examiners, assignments = [], [], []
    for p in range(2):
        members = [create_user(f"chair{p + 1}", f"Chair {p + 1}", "chair", PASSWORD)]
        members += [
            create_user(f"ex{p + 1}{e}", f"Examiner {p + 1}{e}", "examiner", PASSWORD)
            for e in range(1, 3)
        ]
        panel = create_panel(session, f"Panel {p + 1}", members, chair=members[0])
        row = []
        for c in range(candidates_per_panel):
            cand = create_candidate(f"P{p + 1}-{c + 1:03d}", f"Candidate {p + 1}.{c + 1}",
                                    nik=f"137701010{p}{c:06d}")
            row.append(assign_candidate(panel, cand))
        panels.append(panel)
        examiners.append(members)
        assignments.append(row)
    if status == "closed":
        set_session_status(session, "open")
        publish_session(session)
    else:
        set_session_status(session, status)
    db.session.commit()
    return World(session, rubric, admin, panels, examiners, assignments)


def full_state(rubric: Rubric, level: int | None = None) -> dict:
    """Return a complete sheet state at ``level`` (default: the scale's max), notes included."""
    level = rubric.scale.max if level is None else level
    return {code: {"level": level, "note": "Concrete example given." if
                   rubric.requires_evidence(level) else ""} for code in rubric.codes}


def publish_session(session: InterviewSession, actor: User | None = None) -> None:
    """Settle every candidate (close where the sheets allow it, else mark) and publish."""
    from scoring.workflow import WorkflowError, close_candidate, open_discussion
    from scoring.workflow.finality import close_session, mark_candidate

    if session.status == "draft":
        set_session_status(session, "open")
    for panel in session.panels:
        for a in panel.assignments:
            if a.status not in ("pending", "discussion"):
                continue
            try:
                if a.status == "pending":
                    open_discussion(a, panel.chair)
                close_candidate(a, panel.chair)
            except WorkflowError:
                mark_candidate(a, panel.chair, "not_assessable", "Not every sheet is in.")
    close_session(session, actor, confirm=True)
