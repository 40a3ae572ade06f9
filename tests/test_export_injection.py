"""Exports are inert: text that a spreadsheet would run as a formula stays text (issue 11.4)."""

from __future__ import annotations

import csv
import io

import pytest
from factories import full_state, make_world
from openpyxl import load_workbook

from scoring import workflow
from scoring.documents.tables import inert_cell, table_bytes
from scoring.extensions import db
from scoring.models import Assignment

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_inert_cell_quotes_formula_starts_and_keeps_numbers():
    for text in HOSTILE:
        assert inert_cell(text) == "'" + text
    assert inert_cell("Budi") == "Budi"
    assert inert_cell(-2.5) == -2.5 and inert_cell(-3) == -3 and inert_cell(None) is None


def test_table_bytes_csv_and_xlsx_are_inert_and_numbers_stay_numbers():
    header = ["name", "score", "delta"]
    rows = [[text, 3.5, -1] for text in HOSTILE]
    text = table_bytes(header, rows, "csv").decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert [r[0] for r in parsed[1:]] == ["'" + t for t in HOSTILE]
    assert [r[2] for r in parsed[1:]] == ["-1"] * len(HOSTILE)
    sheet = load_workbook(io.BytesIO(table_bytes(header, rows, "xlsx"))).active
    for row, expected in zip(sheet.iter_rows(min_row=2), HOSTILE, strict=True):
        assert row[0].data_type == "s" and row[0].value == expected
        assert row[1].data_type == "n" and row[1].value == 3.5
        assert row[2].data_type == "n" and row[2].value == -1


@pytest.fixture
def hostile_world(app, client):
    """A session whose names, positions, panel names and override reasons start with formulas."""
    with app.app_context():
        w = make_world(candidates_per_panel=1, status="open")
        panel = w.panels[0]
        panel.name = "=cmd|'/c calc'!A0"
        assignment = w.assignments[0][0]
        assignment.candidate.name = "@SUM(1+1)*cmd|'/c calc'!A0"
        assignment.candidate.position_applied = "+HYPERLINK(\"http://evil\")"
        for member in panel.members:
            workflow.declare_conflict(assignment, member.user, "none")
            workflow.submit_sheet(assignment, member.user, client_id="t", seq=1,
                                  scores=full_state(w.rubric, 4))
        workflow.close_candidate(assignment, panel.chair)
        workflow.override_final_score(assignment, panel.chair, 3.5, "-1+1 agreed after appeal")
        db.session.commit()
        ids = {"session": w.session.id, "assignment": assignment.id}
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    return ids


def test_results_exports_neutralise_names_positions_panels_and_reasons(app, client,
                                                                         hostile_world):
    sid = hostile_world["session"]
    with app.app_context():
        a = db.session.get(Assignment, hostile_world["assignment"])
        hostile = {a.candidate.name, a.candidate.position_applied, a.panel.name,
                   a.override_reason}
    body = client.get(f"/manage/sessions/{sid}/results.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"), newline=""), delimiter=";"))
    cells = {cell for row in rows for cell in row}
    for text in hostile:
        assert "'" + text in cells and text not in cells
    book = load_workbook(io.BytesIO(client.get(f"/manage/sessions/{sid}/results.xlsx").data))
    found = {}
    for row in book.active.iter_rows(min_row=3):  # a title row, then the header
        for cell in row:
            if cell.value in hostile:
                found[cell.value] = cell.data_type
    assert found == {text: "s" for text in hostile}
    # the scores are still numbers
    final = [c for c in book.active[2] if c.value == "nilai_akhir"][0].column
    assert book.active.cell(row=3, column=final).data_type == "n"
