"""The visibility rule as a pure function: every viewer against every stage of a candidate."""

from __future__ import annotations

import pytest

from scoring.rules.visibility import (
    ADMIN,
    ANONYMOUS,
    CandidateFacts,
    Decision,
    Viewer,
    decide,
    may_see,
    may_see_sheet,
    outstanding,
    state_text,
)

CHAIR, A, B, C = 1, 2, 3, 4  # the chair scores on the panel with A, B and C
OTHER_CHAIR, OTHER_EXAMINER = 8, 9
MEMBERS = frozenset({CHAIR, A, B, C})

VIEWERS = {
    "anonymous": ANONYMOUS,
    "cli-admin": ADMIN,
    "admin": Viewer(7, "admin"),
    "chair": Viewer(CHAIR, "chair"),
    "examiner A": Viewer(A, "examiner"),
    "examiner B": Viewer(B, "examiner"),
    "other chair": Viewer(OTHER_CHAIR, "chair"),
    "other examiner": Viewer(OTHER_EXAMINER, "examiner"),
}


def facts(sheets: dict, status: str = "pending", public: bool = False) -> CandidateFacts:
    return CandidateFacts(CHAIR, MEMBERS, sheets, status, public)


ALL_IN = {CHAIR: "submitted", A: "submitted", B: "submitted", C: "recused"}
STAGES = {
    # stage: (facts, viewers who may see the numbers)
    "nobody started": (facts({}), set()),
    "drafts": (facts({A: "draft", B: "draft"}), set()),
    "all but the chair": (facts({A: "submitted", B: "submitted", C: "absent"}), set()),
    "chair submitted, one draft": (facts({CHAIR: "submitted", A: "submitted", B: "draft",
                                          C: "submitted"}), set()),
    "all in": (facts(ALL_IN), {"cli-admin", "admin", "chair"}),
    "discussion": (facts(ALL_IN, "discussion"),
                   {"cli-admin", "admin", "chair", "examiner A", "examiner B"}),
    "closed": (facts(ALL_IN, "closed"),
               {"cli-admin", "admin", "chair", "examiner A", "examiner B"}),
    "public": (facts(ALL_IN, "closed", public=True), set(VIEWERS)),
    "public but a draft left": (facts({**ALL_IN, B: "draft"}, "closed", public=True), set()),
}


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("who", VIEWERS)
def test_rule_table(stage, who):
    candidate, allowed = STAGES[stage]
    assert may_see(VIEWERS[who], candidate) is (who in allowed)


def test_a_recused_or_absent_member_does_not_see_before_the_public():
    candidate = facts({CHAIR: "submitted", A: "submitted", B: "submitted", C: "recused"},
                      "discussion")
    assert not may_see(Viewer(C, "examiner"), candidate)
    assert decide(Viewer(C, "examiner"), candidate).reason == "own_sheet"


def test_waiting_reports_how_many_sheets_are_missing_and_who_may_know():
    candidate = facts({A: "submitted", B: "draft"})
    assert outstanding(candidate) == 3
    assert decide(ADMIN, candidate) == Decision(False, "waiting", 3, True)
    assert decide(Viewer(OTHER_CHAIR, "chair"), candidate).related is False
    assert state_text(decide(ADMIN, candidate)) == "waiting for 3 sheets"
    assert state_text(decide(ADMIN, facts({**ALL_IN, B: "draft"}))) == "waiting for 1 sheet"


def test_states_never_carry_a_number_but_the_count_of_sheets():
    for stage, (candidate, _) in STAGES.items():
        for who, viewer in VIEWERS.items():
            text = state_text(decide(viewer, candidate), "closed")
            digits = [ch for ch in text if ch.isdigit()]
            assert len(digits) <= 1, (stage, who, text)


def test_own_sheet_always_visible_to_its_examiner_only():
    candidate = facts({A: "submitted", B: "draft"})
    assert may_see_sheet(Viewer(A, "examiner"), candidate, A)
    assert not may_see_sheet(Viewer(B, "examiner"), candidate, A)
    assert not may_see_sheet(Viewer(CHAIR, "chair"), candidate, A)
    assert not may_see_sheet(ANONYMOUS, candidate, A)
    assert may_see_sheet(Viewer(CHAIR, "chair"), facts(ALL_IN), A)


def test_a_chair_who_does_not_score_sees_once_the_members_are_in():
    candidate = CandidateFacts(CHAIR, frozenset({A, B}), {A: "submitted", B: "submitted"})
    assert may_see(Viewer(CHAIR, "chair"), candidate)
    assert not may_see(Viewer(A, "examiner"), candidate)
