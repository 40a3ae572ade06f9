"""Finding 1 of issue 10: exports and documents must not leak scores the board hides.

The demo: ``ketua1`` chairs Panel 1 and scores on it. PRM25-0013 has a colleague's draft;
on PRM25-0015 ``penguji1`` has submitted while ``ketua1`` has not. Neither candidate's
numbers may appear in any export or document, for anyone; ``ketua2`` sees nothing of
Panel 1; the administrator obeys the same "every sheet is in" rule.
"""

from __future__ import annotations

import pytest
from doc_helpers import prepare_signing
from export_helpers import export_rows, read_export
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Assignment, Candidate, Panel, ScoreSheet, User
from scoring.ops.demo import load_demo
from scoring.workflow import declare_conflict, submit_sheet

DRAFT = "PRM25-0013"  # a colleague still holds a draft
UNSUBMITTED_CHAIR = "PRM25-0015"  # penguji1 submitted, ketua1 (who scores) has not
PASSWORDS = {"admin": "admin-demo-2025", "ketua1": "ketua1-demo", "ketua2": "ketua2-demo"}


@pytest.fixture
def demo(app):
    """Load the demo and have penguji1 submit for PRM25-0015 before the chair."""
    prepare_signing(app)
    with app.app_context():
        load_demo()
        assignment = db.session.scalar(select(Assignment).join(Candidate).where(
            Candidate.participant_number == UNSUBMITTED_CHAIR))
        user = db.session.scalar(select(User).where(User.username == "penguji1"))
        declare_conflict(assignment, user, "none")
        rubric_codes = [c for c in _codes(assignment)]
        submit_sheet(assignment, user, client_id="t", seq=1,
                     scores={c: {"level": 2, "note": ""} for c in rubric_codes})
        db.session.commit()
        panel1 = db.session.scalar(select(Panel).where(Panel.name == "Panel 1"))
        sheet = db.session.scalar(select(ScoreSheet).where(
            ScoreSheet.assignment_id == assignment.id, ScoreSheet.examiner_id == user.id))
        chair = db.session.scalar(select(User).where(User.username == "ketua1"))
        draft_sheets = db.session.scalars(select(ScoreSheet.id).join(Assignment).join(Candidate)
                                          .where(Candidate.participant_number == DRAFT,
                                                 ScoreSheet.status == "submitted",
                                                 ScoreSheet.examiner_id != chair.id)).all()
        return {"panel": panel1.id, "session": panel1.session_id, "sheet": sheet.id,
                "draft_sheets": list(draft_sheets)}


def _codes(assignment):
    from scoring.workflow import session_rubric

    return session_rubric(assignment.panel.session).codes


def _login(client, username):
    response = client.post("/auth/login", data={"username": username,
                                                "password": PASSWORDS[username]})
    assert response.status_code == 302, username


def _rows(response) -> list[dict]:
    return export_rows(response)


HIDDEN = (DRAFT, "PRM25-0014", UNSUBMITTED_CHAIR)


def _assert_no_numbers(rows: list[dict], key: str) -> None:
    hidden = [r for r in rows if r[key] in HIDDEN]
    for row in hidden:
        numbers = {k: v for k, v in row.items()
                   if (k.startswith("mean_") or k in ("score", "computed_score", "final_score",
                                                       "rank")) and v not in ("", None)}
        assert not numbers, (row[key], numbers)


def test_chair_who_scores_gets_no_hidden_levels_from_panel_scores(client, demo):
    _login(client, "ketua1")
    rows = _rows(client.get(f"/chair/panels/{demo['panel']}/scores.csv"))
    assert any(r["candidate"] == "PRM25-0001" and r["score"] for r in rows)
    _assert_no_numbers(rows, "candidate")
    states = {r["candidate"]: r["state"] for r in rows if r["candidate"] in HIDDEN}
    # the state in the page's language (Indonesian by default), never a number
    assert states == {DRAFT: "menunggu 1 lembar", "PRM25-0014": "menunggu 1 lembar",
                      UNSUBMITTED_CHAIR: "menunggu 3 lembar"}


def test_chair_gets_state_not_numbers_in_panel_results(client, demo):
    _login(client, "ketua1")
    rows = _rows(client.get(f"/chair/panels/{demo['panel']}/results.csv"))
    _assert_no_numbers(rows, "participant_number")
    by_number = {r["participant_number"]: r for r in rows}
    assert by_number[DRAFT]["status"] == "menunggu 1 lembar"
    assert by_number[UNSUBMITTED_CHAIR]["status"] == "menunggu 3 lembar"
    # every sheet in: the means are shown (a final score only once the chair closes)
    assert any(v for k, v in by_number["PRM25-0001"].items() if k.startswith("mean_"))


def test_chair_session_export_hides_unfinished_candidates(client, demo):
    _login(client, "ketua1")
    rows = _rows(client.get(f"/chair/sessions/{demo['session']}/scores.csv"))
    _assert_no_numbers(rows, "candidate")


def test_other_panels_chair_gets_nothing_of_panel_1(client, demo):
    _login(client, "ketua2")
    for url in (f"/chair/sessions/{demo['session']}/scores.csv",
                f"/chair/sessions/{demo['session']}/results.csv"):
        rows = _rows(client.get(url))
        key = "candidate" if "scores" in url else "participant_number"
        numbers = {int(r[key].split("-")[1]) for r in rows}
        assert numbers and all(n > 20 for n in numbers), url  # Panel 1 holds 0001-0020


def test_administrator_waits_for_every_sheet(client, demo):
    _login(client, "admin")
    _assert_no_numbers(_rows(client.get(f"/chair/panels/{demo['panel']}/scores.csv")),
                       "candidate")
    _assert_no_numbers(_rows(client.get(f"/chair/sessions/{demo['session']}/results.csv")),
                       "participant_number")
    _assert_no_numbers(_rows(client.get(f"/manage/sessions/{demo['session']}/results.csv")),
                       "participant_number")


def test_sheet_pdf_of_an_unfinished_candidate_is_refused(client, demo):
    _login(client, "ketua1")
    assert client.get(f"/documents/sheet/{demo['sheet']}.pdf").status_code == 404
    for sheet_id in demo["draft_sheets"]:
        assert client.get(f"/documents/sheet/{sheet_id}.pdf").status_code == 404
    client.post("/auth/logout")
    _login(client, "admin")
    assert client.get(f"/documents/sheet/{demo['sheet']}.pdf").status_code == 404


def test_examiner_still_gets_their_own_sheet_pdf(app, client, demo):
    client.post("/auth/login", data={"username": "penguji1", "password": "penguji1-demo"})
    response = client.get(f"/documents/sheet/{demo['sheet']}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def _cli_rows(runner, *args) -> list[dict]:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return read_export(result.stdout)[2]


def test_cli_exports_obey_the_rule_with_as_user(runner, demo):
    from scoring.ops.demo import DEMO_CODE

    rows = _cli_rows(runner, "export", "scores", "--session", DEMO_CODE)
    _assert_no_numbers(rows, "candidate")
    assert any(r["candidate"] == "PRM25-0001" and r["score"] for r in rows)
    rows = _cli_rows(runner, "export", "scores", "--session", DEMO_CODE, "--as", "ketua2")
    assert rows and all(int(r["candidate"].split("-")[1]) > 20 for r in rows)
    rows = _cli_rows(runner, "export", "results", "--session", DEMO_CODE, "--as", "ketua1")
    _assert_no_numbers(rows, "participant_number")
    assert {int(r["participant_number"].split("-")[1]) for r in rows} == set(range(1, 21))
    result = runner.invoke(args=["report", "--session", DEMO_CODE, "--json", "--as", "ketua2"])
    assert result.exit_code == 0, result.output
    import json

    panels = {p["panel"]["name"]: p for p in json.loads(result.stdout)["panels"]}
    assert panels["Panel 1"]["n_candidates"] == 0 and panels["Panel 2"]["n_candidates"] > 0
    bad = runner.invoke(args=["export", "scores", "--session", DEMO_CODE, "--as", "nobody"])
    assert bad.exit_code != 0 and "no user named 'nobody'" in bad.output


def test_sheet_zip_holds_only_sheets_the_requester_may_see(app, demo):
    from scoring.rules.visibility import ADMIN
    from scoring.workflow.document_export import export_sheet_ids

    with app.app_context():
        session = db.session.get(Panel, demo["panel"]).session
        users = {u.username: u for u in db.session.scalars(select(User))}
        hidden = set(demo["draft_sheets"]) | {demo["sheet"]}
        admin = set(export_sheet_ids(session, None, ADMIN))
        assert admin and not admin & hidden
        own = set(export_sheet_ids(session, None, users["penguji1"]))
        assert demo["sheet"] in own
        panel1 = {s.id for a in db.session.get(Panel, demo["panel"]).assignments
                  for s in a.sheets}
        assert not set(export_sheet_ids(session, None, users["ketua2"])) & panel1
