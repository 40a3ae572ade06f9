"""Finding 7 of issue 10: /verify shows what the document says, as it was sealed.

A doctored printout with a genuine code is caught by comparing its numbers with the page:
for a sheet each criterion's level and the total, for a recap the final score and its
inputs, for the minutes every candidate's final score. Never a NIK or a name.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from types import SimpleNamespace

import pytest
from doc_helpers import BASE, signed_world
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Panel, User
from scoring.workflow import session_rubric
from scoring.workflow.documents import (
    issue_minutes_document,
    issue_recap_document,
    issue_sheet_document,
    short_code,
)


def _id(value: float) -> str:
    """Format like the Indonesian pages: two decimals, decimal comma."""
    return f"{value:.2f}".replace(".", ",")


def _table(html: str, kind: str) -> list[list[str]]:
    """Return the text cells of the verify content table of ``kind``, row by row."""
    start = html.index(f'data-verify="{kind}"')
    body = html[start:html.index("</table>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


@pytest.fixture
def world(app):
    """Return a helper that loads, inside an app context, a world with panel 1 submitted."""
    with app.app_context():
        signed_world(app, candidates=3)

    def load():
        panels = db.session.scalars(select(Panel).order_by(Panel.id)).all()
        return SimpleNamespace(
            session=panels[0].session, panels=panels,
            assignments=[list(p.assignments) for p in panels],
            examiners=[[db.session.get(User, p.chair_id)] + [m.user for m in p.members
                                                            if m.user_id != p.chair_id]
                       for p in panels])
    return load


def test_sheet_code_shows_every_level_and_the_total_as_sealed(app, client, world):
    with app.app_context():
        world = world()
        sheet = world.assignments[0][0].sheets[1]
        levels = {s.criterion_code: s.level for s in sheet.scores if s.phase == "pre"}
        rubric = session_rubric(sheet.assignment.panel.session)
        total = rubric.final_score({0: levels})
        document = issue_sheet_document(sheet, base_url=BASE)
        db.session.commit()
        token, pdf = document.token, document.pdf
        # The data changes after sealing (as an approved amendment would): the page must
        # still show what the sealed paper says, not today's data.
        first = next(s for s in sheet.scores if s.phase == "pre")
        first.level = rubric.scale.min if first.level != rubric.scale.min else rubric.scale.max
        db.session.commit()
    for url in (f"/verify/{token}", f"/verify/{short_code(token)}"):
        html = client.get(url).get_data(as_text=True)
        rows = _table(html, "sheet")
        shown = {row[0].split()[0]: row[1] for row in rows[1:-1]}
        assert shown == {code: str(level) for code, level in levels.items()}
        assert rows[-1][-1] == _id(total)
    result = client.post("/verify/upload", data={"pdf": (io.BytesIO(pdf), "sheet.pdf")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-status="valid"' in result
    assert _table(result, "sheet")[-1][-1] == _id(total)


def test_recap_code_shows_final_score_and_its_inputs(app, client, world):
    with app.app_context():
        world = world()
        assignment = world.assignments[0][0]
        chair = world.examiners[0][0]
        assignment.status, assignment.closed_at = "closed", dt.datetime.now(dt.UTC)
        assignment.closed_by_id = chair.id
        rubric = session_rubric(assignment.panel.session)
        sheets = {s.examiner_id: {x.criterion_code: x.level for x in s.scores}
                  for s in assignment.sheets}
        assignment.final_score = rubric.final_score(sheets)
        means = rubric.criterion_means(sheets)
        db.session.commit()
        document = issue_recap_document(assignment, base_url=BASE)
        db.session.commit()
        token, final = document.token, assignment.final_score
        name, nik = assignment.candidate.name, assignment.candidate.nik
    html = client.get(f"/verify/{token}").get_data(as_text=True)
    rows = _table(html, "recap")
    assert {r[0].split()[0]: r[2] for r in rows[1:]} == {c: _id(m) for c, m in means.items()}
    assert f"<strong>{_id(final)}</strong>" in html
    assert name not in html and nik not in html


def test_minutes_code_lists_final_scores_without_names(app, client, world):
    with app.app_context():
        world = world()
        chair = world.examiners[0][0]
        expected = {}
        for i, assignment in enumerate(world.assignments[0]):
            assignment.status, assignment.closed_at = "closed", dt.datetime.now(dt.UTC)
            assignment.closed_by_id, assignment.final_score = chair.id, 2.0 + i / 4
            expected[assignment.candidate.participant_number] = _id(2.0 + i / 4)
        db.session.commit()
        document = issue_minutes_document(world.session, world.panels[0], base_url=BASE)
        db.session.commit()
        token = document.token
        private = [a.candidate.name for a in world.assignments[0]] + \
                  [a.candidate.nik for a in world.assignments[0]]
        private += [e.full_name for e in world.examiners[0]]
    html = client.get(f"/verify/{token}").get_data(as_text=True)
    rows = _table(html, "minutes")
    assert {r[0]: r[1] for r in rows[1:]} == expected
    for secret in private:
        assert secret not in html, secret


def test_the_page_of_a_sheet_never_names_anyone(app, client, world):
    with app.app_context():
        world = world()
        sheet = world.assignments[0][0].sheets[0]
        document = issue_sheet_document(sheet, base_url=BASE)
        db.session.commit()
        token = document.token
        private = [sheet.assignment.candidate.name, sheet.assignment.candidate.nik,
                   sheet.examiner.full_name, sheet.examiner.username]
    html = client.get(f"/verify/{token}").get_data(as_text=True)
    for secret in private:
        assert secret not in html, secret
