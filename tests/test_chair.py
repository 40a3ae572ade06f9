"""The chair's board, candidate page, access, exports and the `scoring export scores` command."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest
from export_helpers import export_rows
from factories import PASSWORD, example_rubric, make_world
from openpyxl import load_workbook

from scoring.chair.queries import board, long_score_rows
from scoring.extensions import db
from scoring.models import Assignment, Panel, User
from scoring.stats import rater_effects
from scoring.workflow import (
    can_see_colleagues,
    close_candidate,
    declare_conflict,
    open_discussion,
    override_final_score,
    revise_score,
    save_draft,
    submit_sheet,
)


def _state(rubric, levels):
    return {code: {"level": lv, "note": "Evidence." if lv in (1, 5) else ""}
            for code, lv in zip(rubric.codes, levels, strict=True)}


def _submit(a, user, rubric, levels):
    declare_conflict(a, user, "none")
    submit_sheet(a, user, client_id="t", seq=1, scores=_state(rubric, levels))


def _login(client, username, password=PASSWORD):
    client.post("/auth/login", data={"username": username, "password": password})


@dataclass
class Ids:
    """Ids of the test world (objects are re-read in each app context)."""

    session: int
    panels: list[int]
    assignments: list[list[int]]
    examiners: list[list[int]]
    admin: int


@pytest.fixture
def world(app):
    """Panel 1: candidate 1 complete with a discrepancy, 2 partly scored, 3 untouched."""
    with app.app_context():
        w = make_world(candidates_per_panel=3)
        chair, ex1, ex2 = w.examiners[0]
        a1, a2, _ = w.assignments[0]
        _submit(a1, chair, w.rubric, [3, 3, 3])
        _submit(a1, ex1, w.rubric, [5, 3, 3])
        _submit(a1, ex2, w.rubric, [2, 3, 4])
        _submit(a2, chair, w.rubric, [1, 1, 1])
        _submit(a2, ex1, w.rubric, [5, 5, 5])
        declare_conflict(a2, ex2, "none")
        save_draft(a2, ex2, _state(w.rubric, [3, 3, 3]), client_id="d", seq=1)
        db.session.commit()
        ids = Ids(w.session.id, [p.id for p in w.panels],
                  [[a.id for a in row] for row in w.assignments],
                  [[u.id for u in row] for row in w.examiners], w.admin.id)
        db.session.remove()
    return ids


def _get(model, ident):
    return db.session.get(model, ident)


def test_board_shows_states_never_scores_until_all_sheets_are_in(app, world):
    w = world
    with app.app_context():
        chair = _get(User, w.examiners[0][0])
        panel = _get(Panel, w.panels[0])
        data = board(panel, chair)
    c1, c2, c3 = data["candidates"]
    assert c1["cells"] == ["submitted"] * 3 and c1["complete"]
    assert c1["discrepancies"] == ["SERVICE"]  # 5 vs 2 on a 1-5 scale, threshold 2
    assert c2["cells"] == ["submitted", "submitted", "draft"] and not c2["complete"]
    assert c2["quorum_met"]  # 2 of 2 submitted, but a required sheet is still a draft
    assert c2["discrepancies"] is None and c2["scores_visible"] is False  # 1 vs 5 stays hidden
    assert c3["cells"] == ["not_started"] * 3 and c3["submitted"] == 0
    text = json.dumps(data)
    assert '"level"' not in text and "Evidence" not in text  # never a score level on the board
    assert data["counts"] == {"candidates": 3, "complete": 1, "discussion": 0, "closed": 0,
                              "flagged": 1}


def test_board_visibility_agrees_with_the_independence_rule(app, world):
    w = world
    with app.app_context():
        panel = _get(Panel, w.panels[0])
        for uid in (w.examiners[0][0], w.admin):
            user = _get(User, uid)
            data = board(panel, user)
            for c, a in zip(data["candidates"], panel.assignments, strict=True):
                if c["scores_visible"]:
                    assert can_see_colleagues(a, user)


def test_recusal_counts_toward_completeness(app, world):
    w = world
    with app.app_context():
        chair, ex1, ex2 = (_get(User, u) for u in w.examiners[0])
        a3 = _get(Assignment, w.assignments[0][2])
        rubric = example_rubric()
        _submit(a3, chair, rubric, [4, 4, 4])
        _submit(a3, ex1, rubric, [4, 3, 4])
        declare_conflict(a3, ex2, "family")
        db.session.commit()
        c3 = board(_get(Panel, w.panels[0]), chair)["candidates"][2]
    assert c3["cells"] == ["submitted", "submitted", "recused"]
    assert c3["complete"] and c3["expected"] == 2 and c3["discrepancies"] == []


def test_live_feedback_equals_rater_effects_once_enough_sheets(app, world):
    w = world
    with app.app_context():
        chair = _get(User, w.examiners[0][0])
        panel = _get(Panel, w.panels[0])
        # candidate 2 still has a draft: its levels are hidden, and feed no figure either
        assert [f["sheets"] for f in board(panel, chair, 2)["feedback"]] == [1, 1, 1]
        ex2, a2 = _get(User, w.examiners[0][2]), _get(Assignment, w.assignments[0][1])
        submit_sheet(a2, ex2, client_id="d", seq=2, scores=_state(example_rubric(), [3, 3, 3]))
        db.session.commit()
        assert all(f["deviation"] is None for f in board(panel, chair, 8)["feedback"])
        feedback = board(panel, chair, 2)["feedback"]
    # the figures over the submitted pre scores of candidates 1 and 2
    x = [[[3, 3, 3], [5, 3, 3], [2, 3, 4]], [[1, 1, 1], [5, 5, 5], [3, 3, 3]]]
    effects = rater_effects(x, (1, 5))
    assert [f["sheets"] for f in feedback] == [2, 2, 2]
    for f, e in zip(feedback, effects, strict=True):
        assert f["deviation"] == pytest.approx(e.deviation)
        assert f["ci_low"] == pytest.approx(e.deviation - 1.959963984540054 * e.se)


def test_chair_pages_access(app, client, world):
    w = world
    pid, aid = w.panels[0], w.assignments[0][0]
    other_pid = w.panels[1]
    sid = w.session
    assert client.get(f"/chair/panels/{pid}/state", headers={"Accept": "application/json"}
                      ).status_code == 401
    _login(client, "ex11")
    for url in (f"/chair/panels/{pid}", f"/chair/panels/{pid}/report",
                f"/chair/sessions/{sid}/report"):
        assert client.get(url).status_code == 403
    client.post("/auth/logout")
    _login(client, "chair1")
    for url in (f"/chair/panels/{pid}", f"/chair/panels/{pid}/state", f"/chair/candidates/{aid}",
                f"/chair/panels/{pid}/report", f"/chair/sessions/{sid}/report",
                f"/chair/panels/{pid}/scores.csv", f"/chair/panels/{pid}/results.xlsx"):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/chair/panels/{other_pid}").status_code == 404
    assert client.get(f"/chair/candidates/{w.assignments[1][0]}").status_code == 404
    assert client.get(f"/chair/panels/{pid}/scores.txt").status_code == 404
    client.post("/auth/logout")
    _login(client, "admin", "admin-password")
    assert client.get(f"/chair/panels/{pid}").status_code == 200  # read-only
    assert client.post(f"/chair/candidates/{aid}/discussion").status_code == 403


def test_board_page_and_json(app, client, world):
    w = world
    _login(client, "chair1")
    html = client.get(f"/chair/panels/{w.panels[0]}").get_data(as_text=True)
    assert 'src="/static/js/board.js"' in html and "<script>" not in html
    assert 'style="' not in html  # CSP: no style attributes
    assert 'data-state-url="/chair/panels/' in html
    state = client.get(f"/chair/panels/{w.panels[0]}/state").get_json()
    assert state["candidates"][0]["discrepancies"] == ["SERVICE"]
    assert state["candidates"][1]["discrepancies"] is None


def test_candidate_page_actions_and_override_marked_everywhere(app, client, world):
    w = world
    aid = w.assignments[0][0]
    _login(client, "chair1")
    page = client.get(f"/chair/candidates/{aid}").get_data(as_text=True)
    assert "Open discussion" in page or "Buka diskusi" in page
    close = {"confirm": "y"}  # closing cannot be undone: the page asks for the box
    assert client.post(f"/chair/candidates/{aid}/close", data=close).status_code == 409
    assert client.post(f"/chair/candidates/{aid}/discussion").status_code == 302
    assert client.post(f"/chair/candidates/{aid}/close", data=close).status_code == 302
    bad = client.post(f"/chair/candidates/{aid}/override", data={"score": "3.9", "reason": ""})
    assert bad.status_code == 400
    ok = client.post(f"/chair/candidates/{aid}/override",
                     data={"score": "3.9", "reason": "Appeal upheld after review."})
    assert ok.status_code == 302
    page = client.get(f"/chair/candidates/{aid}").get_data(as_text=True)
    assert "Appeal upheld after review." in page
    rows = export_rows(client.get(f"/chair/panels/{w.panels[0]}/results.csv"))
    row = next(r for r in rows if r["participant_number"] == "P1-001")
    assert row["final_score"] == "3,9" and row["overridden"] == "ya"  # Indonesian: 3,9
    assert row["override_reason"] == "Appeal upheld after review."
    assert rows[0]["rank"] == "1"
    state = client.get(f"/chair/panels/{w.panels[0]}/state").get_json()
    c1 = state["candidates"][0]
    assert c1["status"] == "closed" and c1["final_score"] == 3.9 and c1["overridden"]


def test_long_exports_keep_pre_and_post(app, client, world, runner, tmp_path):
    w = world
    with app.app_context():
        a1 = _get(Assignment, w.assignments[0][0])
        chair, ex1 = (_get(User, u) for u in w.examiners[0][:2])
        open_discussion(a1, chair)
        revise_score(a1, ex1, "SERVICE", 4, "Discussed.")
        close_candidate(a1, chair)
        override_final_score(a1, chair, 3.5, "Test.")
        db.session.commit()
        rows = long_score_rows(a1.panel.session)
    pre = [r for r in rows if r[4] == "pre"]
    post = [r for r in rows if r[4] == "post"]
    # P1-001's three sheets x three criteria; P1-002 (a draft left) shows only its state
    assert len(pre) == len(post) == 3 * 3
    assert ["P1-001", "ex11", "SERVICE", 5, "pre", ""] in pre
    assert ["P1-001", "ex11", "SERVICE", 4, "post", ""] in post
    assert ["P1-001", "ex12", "SERVICE", 2, "post", ""] in post  # unrevised: the pre score
    assert ["P1-002", "", "", "", "", "waiting for 1 sheet"] in rows
    _login(client, "chair1")
    data = client.get(f"/chair/panels/{w.panels[0]}/scores.csv")
    assert data.headers["Content-Disposition"].startswith("attachment")
    text = data.data.decode("utf-8-sig")
    assert text.splitlines()[0] == "Sesi;S1;Test session;Tanggal;2025-11-28;Panel;Panel 1"
    assert text.splitlines()[1] == "peserta;penguji;kriteria;nilai;fase;keadaan"
    # title, header, scores, P1-002 and P1-003's states
    assert len(text.splitlines()) == 2 + 18 + 2
    book = load_workbook(io.BytesIO(client.get(f"/chair/sessions/{w.session}/scores.xlsx").data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1] if c.value] == ["Sesi", "S1", "Test session", "Tanggal",
                                                     "2025-11-28"]
    assert [c.value for c in sheet[2]] == ["peserta", "penguji", "kriteria", "nilai", "fase",
                                           "keadaan"]
    assert sheet.max_row == 2 + 18 + 2  # Panel 2 is not chair1's: none of its rows
    assert {type(c.value) for c in sheet["D"][2:20]} == {int}  # levels stay numbers
    # the command writes the same file, which `scoring stats` reads
    out = tmp_path / "scores.csv"
    result = runner.invoke(args=["export", "scores", "--session", "S1", "--panel", "Panel 1",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().decode("utf-8-sig") == text
    stats = runner.invoke(args=["stats", str(out), "--json", "--phase", "post"])
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.output)["n_scores"] == 9  # the state rows are skipped
