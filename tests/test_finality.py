"""Issue 10, findings 2, 3, 4 and 6: absence and quorum, frozen results, publication, rubrics."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from factories import PASSWORD, example_rubric, full_state, make_world, panel_of, seat
from sqlalchemy import select

from scoring.documents.context import minutes_context, recap_context
from scoring.extensions import db
from scoring.models import Assignment, AuditEvent, InterviewSession, Publication
from scoring.paths import data_dir
from scoring.public.queries import session_outcome
from scoring.rubrics import load_rubric
from scoring.rules.results import session_results
from scoring.workflow import (
    WorkflowError,
    approve_amendment,
    change_session_rubric,
    close_candidate,
    create_session,
    create_user,
    declare_conflict,
    request_amendment,
    set_session_status,
    submit_sheet,
    update_panel,
    verify_chain,
)
from scoring.workflow.finality import (
    add_substitute,
    close_session,
    delete_session,
    mark_absent,
    mark_candidate,
    open_correction,
    publish_correction,
    reopen_candidate,
)


@pytest.fixture
def world(app):
    with app.app_context():
        yield make_world(candidates_per_panel=2)


def _submit(a, user, level=3):
    if not any(s.examiner_id == user.id for s in a.sheets):
        declare_conflict(a, user, "none")
    submit_sheet(a, user, client_id=f"c-{user.id}-{a.id}", seq=1,
                 scores=full_state(example_rubric(), level))


def _finish(w, a, level=3):
    for user in w.examiners[0]:
        _submit(a, user, level)
    close_candidate(a, w.examiners[0][0])
    db.session.commit()


# Finding 4: three examiners, quorum 3, one recuses.

def test_recusal_below_quorum_is_shown_with_ways_out_and_quorum_is_frozen(app, client, auth):
    with app.app_context():
        w = make_world(candidates_per_panel=1)
        chair, ex1, ex2 = w.examiners[0]
        panel = w.panels[0]
        update_panel(panel, name=panel.name, members=[chair, ex1, ex2], chair=chair, quorum=3,
                     room="")
        a = w.assignments[0][0]
        _submit(a, chair)
        _submit(a, ex1)
        declare_conflict(a, ex2, "family")
        db.session.commit()
        aid = a.id
        with pytest.raises(WorkflowError) as err:
            close_candidate(a, chair)
        assert err.value.code == "below_quorum"
    auth.login("chair1", PASSWORD)
    page = client.get(f"/chair/candidates/{aid}").get_data(as_text=True)
    assert "after all required sheets" not in page and "once every required sheet is in" \
        not in page
    assert "Below quorum" in page or "Di bawah kuorum" in page
    assert f"/chair/candidates/{aid}/substitute" in page
    assert f"/chair/candidates/{aid}/mark" in page
    with app.app_context():
        a = db.session.get(Assignment, aid)
        chair = db.session.get(type(w.admin), a.panel.chair_id)
        sub = create_user("sub1", "Substitute", "examiner", PASSWORD)
        add_substitute(a, chair, sub, "Ex2 is related to the candidate.")
        db.session.commit()
        _submit(a, sub)
        close_candidate(a, chair)
        db.session.commit()
        assert (a.quorum_at_close, a.scored_at_close) == (3, 3)
        panel = a.panel
        update_panel(panel, name=panel.name, members=[m.user for m in panel.members],
                     chair=chair, quorum=2, room="")
        db.session.commit()
        [row] = session_results(a.panel.session, a.panel)
        assert (row.submitted, row.quorum) == (3, 3)
        assert recap_context(a)["quorum"] == 3
        [p] = minutes_context(a.panel.session, a.panel)["panels"]
        assert p["candidates"][0]["quorum"] == 3


def test_mark_absent_counts_quorum_against_members_present(world):
    w = world
    chair, ex1, ex2 = w.examiners[0]
    a = w.assignments[0][0]
    _submit(a, chair)
    _submit(a, ex1)
    with pytest.raises(WorkflowError) as err:
        mark_absent(a, chair, ex1, "Left early.")
    assert err.value.code == "already_submitted"
    with pytest.raises(WorkflowError):
        mark_absent(a, chair, ex2, "  ")
    sheet = mark_absent(a, chair, ex2, "Ill today.")
    db.session.commit()
    assert (sheet.status, sheet.absent_reason) == ("absent", "Ill today.")
    with pytest.raises(WorkflowError) as err:
        declare_conflict(a, ex2, "none")
    assert err.value.code == "marked_absent"
    close_candidate(a, chair)
    db.session.commit()
    assert a.status == "closed" and a.scored_at_close == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sheet.absent"))
    assert json.loads(event.data)["reason"] == "Ill today."


# Finding 2: closed results keep changing.

def test_amendment_cannot_change_a_closed_candidate(world):
    w = world
    chair, ex1, ex2 = w.examiners[0]
    a = w.assignments[0][0]
    for user in (chair, ex1, ex2):
        _submit(a, user)
    db.session.commit()
    sheet = next(s for s in a.sheets if s.examiner_id == ex1.id)
    code = w.rubric.codes[0]
    amendment = request_amendment(sheet, ex1, {code: {"level": 4, "note": ""}}, "Mis-tap.")
    db.session.commit()
    with pytest.raises(WorkflowError) as err:  # a pending amendment blocks closing
        close_candidate(a, chair)
    assert err.value.code == "amendment_pending"
    # The reproduction of the issue: close first (amendment requested before), then approve.
    amendment.status = "rejected"  # not through a verb: only to reach the state in the issue
    db.session.flush()
    close_candidate(a, chair)
    amendment.status = "pending"
    db.session.commit()
    final = a.final_score
    with pytest.raises(WorkflowError) as err:
        approve_amendment(amendment, chair)
    assert err.value.code == "result_closed"
    db.session.rollback()
    with pytest.raises(WorkflowError) as err:
        request_amendment(sheet, ex1, {code: {"level": 5, "note": "x"}}, "Again.")
    assert err.value.code in ("result_closed", "amendment_pending")
    assert a.final_score == final
    [row] = [r for r in session_results(w.session) if r.participant_number == "P1-001"]
    assert row.final_score == final


def test_reopen_needs_reason_and_confirmation_and_is_in_the_minutes(world):
    w = world
    chair = w.examiners[0][0]
    a = w.assignments[0][0]
    _finish(w, a)
    with pytest.raises(WorkflowError) as err:
        reopen_candidate(a, chair, "", confirm=True)
    assert err.value.code == "reason_required"
    with pytest.raises(WorkflowError) as err:
        reopen_candidate(a, chair, "Wrong sheet scanned.")
    assert err.value.code == "confirm_required"
    reopen_candidate(a, chair, "Wrong sheet scanned.", confirm=True)
    db.session.commit()
    assert a.status == "pending" and a.final_score is None and a.quorum_at_close is None
    [p] = minutes_context(w.session, w.panels[0])["panels"]
    assert [r["reason"] for r in p["reopened"]] == ["Wrong sheet scanned."]


# Finding 3 and publication.

def test_session_close_refused_with_the_list_of_unfinished_candidates(world):
    w = world
    _finish(w, w.assignments[0][0])
    with pytest.raises(WorkflowError) as err:
        set_session_status(w.session, "closed", confirm=True)
    assert err.value.code == "unfinished"
    assert err.value.unfinished == ["P1-002", "P2-001", "P2-002"]
    assert w.session.status == "open"


def _close_everything(w):
    _finish(w, w.assignments[0][0], level=4)
    _finish(w, w.assignments[0][1], level=3)
    mark_candidate(w.assignments[1][0], w.examiners[1][0], "withdrawn", "Withdrew by letter.")
    mark_candidate(w.assignments[1][1], w.examiners[1][0], "absent", "Did not come.")
    db.session.commit()


def test_published_session_is_immutable_and_corrections_are_numbered(world, client):
    w = world
    _close_everything(w)
    with pytest.raises(WorkflowError) as err:
        close_session(w.session, w.admin)
    assert err.value.code == "confirm_required"
    close_session(w.session, w.admin, confirm=True)
    db.session.commit()
    rows, _ = session_outcome(w.session)
    assert [(r.participant_number, r.rank, r.status) for r in rows] == [
        ("P1-001", 1, "closed"), ("P1-002", 2, "closed"), ("P2-001", None, "withdrawn"),
        ("P2-002", None, "absent")]
    chair = w.examiners[0][0]
    a = w.assignments[0][1]
    for verb in (lambda: reopen_candidate(a, chair, "x", confirm=True),
                 lambda: mark_candidate(w.assignments[0][0], chair, "absent", "x"),
                 lambda: set_session_status(w.session, "draft", confirm=True),
                 lambda: change_session_rubric(w.session, example_rubric())):
        with pytest.raises(WorkflowError) as err:
            verb()
        assert err.value.code == "session_published"
    open_correction(w.session, w.admin, "Candidate P1-002 was scored on the wrong sheet.",
                    confirm=True)
    reopen_candidate(a, chair, "Correction 1.", confirm=True)
    db.session.commit()
    with pytest.raises(WorkflowError) as err:  # still unfinished
        publish_correction(w.session, w.admin, "P1-002 rescored.", confirm=True)
    assert err.value.code == "unfinished"
    assert [r.final_score for r in session_outcome(w.session)[0]][:2] == [4.0, 3.0]
    mark_candidate(a, chair, "not_assessable", "Recording lost.")
    publish_correction(w.session, w.admin, "P1-002 could not be assessed.", confirm=True)
    db.session.commit()
    numbers = db.session.scalars(select(Publication.number).where(
        Publication.session_id == w.session.id).order_by(Publication.number)).all()
    assert numbers == [1, 2]
    rows, _ = session_outcome(w.session)
    assert [(r.participant_number, r.status) for r in rows][:2] == [
        ("P1-001", "closed"), ("P1-002", "not_assessable")]
    page = client.get(f"/public/{w.session.code}/results").get_data(as_text=True)
    assert "P1-002 could not be assessed." in page
    assert verify_chain().ok


# Finding 6: rubric versions.

def _variant(tmp_path, text_change):
    text = (data_dir("rubrics") / "example-en.yaml").read_text(encoding="utf-8")
    path = tmp_path / "example-en.yaml"
    path.write_text(text_change(text), encoding="utf-8")
    return load_rubric(path)


def test_rubric_identity_and_replacement_before_levels(app, tmp_path):
    with app.app_context():
        rubric = example_rubric()
        admin = create_user("admin", "Admin", "admin", "admin-password")
        session = create_session("R1", "R", dt.date(2026, 1, 5), rubric)
        db.session.commit()
        other = _variant(tmp_path, lambda t: t.replace("quorum: 2", "quorum: 3"))
        assert other.id == rubric.id and other.version == rubric.version
        with pytest.raises(WorkflowError) as err:
            create_session("R2", "R", dt.date(2026, 1, 6), other)
        message = str(err.value.message)
        assert err.value.code == "rubric_conflict"
        assert rubric.content_hash[:12] in message and other.content_hash[:12] in message
        v2 = _variant(tmp_path, lambda t: t.replace('version: "1"', 'version: "2"')
                      .replace("quorum: 2", "quorum: 3"))
        panel = panel_of(session, "P", ["ch", "ex"], full_names=["Chair", "Ex"])
        ex = panel.members[1].user
        a = seat(panel, "C-1", "C")
        set_session_status(session, "open")
        declare_conflict(a, ex, "none")  # a declaration alone does not lock the rubric
        db.session.commit()
        change_session_rubric(session, v2, actor=admin)
        db.session.commit()
        assert session.rubric_hash == v2.content_hash
        assert {s.rubric_hash for s in a.sheets} == {v2.content_hash}
        submit_sheet(a, ex, client_id="x", seq=1, scores=full_state(v2, 3))
        db.session.commit()
        with pytest.raises(WorkflowError) as err:
            change_session_rubric(session, rubric, actor=admin)
        assert err.value.code == "rubric_locked"


def test_draft_session_without_levels_can_be_deleted(app, client, auth):
    with app.app_context():
        w = make_world(candidates_per_panel=1, status="draft")
        sid = w.session.id
        with pytest.raises(WorkflowError) as err:
            delete_session(w.session, w.admin)
        assert err.value.code == "confirm_required"
    auth.login()
    assert client.post(f"/manage/sessions/{sid}/delete", data={}).status_code == 302
    with app.app_context():
        assert db.session.get(InterviewSession, sid) is not None
    client.post(f"/manage/sessions/{sid}/delete", data={"confirm": "y"})
    with app.app_context():
        assert db.session.get(InterviewSession, sid) is None
        assert verify_chain().ok


# Confirmations on the pages.

def test_closing_a_candidate_and_a_session_need_the_box_ticked(app, client, auth):
    with app.app_context():
        w = make_world(candidates_per_panel=1)
        a = w.assignments[0][0]
        for user in w.examiners[0]:
            _submit(a, user)
        db.session.commit()
        aid, sid = a.id, w.session.id
    auth.login("chair1", PASSWORD)
    page = client.get(f"/chair/candidates/{aid}").get_data(as_text=True)
    assert 'name="confirm"' in page
    assert client.post(f"/chair/candidates/{aid}/close", data={}).status_code == 400
    assert client.post(f"/chair/candidates/{aid}/close",
                       data={"confirm": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(Assignment, aid).status == "closed"
    auth.logout()
    auth.login()
    client.post(f"/manage/sessions/{sid}/status/closed", data={})
    with app.app_context():
        assert db.session.get(InterviewSession, sid).status == "open"


# Finding 5: one set of agreement figures for a panel.

def test_public_page_report_and_minutes_print_the_same_agreement(world, client):
    from scoring.chair import agreement_report as agreement
    from scoring.public.queries import panel_agreements

    w = make_world_scored(world)
    panel = w.panels[0]
    report = agreement.panel_report(panel)["overall"]
    [public] = [p for p in panel_agreements(w.session) if p.panel == panel.name]
    [minutes] = minutes_context(w.session, panel)["panels"]
    figures = {
        "public": (public.icc_average, public.icc_single, public.alpha, public.icc2k_band,
                   public.alpha_band),
        "report": (report["icc2k"]["value"], report["icc21"]["value"],
                   report["alpha_interval"], report["icc2k_band"], report["alpha_band"]),
        "minutes": (minutes["agreement"]["icc2k"], minutes["agreement"]["icc21"],
                    minutes["agreement"]["alpha"], minutes["agreement"]["icc2k_band"],
                    minutes["agreement"]["alpha_band"]),
    }
    assert figures["public"][0] is not None
    assert figures["public"] == figures["report"] == figures["minutes"]
    _close_all_but_scored(w)
    close_session(w.session, w.admin, confirm=True)
    db.session.commit()
    page = client.get(f"/public/{w.session.code}/results").get_data(as_text=True)
    assert f"{report['icc2k']['value']:.2f}".replace(".", ",") in page


LEVELS = ((5, 4, 4), (2, 2, 3), (4, 3, 4), (1, 2, 1), (3, 3, 2))


def make_world_scored(w):
    """Score five candidates of panel 1 with fixed, varied levels (discussion where needed)."""
    panel = w.panels[0]
    chair = w.examiners[0][0]
    for n in range(3):
        w.assignments[0].append(seat(panel, f"P1-X{n}", f"Extra {n}"))
    for a, levels in zip(w.assignments[0], LEVELS, strict=True):
        for user, level in zip(w.examiners[0], levels, strict=True):
            declare_conflict(a, user, "none")
            state = {c: {"level": max(1, min(5, level + (i % 2))), "note": "Evidence."}
                     for i, c in enumerate(w.rubric.codes)}
            submit_sheet(a, user, client_id=f"z-{user.id}-{a.id}", seq=1, scores=state)
    # A sixth candidate with two of three sheets in: not finished, so no analysis counts it.
    a = seat(panel, "P1-X9", "Unfinished")
    for user, level in zip(w.examiners[0][:2], (5, 1), strict=True):
        declare_conflict(a, user, "none")
        submit_sheet(a, user, client_id=f"z-{user.id}-{a.id}", seq=1,
                     scores=full_state(w.rubric, level))
    db.session.commit()
    assert chair
    return w


def _close_all_but_scored(w):
    from scoring.workflow import open_discussion

    for a in w.panels[0].assignments:
        if a.candidate.participant_number == "P1-X9":
            mark_candidate(a, w.examiners[0][0], "not_assessable", "Third examiner ill.")
            continue
        open_discussion(a, w.examiners[0][0])
        close_candidate(a, w.examiners[0][0])
    for a in w.assignments[1]:
        mark_candidate(a, w.examiners[1][0], "withdrawn", "Withdrew.")
    db.session.commit()


# No stale states.

def test_flags_and_advice_disappear_after_discussion_and_feedback_minimum(world):
    from scoring.chair.queries import board, feedback_minimum

    w = world
    chair = w.examiners[0][0]
    a = w.assignments[0][0]
    for user, level in zip(w.examiners[0], (1, 3, 4), strict=True):
        _submit(a, user, level)
    db.session.commit()
    before = board(w.panels[0], chair)
    assert before["counts"]["flagged"] == 1 and before["candidates"][0]["discrepancies"]
    from scoring.workflow import open_discussion

    open_discussion(a, chair)
    db.session.commit()
    after = board(w.panels[0], chair)
    assert after["counts"]["flagged"] == 0 and not after["candidates"][0]["discrepancies"]
    assert [feedback_minimum(n) for n in (2, 6, 9, 40)] == [3, 3, 5, 8]
    assert board(w.panels[0], chair)["min_sheets"] == 3  # two candidates: 3, not a fixed 8


def test_the_scoring_page_is_never_kept_by_the_browser(app, client, auth):
    with app.app_context():
        w = make_world(candidates_per_panel=1)
        a = w.assignments[0][0]
        declare_conflict(a, w.examiners[0][1], "none")
        db.session.commit()
        aid = a.id
    auth.login("ex11", PASSWORD)
    response = client.get(f"/examine/{aid}")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]


def test_a_substitute_holds_back_only_the_candidate_they_sit_for(app):
    """A substitute seated for one candidate is no scorer of the panel's other candidates:
    their numbers stay visible to the chair (found when merging absence with visibility)."""
    from doc_helpers import submit_panel
    from factories import make_world

    from scoring.extensions import db
    from scoring.rules.visibility import can_see_assignment
    from scoring.workflow import create_user
    from scoring.workflow.finality import add_substitute

    with app.app_context():
        world = make_world(candidates_per_panel=2)
        submit_panel(world, 0)
        first, second = world.assignments[0]
        chair = first.panel.chair
        assert can_see_assignment(second, chair)
        substitute = create_user("pengganti", "Penguji Pengganti", "examiner", "pengganti-pw-1")
        add_substitute(first, chair, substitute, "Penguji asli sakit.")
        db.session.commit()
        db.session.expire_all()
        assert can_see_assignment(second, chair)  # the substitute holds no sheet for it
        from scoring.workflow import declare_conflict

        declare_conflict(first, substitute, "none")
        db.session.commit()
        db.session.expire_all()
        assert not can_see_assignment(first, chair)  # their sheet for this one must come in
