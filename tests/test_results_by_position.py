"""Issue 13 point 7: results read per position (formasi), as appointments are made."""

from __future__ import annotations

import re

from doc_helpers import submit_panel
from factories import make_world, publish_session

from scoring.extensions import db
from scoring.rules.results import by_position, session_results

POSITIONS = {"P1-001": "Perawat", "P1-002": "Guru", "P1-003": "Guru",
             "P2-001": "Perawat", "P2-002": "Guru", "P2-003": ""}


def _world(app):
    with app.app_context():
        world = make_world(candidates_per_panel=3, status="open")
        for row in world.assignments:
            for a in row:
                a.candidate.position_applied = POSITIONS[a.candidate.participant_number]
        submit_panel(world, 0)
        submit_panel(world, 1)
        publish_session(world.session)
        db.session.commit()
        return world.session.id


def test_ranks_are_counted_within_each_position(app):
    sid = _world(app)
    with app.app_context():
        from scoring.models import InterviewSession

        rows = by_position(session_results(db.session.get(InterviewSession, sid)))
    order = [r.position_applied for r in rows]
    assert order == ["Guru", "Guru", "Guru", "Perawat", "Perawat", ""]
    for position in ("Guru", "Perawat"):
        group = [r for r in rows if r.position_applied == position]
        scores = [r.final_score for r in group]
        assert scores == sorted(scores, reverse=True)
        assert group[0].position_rank == 1


def test_public_ranking_is_grouped_by_position(app, client):
    _world(app)
    html = client.get("/public/S1/results").get_data(as_text=True)
    headings = re.findall(r'<tr class="position-row"><th scope="rowgroup" colspan="\d+">'
                          r"Formasi: ([^<]+)</th></tr>", html)
    assert headings == ["Guru", "Perawat", "(formasi tidak diisi)"]
    ranks = re.findall(r'<tr data-position="([^"]*)">\s*<td class="num">([^<]+)</td>', html)
    assert [p for p, _ in ranks] == ["Guru", "Guru", "Guru", "Perawat", "Perawat", ""]
    assert ranks[0][1] == "1" and ranks[3][1] == "1"  # each position starts at rank 1
