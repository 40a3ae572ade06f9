"""Small, realistic worlds for tests: a thin layer over scoring.ops.builders (the demo's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text

from scoring.extensions import db
from scoring.models import Assignment, InterviewSession, Panel, User
from scoring.ops.builders import chaired_panel, publish, seat, sheet_of, shipped_rubric
from scoring.rubrics import Rubric
from scoring.workflow import create_session, create_user, set_session_status

PASSWORD = "password-123"
NOTE = "Concrete example given."

__all__ = ["PASSWORD", "World", "audit_guard_off", "example_rubric", "full_state", "make_world",
           "panel_of", "publish_session", "seat"]


@contextmanager
def audit_guard_off() -> Iterator[None]:
    """Let the block edit the audit trail, as an attacker with database access would: the
    append-only triggers are off inside it (the block commits its edits). On PostgreSQL the
    test database outlives the test (it is truncated, not copied), so the guard is switched on
    again afterwards; on SQLite each test has its own copy, and the triggers stay dropped."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
        yield
        return
    db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
    try:
        yield
    finally:
        db.session.rollback()  # what the block left uncommitted (nothing, when it succeeded)
        db.session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
        db.session.commit()


def example_rubric() -> Rubric:
    """Return the shipped English example rubric."""
    return shipped_rubric("example-en.yaml")


def panel_of(session: InterviewSession, name: str, usernames: list[str], *,
             full_names: list[str] | None = None, quorum: int | None = None) -> Panel:
    """Create accounts (the first a chair, the rest examiners; password :data:`PASSWORD`;
    full names default to the titled usernames) and their panel, chaired by the first."""
    names = full_names or [u.title() for u in usernames]
    members = [create_user(u, n, "chair" if i == 0 else "examiner", PASSWORD)
               for i, (u, n) in enumerate(zip(usernames, names, strict=True))]
    return chaired_panel(session, name, members, quorum=quorum)


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
        panel = chaired_panel(session, f"Panel {p + 1}", members)
        row = [seat(panel, f"P{p + 1}-{c + 1:03d}", f"Candidate {p + 1}.{c + 1}",
                    nik=f"137701010{p}{c:06d}") for c in range(candidates_per_panel)]
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
    return sheet_of(rubric, [level] * len(rubric.codes),
                    note=lambda r, lv: NOTE if r.requires_evidence(lv) else "")


def publish_session(session: InterviewSession, actor: User | None = None) -> None:
    """Settle every candidate (close where the sheets allow it, else mark) and publish."""
    publish(session, actor)
