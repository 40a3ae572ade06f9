"""Results as a viewer may see them: the visibility rule applied to the ranked results.

A candidate whose numbers the viewer may not see keeps its row with its state ("waiting for
2 sheets") in ``status`` and no mean, score or rank; a candidate of a panel the viewer has
nothing to do with is left out. Ranks are recomputed over the visible candidates only, so a
rank never reveals how many hidden candidates scored higher.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from ..extensions import db
from ..models import ASSIGNMENT_MARKS, Assignment, Candidate, InterviewSession, Panel
from .results import CandidateResult, _ranked, session_results
from .visibility import Decision, decisions, state_text

__all__ = ["mask_results", "visible_results"]


def mask_results(results: list[CandidateResult],
                 decided: dict[str, Decision]) -> list[CandidateResult]:
    """Return ``results`` with hidden candidates' numbers removed, re-ranked.

    ``decided`` maps a participant number to the viewer's :class:`Decision`.
    """
    out = []
    for row in results:
        decision = decided.get(row.participant_number)
        if decision is None or not (decision.visible or decision.related):
            continue
        if decision.visible:
            out.append(replace(row, rank=None))
        elif row.status in ASSIGNMENT_MARKS:  # a mark (absent, withdrew) is no number
            out.append(replace(row, criterion_means={}, computed_score=None, final_score=None,
                               overridden=False, override_reason=None, rank=None))
        else:
            out.append(replace(row, status=state_text(decision), criterion_means={},
                               computed_score=None, final_score=None, overridden=False,
                               override_reason=None, rank=None))
    return _ranked(out)


def visible_results(session: InterviewSession, viewer,
                    panel: Panel | None = None) -> list[CandidateResult]:
    """Return the session's (or panel's) ranked results as ``viewer`` may see them."""
    scope = {"panel_ids": [panel.id]} if panel is not None else {"session_id": session.id}
    decided = decisions(viewer, **scope)
    query = (select(Assignment.id, Candidate.participant_number)
             .join(Candidate, Candidate.id == Assignment.candidate_id)
             .where(Assignment.session_id == session.id))
    if panel is not None:
        query = query.where(Assignment.panel_id == panel.id)
    by_number = {number: decided[aid] for aid, number in db.session.execute(query)
                 if aid in decided}
    return mask_results(session_results(session, panel), by_number)
