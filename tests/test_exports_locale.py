"""Issue 13 point 7: exports the way offices read them.

Results grouped by position (formasi); CSV in the user's language (Indonesian: ";", decimal
comma, Indonesian names; English: ",", decimal point); a first row naming the session and its
date; one charset in Content-Type on every CSV route; numbers stay numbers in XLSX; and what
``scoring export scores`` writes, in either language, ``scoring stats`` reads back.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from doc_helpers import submit_panel
from export_helpers import read_export
from factories import make_world
from openpyxl import load_workbook

from scoring.extensions import db
from scoring.models import Assignment
from scoring.stats import read_long_csv
from scoring.workflow import close_candidate, open_discussion

POSITIONS = {"P1-001": "Perawat", "P1-002": "Guru", "P1-003": "Guru"}


@pytest.fixture
def world(app):
    """One panel scored and closed; positions on its candidates; a name with ; and ,."""
    with app.app_context():
        world = make_world(candidates_per_panel=3, status="open")
        world.session.name = "Wawancara CPNS; Kota Pariaman, 2026"
        for a in world.assignments[0]:
            a.candidate.position_applied = POSITIONS[a.candidate.participant_number]
        submit_panel(world, 0)
        for a in world.assignments[0]:
            a = db.session.get(Assignment, a.id)
            open_discussion(a, world.examiners[0][0])
            close_candidate(a, world.examiners[0][0])
        db.session.commit()
        return {"session": world.session.id, "panel": world.panels[0].id}


def _admin(client, lang="id"):
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    if lang == "en":
        client.post("/lang/en", data={"next": "/"})


def _csv_urls(app, world) -> list[str]:
    """Return every export route with a format, as CSV; fail on one this test does not know."""
    known = {"chair.panel_scores": f"/chair/panels/{world['panel']}/scores.csv",
             "chair.session_scores": f"/chair/sessions/{world['session']}/scores.csv",
             "chair.panel_results": f"/chair/panels/{world['panel']}/results.csv",
             "chair.session_results_export": f"/chair/sessions/{world['session']}/results.csv",
             "manage.session_export": f"/manage/sessions/{world['session']}/results.csv"}
    # Checked in their own worlds: a practice attempt's file (test_calibration.py).
    elsewhere = {"calibration.scores_csv"}
    with_format = {r.endpoint for r in app.url_map.iter_rules()
                   if "fmt" in r.arguments or r.rule.endswith(".csv")}
    assert with_format == set(known) | elsewhere, with_format ^ (set(known) | elsewhere)
    return list(known.values())


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_csv_route_sends_one_charset_a_title_row_and_the_language(app, client, world,
                                                                        lang):
    _admin(client, lang)
    for url in _csv_urls(app, world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", url
        assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
        title, header, rows = read_export(response.data)
        assert title[:5] == (["Sesi", "S1", "Wawancara CPNS; Kota Pariaman, 2026", "Tanggal",
                              "2025-11-28"] if lang == "id" else
                             ["Session", "S1", "Wawancara CPNS; Kota Pariaman, 2026", "Date",
                              "2025-11-28"]), url
        text = response.data.decode("utf-8-sig").splitlines()[1]
        assert text == (";" if lang == "id" else ",").join(header), url
        if "results" in url:
            assert header[:3] == (["formasi", "peringkat_formasi", "nomor_peserta"]
                                  if lang == "id" else
                                  ["position", "position_rank", "participant_number"]), url
        else:
            assert header[:4] == (["peserta", "penguji", "kriteria", "nilai"] if lang == "id"
                                  else ["candidate", "examiner", "criterion", "score"]), url
        assert rows, url


def test_results_are_grouped_by_position_with_decimal_comma_in_indonesian(app, client, world):
    _admin(client)
    _, _, rows = read_export(client.get(f"/manage/sessions/{world['session']}/results.csv").data)
    panel1 = [r for r in rows if r["participant_number"].startswith("P1-")]
    assert [r["position"] for r in panel1] == ["Guru", "Guru", "Perawat"]
    assert [r["position_rank"] for r in panel1] == ["1", "2", "1"]
    assert all("," in r["final_score"] and "." not in r["final_score"] for r in panel1)
    assert {r["overridden"] for r in panel1} == {"tidak"}
    client.post("/lang/en", data={"next": "/"})
    _, _, english = read_export(client.get(
        f"/manage/sessions/{world['session']}/results.csv").data)
    by_number = {r["participant_number"]: r for r in english}
    for row in panel1:
        other = by_number[row["participant_number"]]
        assert other["final_score"] == row["final_score"].replace(",", ".")
        assert other["overridden"] == "no"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_xlsx_numbers_stay_numbers(app, client, world, lang):
    _admin(client, lang)
    book = load_workbook(io.BytesIO(client.get(
        f"/chair/sessions/{world['session']}/results.xlsx").data))
    sheet = book.active
    header = [c.value for c in sheet[2]]
    final = header.index("nilai_akhir" if lang == "id" else "final_score")
    rank = header.index("peringkat_formasi" if lang == "id" else "position_rank")
    scored = [row for row in sheet.iter_rows(min_row=3, values_only=True)
              if row[final] not in (None, "")]
    assert len(scored) == 3
    assert all(isinstance(row[final], float) for row in scored)
    assert all(isinstance(row[rank], int) for row in scored)


def test_the_cli_export_reads_back_in_either_language(app, runner, world, tmp_path):
    results = {}
    for lang in ("id", "en"):
        out = tmp_path / f"scores-{lang}.csv"
        done = runner.invoke(args=["export", "scores", "--session", "S1", "--output", str(out),
                                   "--lang", lang])
        assert done.exit_code == 0, done.output
        first = out.read_text(encoding="utf-8-sig").splitlines()[:2]
        assert first[1] == ("peserta;penguji;kriteria;nilai;fase;keadaan" if lang == "id" else
                            "candidate,examiner,criterion,score,phase,state")
        stats = runner.invoke(args=["stats", str(out), "--json"])
        assert stats.exit_code == 0, stats.output
        results[lang] = json.loads(stats.output)
        results[lang].pop("source")  # the file's name
        data = read_long_csv(out)
        assert data.candidates == ("P1-001", "P1-002", "P1-003")
    assert results["id"] == results["en"]
    assert results["id"]["n_scores"] == 3 * 3 * 3  # 3 candidates x 3 examiners x 3 criteria


def test_the_reader_takes_an_indonesian_file_with_decimal_commas_and_says_where():
    text = ("Sesi;X;Nama, dengan koma;Tanggal;2026-12-01\n"
            "peserta;penguji;kriteria;nilai;fase;keadaan\n"
            "A;e1;K1;3,5;pre;\nA;e2;K1;2;pre;\nB;e1;K1;4;pre;\nB;e2;K1;1;pre;\n"
            "C;;;;;menunggu 1 lembar\n")
    data = read_long_csv(io.StringIO(text))
    assert data.ratings[:, :, 0].tolist() == [[3.5, 2.0], [4.0, 1.0]]
    broken = text.replace("B;e2;K1;1;pre;", "B;e2;K1;x;pre;")
    with pytest.raises(ValueError, match=r"row 6, column 'score'"):  # the file's own row
        read_long_csv(io.StringIO(broken))
    quoted = text.replace("A;e1;K1;3,5;pre;", 'A;"e1";K1;"3,5";pre;')  # the general reader
    assert np.array_equal(read_long_csv(io.StringIO(quoted)).ratings, data.ratings)
    plain = "candidate,examiner,criterion,score\nA,e1,K1,3\nA,e2,K1,2\n"  # no title row
    assert read_long_csv(io.StringIO(plain)).ratings.shape == (1, 2, 1)


def test_statuses_speak_the_language_and_a_mark_is_not_hidden(app, client, world):
    from scoring.workflow.finality import mark_candidate

    with app.app_context():
        absent = db.session.scalars(db.select(Assignment).where(
            Assignment.panel_id != world["panel"]).order_by(Assignment.position)).first()
        mark_candidate(absent, absent.panel.chair, "absent", "Tidak hadir pada jadwal.")
        db.session.commit()
        number = absent.candidate.participant_number
    _admin(client)
    _, _, rows = read_export(client.get(f"/manage/sessions/{world['session']}/results.csv").data)
    status = {r["participant_number"]: r["status"] for r in rows}
    assert status[number] == "tidak hadir"  # a mark is a fact, not a number to hide
    assert status["P1-001"] == "ditutup"
    assert status["P2-002"] == "menunggu 3 lembar"
    page = client.get(f"/manage/sessions/{world['session']}/results").get_data(as_text=True)
    assert "tidak hadir" in page and "Formasi: Guru" in page
    client.post("/lang/en", data={"next": "/"})
    _, _, rows = read_export(client.get(f"/manage/sessions/{world['session']}/results.csv").data)
    status = {r["participant_number"]: r["status"] for r in rows}
    assert status[number] == "absent" and status["P2-002"] == "waiting for 3 sheets"
