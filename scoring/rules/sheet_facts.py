"""What every reading of score sheets counts on: the session's rubric, a panel's quorum,
which sheets are finished, and a sheet's effective levels.

Read-only rules: the workflow verbs (the writers), the results and every page read them from
here, so the rules sit below the workflow and nothing here imports it.
"""

from __future__ import annotations

from functools import lru_cache

from ..models import InterviewSession, Panel, ScoreSheet
from ..rubrics import Rubric, rubric_from_json

# A required member's sheet that no longer holds a candidate up.
FINISHED_SHEETS = ("submitted", "recused", "absent")


@lru_cache(maxsize=64)
def _rubric_from_snapshot(rubric_hash: str, snapshot: str) -> Rubric:
    return rubric_from_json(snapshot)


def session_rubric(session: InterviewSession) -> Rubric:
    """Return the immutable rubric snapshot a session is scored against."""
    return _rubric_from_snapshot(session.rubric_hash, session.rubric_snapshot)


def panel_quorum(panel: Panel) -> int:
    """Return the number of submitted sheets a candidate of ``panel`` needs."""
    if panel.quorum is not None:
        return panel.quorum
    return session_rubric(panel.session).quorum


def pre_levels(sheet: ScoreSheet) -> dict[str, int]:
    """Return the sheet's independent (pre-discussion) levels."""
    return {s.criterion_code: s.level for s in sheet.scores if s.phase == "pre"}


def effective_levels(sheet: ScoreSheet) -> dict[str, int]:
    """Return the sheet's levels with post-discussion revisions replacing the originals."""
    levels = pre_levels(sheet)
    levels.update({s.criterion_code: s.level for s in sheet.scores if s.phase == "post"})
    return levels
