"""Workflow verbs of a score sheet and its amendments, legal and illegal transitions."""

from __future__ import annotations

import base64
import json

import pytest
from factories import full_state, make_world, publish_session
from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import Amendment, AuditEvent, Score, ScoreSheet
from scoring.workflow import (
    WorkflowError,
    approve_amendment,
    can_see_colleagues,
    declare_conflict,
    decode_signature,
    reject_amendment,
    request_amendment,
    save_draft,
    sheet_state,
    submit_sheet,
    verify_chain,
)

# A 1 x 1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwAD"
                       "hgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture
def world(app):
    with app.app_context():
        yield make_world()


def _error(code, fn, *args, **kwargs) -> WorkflowError:
    with pytest.raises(WorkflowError) as info:
        fn(*args, **kwargs)
    db.session.rollback()
    assert info.value.code == code, info.value.code
    return info.value


def _actions(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == action))


def _submitted(world, examiner, assignment, level=4, client_id="sub-1"):
    declare_conflict(assignment, examiner, "none")
    receipt = submit_sheet(assignment, examiner, client_id=client_id, seq=1,
                           scores=full_state(world.rubric, level))
    db.session.commit()
    return receipt


# --- declare_conflict -------------------------------------------------------------------------

def test_no_conflict_opens_a_draft(world):
    _, ex, _ = world.examiners[0]
    sheet = declare_conflict(world.assignments[0][0], ex, "none")
    db.session.commit()
    assert sheet.status == "draft" and _actions("sheet.declare_no_conflict") == 1


def test_a_relationship_recuses_and_is_audited(world):
    _, ex, _ = world.examiners[0]
    sheet = declare_conflict(world.assignments[0][0], ex, "workplace")
    db.session.commit()
    assert sheet.status == "recused"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sheet.recuse"))
    assert json.loads(event.data)["relationship"] == "workplace"


def test_declaration_rules(world):
    _, ex, _ = world.examiners[0]
    a = world.assignments[0][0]
    _error("bad_relationship", declare_conflict, a, ex, "cousin")
    _error("detail_required", declare_conflict, a, ex, "other", "  ")
    declare_conflict(a, ex, "other", "Neighbour")
    db.session.commit()
    _error("already_declared", declare_conflict, a, ex, "none")


def test_declaring_for_another_panel_is_not_found(world):
    other = world.examiners[1][1]
    err = _error("not_found", declare_conflict, world.assignments[0][0], other, "none")
    assert err.status == 404


def test_closed_session_refuses(world):
    _, ex, _ = world.examiners[0]
    publish_session(world.session)
    db.session.commit()
    _error("session_not_open", declare_conflict, world.assignments[0][0], ex, "none")


# --- save_draft -------------------------------------------------------------------------------

def test_save_draft_applies_newer_and_ignores_stale(world):
    _, ex, _ = world.examiners[0]
    a = world.assignments[0][0]
    declare_conflict(a, ex, "none")
    s3 = {"SERVICE": {"level": 3, "note": ""}}
    s2 = {"SERVICE": {"level": 2, "note": ""}}
    sheet, applied = save_draft(a, ex, s3, client_id="c3", seq=3)
    assert applied
    # Arrives late (sent before seq 3): ignored, last write by client sequence wins.
    sheet, applied = save_draft(a, ex, s2, client_id="c2", seq=2)
    assert not applied
    # The same request retried: ignored too.
    sheet, applied = save_draft(a, ex, s3, client_id="c3", seq=3)
    assert not applied
    db.session.commit()
    assert sheet_state(sheet) == s3 and sheet.client_seq == 3
    assert _actions("sheet.save_draft") == 1


def test_save_draft_removes_cleared_levels_and_skips_no_op_audit(world):
    _, ex, _ = world.examiners[0]
    a = world.assignments[0][0]
    declare_conflict(a, ex, "none")
    save_draft(a, ex, full_state(world.rubric, 3), client_id="a", seq=1)
    sheet, applied = save_draft(a, ex, {"TEAM": {"level": None, "note": "thinking"}},
                                client_id="b", seq=2)
    assert applied and sheet_state(sheet) == {}
    save_draft(a, ex, {"TEAM": {"level": None, "note": "thinking"}}, client_id="c", seq=3)
    db.session.commit()
    assert sheet.client_seq == 3 and _actions("sheet.save_draft") == 2


@pytest.mark.parametrize("scores, code", [
    ({"NOPE": {"level": 1}}, "unknown_criterion"),
    ({"SERVICE": {"level": 9}}, "bad_level"),
    ({"SERVICE": {"level": "3"}}, "bad_level"),
    ({"SERVICE": {"level": True}}, "bad_level"),
    ({"SERVICE": 3}, "bad_scores"),
    ([1, 2], "bad_scores"),
    ({"SERVICE": {"level": 3, "note": "x" * 5001}}, "bad_note"),
])
def test_save_draft_validates_against_the_rubric(world, scores, code):
    _, ex, _ = world.examiners[0]
    a = world.assignments[0][0]
    declare_conflict(a, ex, "none")
    db.session.commit()
    assert _error(code, save_draft, a, ex, scores, client_id="x", seq=1).status == 400


@pytest.mark.parametrize("client_id, seq, code", [
    ("", 1, "bad_client_id"), (None, 1, "bad_client_id"), ("x" * 65, 1, "bad_client_id"),
    ("ok", 0, "bad_seq"), ("ok", "1", "bad_seq"), ("ok", True, "bad_seq"),
    ("ok", 2**31, "bad_seq"),
])
def test_save_draft_needs_client_id_and_seq(world, client_id, seq, code):
    _, ex, _ = world.examiners[0]
    a = world.assignments[0][0]
    declare_conflict(a, ex, "none")
    db.session.commit()
    _error(code, save_draft, a, ex, {}, client_id=client_id, seq=seq)


def test_save_before_declaration_after_recusal_and_for_another_panel(world):
    _, ex, _ = world.examiners[0]
    a = world.assignments[0][0]
    _error("declaration_required", save_draft, a, ex, {}, client_id="x", seq=1)
    declare_conflict(a, ex, "family")
    db.session.commit()
    _error("recused", save_draft, a, ex, {}, client_id="x", seq=1)
    _error("recused", submit_sheet, a, ex, client_id="x", seq=1,
           scores=full_state(world.rubric))
    other = world.examiners[1][1]
    assert _error("not_found", save_draft, a, other, {}, client_id="x", seq=1).status == 404


# --- submit_sheet -----------------------------------------------------------------------------

def test_submit_incomplete_names_what_is_missing(world):
    _, ex, _ = world.examiners[0]
    a = world.assignments[0][0]
    declare_conflict(a, ex, "none")
    db.session.commit()
    scores = {"SERVICE": {"level": 5, "note": ""}, "TEAM": {"level": 3, "note": ""}}
    err = _error("incomplete", submit_sheet, a, ex, client_id="s", seq=1, scores=scores)
    assert err.status == 422
    assert err.missing == [{"criterion": "SERVICE", "what": "note"},
                           {"criterion": "COMMUNICATION", "what": "level"}]


def test_submit_locks_and_a_retry_returns_the_same_receipt(world):
    _, ex, _ = world.examiners[0]
    a = world.assignments[0][0]
    receipt = _submitted(world, ex, a, client_id="sub-1")
    again = submit_sheet(a, ex, client_id="sub-1", seq=1, scores=full_state(world.rubric, 2))
    db.session.commit()
    assert again == receipt and len(receipt.content_hash) == 64
    sheet = db.session.get(ScoreSheet, receipt.sheet_id)
    assert {v["level"] for v in sheet_state(sheet).values()} == {4}
    _error("already_submitted", submit_sheet, a, ex, client_id="sub-2", seq=9,
           scores=full_state(world.rubric))
    _error("already_submitted", save_draft, a, ex, {}, client_id="late", seq=99)
    assert _actions("sheet.submit") == 1
    assert verify_chain().ok


def test_submit_ignores_stale_scores_and_keeps_the_signature(world):
    _, ex, _ = world.examiners[0]
    a = world.assignments[0][0]
    declare_conflict(a, ex, "none")
    save_draft(a, ex, full_state(world.rubric, 3), client_id="d", seq=5)
    receipt = submit_sheet(a, ex, client_id="s", seq=4, scores=full_state(world.rubric, 2),
                           signature_png=PNG)
    db.session.commit()
    sheet = db.session.get(ScoreSheet, receipt.sheet_id)
    assert {v["level"] for v in sheet_state(sheet).values()} == {3}
    assert sheet.signature_png == PNG and sheet.client_seq == 5


def test_decode_signature():
    good = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert decode_signature(good) == PNG
    for bad, code in [(None, "signature_required"), ("data:image/jpeg;base64,AAAA",
                                                    "signature_required"),
                      ("data:image/png;base64,@@@", "bad_signature"),
                      ("data:image/png;base64," + base64.b64encode(b"GIF89a" * 9).decode(),
                       "bad_signature"),
                      ("data:image/png;base64," + "A" * 300_000, "signature_too_large")]:
        with pytest.raises(WorkflowError) as info:
            decode_signature(bad)
        assert info.value.code == code


# --- independence -----------------------------------------------------------------------------

def test_can_see_colleagues(world):
    chair, ex1, ex2 = world.examiners[0]
    a = world.assignments[0][0]
    outsider_chair = world.examiners[1][0]
    assert not can_see_colleagues(a, world.admin)  # administrators too wait for every sheet
    assert not can_see_colleagues(a, ex1)
    assert not can_see_colleagues(a, chair)  # the chair scores too: own sheet first
    assert not can_see_colleagues(a, outsider_chair)
    _submitted(world, ex1, a)
    assert not can_see_colleagues(a, ex1)  # submitted, but discussion not opened
    _submitted(world, chair, a, client_id="chair-sub")
    assert not can_see_colleagues(a, chair)  # ex2 has not submitted yet
    _submitted(world, ex2, a, client_id="ex2-sub")
    assert can_see_colleagues(a, chair) and can_see_colleagues(a, world.admin)
    assert not can_see_colleagues(a, ex1) and not can_see_colleagues(a, outsider_chair)
    a.status = "discussion"
    db.session.commit()
    assert can_see_colleagues(a, ex1)


# --- amendments -------------------------------------------------------------------------------

def _amend(world, examiner, sheet_id, level=2, reason="Tapped the wrong level"):
    return request_amendment(db.session.get(ScoreSheet, sheet_id), examiner,
                             {"TEAM": {"level": level, "note": ""}}, reason)


def test_amend_a_draft_or_someone_elses_sheet_is_refused(world):
    chair, ex1, ex2 = world.examiners[0]
    a = world.assignments[0][0]
    draft = declare_conflict(a, ex1, "none")
    db.session.commit()
    _error("not_submitted", request_amendment, draft, ex1, {}, "why")
    receipt = _submitted(world, ex2, world.assignments[0][1])
    sheet = db.session.get(ScoreSheet, receipt.sheet_id)
    assert _error("not_found", request_amendment, sheet, ex1, {}, "x").status == 404


def test_amendment_request_rules(world):
    _, ex1, _ = world.examiners[0]
    receipt = _submitted(world, ex1, world.assignments[0][0])
    sheet = db.session.get(ScoreSheet, receipt.sheet_id)
    _error("reason_required", request_amendment, sheet, ex1, {"TEAM": {"level": 2}}, " ")
    _error("no_change", request_amendment, sheet, ex1, {"TEAM": {"level": 4, "note": ""}}, "x")
    _error("incomplete", request_amendment, sheet, ex1, {"TEAM": {"level": 5, "note": ""}}, "x")
    _error("bad_level", request_amendment, sheet, ex1, {"TEAM": {"level": 7}}, "x")
    _amend(world, ex1, sheet.id)
    db.session.commit()
    _error("amendment_pending", _amend, world, ex1, sheet.id, 3)


def test_approval_replaces_the_score_and_keeps_both_versions(world):
    chair, ex1, _ = world.examiners[0]
    receipt = _submitted(world, ex1, world.assignments[0][0])
    amendment = _amend(world, ex1, receipt.sheet_id)
    db.session.commit()
    sheet = db.session.get(ScoreSheet, receipt.sheet_id)
    assert sheet_state(sheet)["TEAM"]["level"] == 4  # nothing applies before approval
    _error("not_found", approve_amendment, amendment, ex1)  # not the chair
    approve_amendment(amendment, chair, "Agreed")
    db.session.commit()
    assert amendment.status == "approved" and amendment.decided_by_id == chair.id
    assert json.loads(amendment.change) == {"before": {"TEAM": {"level": 4, "note": ""}},
                                            "after": {"TEAM": {"level": 2, "note": ""}}}
    team = db.session.scalar(select(Score).where(Score.sheet_id == sheet.id,
                                                 Score.criterion_code == "TEAM"))
    assert team.level == 2 and team.phase == "pre"
    assert team.reason == f"amendment {amendment.id}: Tapped the wrong level"
    assert sheet.content_hash != receipt.content_hash
    assert sheet.submitted_at == receipt.submitted_at
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "amendment.approve"))
    data = json.loads(event.data)
    assert data["changes"]["TEAM"] == [{"level": 4, "note": ""}, {"level": 2, "note": ""}]
    assert data["content_hash"] == [receipt.content_hash, sheet.content_hash]
    _error("already_decided", approve_amendment, amendment, chair)
    _error("already_decided", reject_amendment, amendment, chair, "no")
    assert verify_chain().ok


def test_rejection_needs_a_note_and_changes_nothing(world):
    chair, ex1, _ = world.examiners[0]
    receipt = _submitted(world, ex1, world.assignments[0][0])
    amendment = _amend(world, ex1, receipt.sheet_id)
    db.session.commit()
    _error("reason_required", reject_amendment, amendment, chair, "")
    reject_amendment(amendment, chair, "The recording shows level 4.")
    db.session.commit()
    sheet = db.session.get(ScoreSheet, receipt.sheet_id)
    assert amendment.status == "rejected" and sheet_state(sheet)["TEAM"]["level"] == 4
    assert sheet.content_hash == receipt.content_hash
    assert _actions("amendment.reject") == 1


def test_a_chairs_own_amendment_is_decided_by_an_administrator(world):
    chair, _, _ = world.examiners[0]
    receipt = _submitted(world, chair, world.assignments[0][0])
    amendment = _amend(world, chair, receipt.sheet_id)
    db.session.commit()
    _error("not_found", approve_amendment, amendment, chair)
    _error("not_found", approve_amendment, amendment, world.examiners[1][0])
    approve_amendment(amendment, world.admin)
    db.session.commit()
    assert amendment.status == "approved"
    assert db.session.scalar(select(func.count()).select_from(Amendment)) == 1


def test_no_amendment_once_the_result_is_closed(world):
    _, ex1, _ = world.examiners[0]
    a = world.assignments[0][0]
    receipt = _submitted(world, ex1, a)
    a.status = "closed"
    db.session.commit()
    _error("result_closed", _amend, world, ex1, receipt.sheet_id)
