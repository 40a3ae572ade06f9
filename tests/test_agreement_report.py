"""The agreement report's numbers equal scoring.stats on the same data: page, PDF text, JSON.

Independent path: export the raw long scores (the CSV an R/SPSS user gets), keep the
candidates the report used, read them back with ``scoring.stats.read_long_csv`` and run
``panel_analysis``; every coefficient, examiner figure, flag and D-study value must agree.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import subprocess

import numpy as np
import pytest
from doc_helpers import job_pdf
from factories import PASSWORD, example_rubric, panel_of, seat

from scoring.chair import agreement_report as agreement
from scoring.chair.queries import LONG_HEADER, long_score_rows
from scoring.documents.tables import table_bytes
from scoring.extensions import db
from scoring.models import InterviewSession
from scoring.ops.builders import clipped, score, sheet_of
from scoring.ops.demo import DEMO_CODE, load_demo
from scoring.rules import bands
from scoring.stats import panel_analysis, read_long_csv
from scoring.workflow import create_session, set_session_status


def _independent(session, panel, report, tmp_path):
    """Return panel_analysis().to_dict() computed from the exported CSV, not from the DB."""
    used = set(report["candidates"])
    rows = [r for r in long_score_rows(session, panel) if r[0] in used]
    path = tmp_path / f"panel-{panel.id}.csv"
    path.write_bytes(table_bytes(LONG_HEADER, rows, "csv"))
    data = read_long_csv(path, phase="pre")
    rubric_scale = tuple(report["session"]["rubric"]["scale"])
    return panel_analysis(data.ratings, rubric_scale, examiners=data.examiners,
                          criteria=data.criteria).to_dict()


def _close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _assert_same(report: dict, ref: dict) -> None:
    by_label = {c["label"]: c for c in ref["per_criterion"]}
    by_label["overall"] = ref["overall"]
    for c in [*report["per_criterion"], report["overall"]]:
        r = by_label[c["label"]]
        for form, key in (("ICC(2,1)", "icc21"), ("ICC(2,k)", "icc2k")):
            for part in ("value", "ci_low", "ci_high"):
                assert _close(c[key][part], r["icc"]["forms"][form][part]), (c["label"], form)
        for key in ("alpha_interval", "alpha_ordinal", "exact_agreement", "adjacent_agreement"):
            assert _close(c[key], r.get(key)), (c["label"], key)
    effects = {e["examiner"]: e for e in ref["examiner_effects"]}
    assert {e["examiner"] for e in report["examiners"]} == set(effects)
    for e in report["examiners"]:
        r = effects[e["examiner"]]
        for key in ("n", "n_candidates", "deviation", "se", "z", "rest_correlation", "sd_ratio",
                    "middle_share", "panel_middle_share", "halo", "fit"):
            assert _close(e[key], r[key]), (e["examiner"], key)
        assert e["flags"] == r["flags"]
    for mine, theirs in zip(report["d_study"]["rows"], ref["d_study"], strict=True):
        assert mine["n_examiners"] == theirs["n_examiners"]
        assert _close(mine["g"], theirs["g"]) and _close(mine["phi"], theirs["phi"])


def _en(client, username, password):
    client.post("/auth/login", data={"username": username, "password": password})
    client.post("/lang/en", data={"next": "/"})


def _row(html: str, attr: str, value: str) -> str:
    match = re.search(rf'<tr[^>]*{attr}="{re.escape(value)}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row {attr}={value}"
    return match.group(1)


def _stat(row_html: str, name: str) -> str:
    return re.search(rf'data-stat="{name}">([^<]*)<', row_html).group(1).strip()


def test_demo_report_equals_stats_and_flags_the_lenient_examiner(app, client, tmp_path, runner):
    with app.app_context():
        load_demo(dt.date(2025, 11, 28))
        db.session.commit()
        session = db.session.query(InterviewSession).filter_by(code=DEMO_CODE).one()
        reports = {}
        for panel in session.panels:
            report = agreement.panel_report(panel)
            _assert_same(report, _independent(session, panel, report, tmp_path))
            reports[panel.name] = report
        whole = agreement.json_view(agreement.session_report(session, with_drift=True))
        panel1_id = session.panels[0].id
    lenient = next(e for e in reports["Panel 1"]["examiners"] if e["examiner"] == "penguji2")
    assert lenient["flags"] == ["lenient"] and lenient["deviation"] > 0.5
    erratic = next(e for e in reports["Panel 2"]["examiners"] if e["examiner"] == "penguji6")
    assert "inconsistent" in erratic["flags"]
    assert [p["examiners"] for p in whole["panels"]] == \
        [agreement.json_view(r)["examiners"] for r in reports.values()]

    # the command line prints the same content
    result = runner.invoke(args=["report", "--session", DEMO_CODE, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(json.dumps(whole))

    # the page shows the same numbers and the reason in plain words
    _en(client, "ketua1", "ketua1-demo")
    html = client.get(f"/chair/panels/{panel1_id}/report").get_data(as_text=True)
    r1 = reports["Panel 1"]
    for c in [*r1["per_criterion"], r1["overall"]]:
        row = _row(html, "data-criterion", c["label"])
        assert _stat(row, "icc21") == f"{c['icc21']['value']:.2f}"
        assert _stat(row, "icc2k") == f"{c['icc2k']['value']:.2f}"
        assert _stat(row, "alpha_interval") == f"{c['alpha_interval']:.3f}"
    for e in r1["examiners"]:
        row = _row(html, "data-examiner", e["examiner"])
        assert _stat(row, "deviation") == f"{e['deviation']:+.2f}"
        assert _stat(row, "z") == f"{e['z']:.1f}"
    sentence = (f"Penguji 2 scores on average {lenient['deviation']:.2f} points higher than the "
                f"other panelists on the same candidates (z = {lenient['z']:.1f}); review their "
                f"anchors with them.")
    assert sentence in html
    # the demo's design allows the Rasch evidence: the report says so beside the deviation
    rasch = lenient["flag_details"][0]["figures"]
    assert lenient["evidence"] == "rasch" and rasch["rasch_z"] >= 2
    assert (f"many-facet Rasch model ({rasch['rasch_measure']:.2f} logits, standard error "
            f"{rasch['rasch_se']:.2f}, z = {rasch['rasch_z']:.1f})") in html
    assert "Koo &amp; Li 2016" in html and "0.667" in html
    assert html.count("<svg") == 5  # four agreement charts and the Wright map

    # and so does the PDF
    pdf = job_pdf(client, f"/chair/panels/{panel1_id}/report.pdf")
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Penguji 2 scores on average" in re.sub(r"\s+", " ", text)
    assert f"{r1['overall']['icc21']['value']:.2f}" in text


def _planted_world(n: int = 36, seed: int = 7):
    """One panel of four on the English rubric; examiner 'severe' scores a point low."""
    rng = np.random.default_rng(seed)
    rubric = example_rubric()
    session = create_session("PLANT", "Planted", dt.date(2025, 11, 28), rubric)
    panel = panel_of(session, "Panel P", ["chairx", "alice", "budi", "severe"])
    set_session_status(session, "open")
    for c in range(n):
        a = seat(panel, f"X-{c:03d}", f"Cand {c}")
        ability = rng.normal(3.0, 0.8) + rng.normal(0, 0.3, len(rubric.codes))
        for member in panel.members:
            levels = ability + rng.normal(0, 0.4, len(rubric.codes))
            if member.user.username == "severe":
                levels -= 1.1
            score(a, member.user, sheet_of(rubric, clipped(rubric, levels),
                                           note=lambda _r, v: "Evidence." if v in (1, 5) else ""))
    db.session.commit()
    return session, panel


def test_planted_severe_examiner_is_flagged_with_the_stats_numbers(app, client, tmp_path):
    with app.app_context():
        session, panel = _planted_world()
        report = agreement.panel_report(panel, target=0.9)
        _assert_same(report, _independent(session, panel, report, tmp_path))
        pid = panel.id
    severe = next(e for e in report["examiners"] if e["examiner"] == "severe")
    assert severe["flags"] == ["severe"]
    assert all(not e["flags"] for e in report["examiners"] if e["examiner"] != "severe")
    assert report["d_study"]["target"] == 0.9
    needed = report["d_study"]["needed_phi"]
    rows = report["d_study"]["rows"]
    assert needed is None or (rows[needed - 1]["phi"] >= 0.9
                              and all(r["phi"] < 0.9 for r in rows[:needed - 1]))
    assert len(report["drift"]["blocks"]) == 3  # 36 candidates: blocks of 12
    _en(client, "chairx", PASSWORD)
    html = client.get(f"/chair/panels/{pid}/report?target=0.9").get_data(as_text=True)
    assert (f"Severe scores on average {abs(severe['deviation']):.2f} points lower than the other "
            f"panelists") in html


def test_drift_blocks_cover_the_day():
    assert agreement.drift_blocks(5) == [(0, 5)]
    assert agreement.drift_blocks(20) == [(0, 10), (10, 20)]
    assert agreement.drift_blocks(200) == [(0, 50), (50, 100), (100, 150), (150, 200)]


@pytest.mark.parametrize(("value", "scale", "code"), [
    (0.49, bands.ICC, "poor"), (0.5, bands.ICC, "moderate"),
    (0.75, bands.ICC, "good"), (0.9, bands.ICC, "excellent"),
    (0.666, bands.ALPHA, "unreliable"), (0.667, bands.ALPHA, "tentative"),
    (0.8, bands.ALPHA, "reliable"), (None, bands.ICC, None),
    (float("nan"), bands.ALPHA, None),
])
def test_bands_follow_koo_li_and_krippendorff(value, scale, code):
    assert bands.band(value, scale) == code


def test_rasch_table_wright_map_and_fair_averages_in_page_and_pdf(app, client, tmp_path):
    with app.app_context():
        load_demo(dt.date(2025, 11, 28))
        db.session.commit()
        session = db.session.query(InterviewSession).filter_by(code=DEMO_CODE).one()
        panel = session.panels[1]  # Panel 2, with the erratic penguji6
        report = agreement.panel_report(panel)
        ref = _independent(session, panel, report, tmp_path)["rasch"]
        panel_id = panel.id
    rasch = report["rasch"]
    assert rasch["estimated"] and rasch["converged"]
    # the measures equal mfrm on the exported CSV (candidate labels aside)
    theirs = {e["id"]: e for e in ref["examiners"]}
    for e in rasch["examiners"]:
        for key in ("measure", "se", "infit", "outfit", "fair_average", "observed_average"):
            assert _close(e[key], theirs[e["id"]][key]), (e["id"], key)
    assert [c["id"] for c in rasch["candidates"]] == report["candidates"]
    erratic = next(e for e in rasch["examiners"] if e["id"] == "penguji6")
    assert erratic["fit"] == "erratic" and erratic["infit"] > 1.3
    _en(client, "ketua2", "ketua2-demo")
    page = client.get(f"/chair/panels/{panel_id}/report").get_data(as_text=True)
    html = page.split(f'id="rasch-{panel_id}"')[1]
    for e in rasch["examiners"]:
        row = _row(html, "data-rasch-examiner", e["id"])
        assert _stat(row, "measure") == f"{e['measure']:+.2f}"
        assert _stat(row, "fair_average") == f"{e['fair_average']:.2f}"
    assert "erratic: scores less predictable" in _row(html, "data-rasch-examiner", "penguji6")
    first = rasch["candidates"][0]
    row = _row(html, "data-candidate", first["id"])
    assert _stat(row, "fair_average") == f"{first['fair_average']:.2f}"
    assert f'id="wright-{panel_id}-title"' in html
    assert "official scores are never changed" in html
    pdf = job_pdf(client, f"/chair/panels/{panel_id}/report.pdf")
    path = tmp_path / "rasch.pdf"
    path.write_bytes(pdf)
    text = re.sub(r"\s+", " ", subprocess.run(["pdftotext", "-layout", str(path), "-"],
                                              capture_output=True, text=True,
                                              check=True).stdout)
    assert "Examiner severity on one scale" in text and "harsher" in text
    assert f"{erratic['infit']:.2f}" in text
