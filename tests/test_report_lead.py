"""Issue 13 point 6: the agreement report leads with three plain sentences a chair can act on.

The sentences read the report the tables print (flags, watch tier, bands, D study); these
tests give them the report's shape for a reliable, an unreliable, a flagged-examiner and a
no-data panel, in Indonesian (the default) and English, then check the page and the PDF.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from doc_helpers import job_pdf
from factories import PASSWORD
from test_agreement_report import _planted_world

from scoring.chair import agreement_report as agreement
from scoring.chair.report_lead import anchors, lead
from scoring.rules import bands


def _coef(label, icc21=0.7, icc2k=0.9, low=0.85, high=0.95, alpha=0.85):
    band, icc, alpha_scale = bands.band, bands.ICC, bands.ALPHA
    return {"label": label, "icc21": {"value": icc21, "ci_low": icc21 - 0.1,
                                      "ci_high": icc21 + 0.1},
            "icc2k": {"value": icc2k, "ci_low": low, "ci_high": high},
            "icc_band": band(icc21, icc), "icc2k_band": band(icc2k, icc),
            "alpha_interval": alpha, "alpha_band": band(alpha, alpha_scale)}


def _examiner(name, flags=(), watch=(), note=None):
    return {"examiner": name.lower()[:8], "name": name, "flags": list(flags),
            "flag_details": [{"code": f, "tier": "flag", "reason": "", "figures": {}}
                             for f in flags],
            "watch": list(watch),
            "watch_details": [{"code": w, "tier": "watch", "reason": "", "figures": {}}
                              for w in watch], "note": note, "n_candidates": 12}


def _report(overall=None, criteria=None, examiners=None, needed=3, analysis=True):
    criteria = criteria or [_coef("INT"), _coef("KOM")]
    base = {"panel": {"id": 7, "name": "Panel 1"}, "n_candidates": 12, "n_examiners": 3,
            "target": 0.8,
            "criteria": [{"code": "INT", "name": {"id": "Integritas", "en": "Integrity"}},
                         {"code": "KOM", "name": {"id": "Komunikasi", "en": "Communication"}}]}
    if not analysis:
        return {**base, "n_candidates": 1, "n_examiners": 2, "analysis": None}
    return {**base, "analysis": {"thresholds": {"min_candidates": 10}},
            "overall": overall or _coef("overall"), "per_criterion": criteria,
            "examiners": examiners if examiners is not None else
            [_examiner("Penguji Satu"), _examiner("Penguji Dua"), _examiner("Penguji Tiga")],
            "d_study": {"needed_phi": needed, "current": 3, "target": 0.8, "rows": []}}


@pytest.fixture
def words(app):
    """Return a function giving the lead of a report in a language."""
    def run(report, lang="id"):
        with app.test_request_context("/"):
            from flask import session

            session["lang"] = lang
            return lead(report)
    return run


def test_a_reliable_panel_says_so_and_needs_nothing(words):
    items = words(_report())
    assert [i.key for i in items] == ["reliability", "examiners", "criteria"]
    assert [i.tone for i in items] == ["ok", "ok", "ok"]
    assert items[0].text.startswith("Panel ini cukup andal")
    assert "0,90" in items[0].text and "0,80" in items[0].text
    assert "Tidak ada penguji yang perlu diajak bicara" in items[1].text
    assert [i.anchor for i in items] == ["reliability-7", "examiners-7", "criteria-7"]
    english = words(_report(), "en")
    assert english[0].text.startswith("The panel is reliable enough")
    assert "0.90" in english[0].text


def test_an_unreliable_panel_says_what_would_help(words):
    poor = _coef("overall", icc21=0.3, icc2k=0.55, low=0.2, high=0.75, alpha=0.5)
    [reliability, _, criteria] = words(_report(overall=poor, needed=6), "en")
    assert reliability.tone == "act"
    assert reliability.text.startswith("The panel is not reliable enough yet")
    assert "6 examiners per panel would reach it" in reliability.text
    [reliability, _, _] = words(_report(overall=poor, needed=None), "en")
    assert "improve the anchors and train the examiners" in reliability.text
    assert "belum cukup andal" in words(_report(overall=poor))[0].text
    # a point above the target whose interval still reaches below it is only "probably"
    close = _coef("overall", icc2k=0.82, low=0.6)
    assert words(_report(overall=close), "en")[0].tone == "watch"


def test_the_criteria_read_differently_are_named_worst_first(words):
    criteria = [_coef("INT", icc21=0.42), _coef("KOM", icc21=0.21)]
    item = words(_report(criteria=criteria), "en")[2]
    assert item.tone == "act" and item.anchor == "criteria-7"
    assert item.items == ("KOM (Communication): poor agreement (0.21)",
                          "INT (Integrity): poor agreement (0.42)")
    one = words(_report(criteria=[_coef("INT"), _coef("KOM", icc21=0.21)]))[2]
    assert one.items == () and "KOM (Komunikasi)" in one.text and "0,21" in one.text


def test_a_flagged_examiner_is_named_with_what_to_talk_about(words):
    examiners = [_examiner("Drs. Yusrizal, M.Si.", flags=["severe"]),
                 _examiner("Penguji Dua"), _examiner("Penguji Tiga", watch=["lenient"])]
    item = words(_report(examiners=examiners), "en")[1]
    assert item.tone == "act" and item.anchor == "examiners-7"
    assert item.text == ("Talk to Drs. Yusrizal, M.Si. about how they score: scores lower "
                         "than the rest of the panel on the same candidates.")
    indonesian = words(_report(examiners=examiners))[1].text
    assert "Drs. Yusrizal, M.Si." in indonesian and ".." not in indonesian
    # two flagged examiners: a list (names contain commas), one row each with its topics
    examiners[1] = _examiner("Penguji Dua", flags=["halo", "central_tendency"])
    item = words(_report(examiners=examiners), "en")[1]
    assert item.text == "Talk to 2 examiners about how they score:"
    assert item.items[1] == ("Penguji Dua: gives every criterion of a candidate much the same "
                             "score; keeps to the middle of the scale.")
    # a kind of flag the words do not know yet (e.g. from the Rasch model) is still named
    examiners[1] = _examiner("Penguji Dua", flags=["rasch_misfit"])
    assert words(_report(examiners=examiners), "en")[1].items[1] == "Penguji Dua: rasch misfit."


def test_the_watch_tier_is_softer_than_a_flag(words):
    examiners = [_examiner("Penguji Satu", watch=["severe"]), _examiner("Penguji Dua")]
    item = words(_report(examiners=examiners), "en")[1]
    assert item.tone == "watch" and item.text.startswith("No examiner needs a talk")
    assert item.items == ("Penguji Satu: a little lower than the others.",)
    early = [_examiner("Penguji Satu", note="too few"), _examiner("Penguji Dua", note="x")]
    assert words(_report(examiners=early), "en")[1].text.startswith("Too early to compare")


def test_a_panel_without_data_gets_one_sentence(words):
    [item] = words(_report(analysis=False), "en")
    assert item.key == "no_data" and item.anchor == "no-data-7"
    assert "1 candidates have every required sheet in" in item.text
    assert words(_report(analysis=False))[0].text.startswith("Terlalu dini")


def _anchor_targets(html: str) -> None:
    links = re.findall(r'class="plain-lead__evidence" href="#([^"]+)"', html)
    assert links, "no lead links"
    for target in links:
        assert f'id="{target}"' in html, target


def test_page_and_pdf_lead_with_the_same_sentences(app, client, tmp_path):
    with app.app_context():
        _, panel = _planted_world()
        report = agreement.panel_report(panel)
        pid = panel.id
    client.post("/auth/login", data={"username": "chairx", "password": PASSWORD})
    html = client.get(f"/chair/panels/{pid}/report").get_data(as_text=True)
    lead_at = html.index('class="plain-lead"')
    assert lead_at < html.index('class="table coef"')  # the tables stay, after the lead
    items = re.findall(r'<li class="plain-lead__item plain-lead__item--(\w+)" '
                       r'data-lead="(\w+)"', html)
    assert [k for _, k in items] == ["reliability", "examiners", "criteria"]
    assert dict((k, t) for t, k in items)["examiners"] == "act"
    assert "Bicaralah dengan Severe" in html
    _anchor_targets(html)
    assert anchors(pid)["examiners"] == f"examiners-{pid}"
    pdf = job_pdf(client, f"/chair/panels/{pid}/report.pdf")
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    text = re.sub(r"\s+", " ", subprocess.run(["pdftotext", str(path), "-"], check=True,
                                              capture_output=True, text=True).stdout)
    assert "Bicaralah dengan Severe" in text
    assert text.index("Bicaralah dengan Severe") < text.index("Kesepakatan per kriteria")
    assert report["examiners"]  # the one computation the tables print


def test_a_report_without_data_still_leads_and_links(app, client):
    from factories import make_world

    with app.app_context():
        world = make_world(candidates_per_panel=1)
        pid = world.panels[0].id
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    html = client.get(f"/chair/panels/{pid}/report").get_data(as_text=True)
    assert 'data-lead="no_data"' in html
    _anchor_targets(html)


def test_a_handful_of_candidates_is_a_first_reading_not_a_verdict(words):
    poor = _coef("overall", icc21=0.3, icc2k=0.55, low=0.2, high=0.75, alpha=0.5)
    report = {**_report(overall=poor, criteria=[_coef("INT", icc21=0.1), _coef("KOM")]),
              "n_candidates": 2}
    reliability, examiners, criteria = words(report, "en")
    assert reliability.tone == criteria.tone == "watch"  # not "act" on two candidates
    for item in (reliability, criteria):
        assert item.note == ("A first reading on only 2 candidates: it firms up as the panel "
                             "finishes more.")
    assert not examiners.note


def test_without_an_icc_the_answer_comes_from_alpha(words):
    flat = {**_coef("overall", alpha=-0.143), "icc2k": {"value": None, "ci_low": None,
                                                       "ci_high": None}}
    item = words(_report(overall=flat), "en")[0]
    assert item.tone == "act" and "alpha of the mean score is -0.143" in item.text
    item = words(_report(overall={**flat, "alpha_interval": None}), "en")[0]
    assert item.tone == "watch" and "cannot be computed yet" in item.text


def test_a_negative_zero_is_printed_as_zero(app):
    from scoring.chair.interpret import num

    with app.test_request_context("/"):
        assert num(-0.0001) == "0,00" and num(-0.01) == "-0,01"


def test_the_session_report_leads_each_panel_and_links_to_its_report(app, client, tmp_path):
    with app.app_context():
        session, panel = _planted_world()
        sid, pid = session.id, panel.id
    client.post("/auth/login", data={"username": "chairx", "password": PASSWORD})
    html = client.get(f"/chair/sessions/{sid}/report").get_data(as_text=True)
    assert html.index('id="leads"') < html.index('class="table panels"')
    assert "<h3>Panel P</h3>" in html and "Bicaralah dengan Severe" in html
    links = re.findall(r'class="plain-lead__evidence" href="([^"]+)"', html)
    assert [link.split("#")[1] for link in links] == [f"reliability-{pid}", f"examiners-{pid}",
                                                      f"criteria-{pid}"]
    panel_page = client.get(links[1].split("#")[0]).get_data(as_text=True)
    assert f'id="examiners-{pid}"' in panel_page  # the link lands on the evidence
    pdf = job_pdf(client, f"/chair/sessions/{sid}/report.pdf")
    path = tmp_path / "s.pdf"
    path.write_bytes(pdf)
    text = re.sub(r"\s+", " ", subprocess.run(["pdftotext", str(path), "-"], check=True,
                                              capture_output=True, text=True).stdout)
    assert "Bicaralah dengan Severe" in text and "Lihat buktinya" not in text


def test_a_chair_gets_no_evidence_link_to_a_panel_they_do_not_chair(app, client):
    from factories import make_world

    with app.app_context():
        world = make_world(candidates_per_panel=1)
        sid, mine, other = world.session.id, world.panels[0].id, world.panels[1].id
    client.post("/auth/login", data={"username": "chair1", "password": PASSWORD})
    html = client.get(f"/chair/sessions/{sid}/report").get_data(as_text=True)
    links = re.findall(r'class="plain-lead__evidence" href="([^"]+)"', html)
    assert links == [f"/chair/panels/{mine}/report?target=0.8#no-data-{mine}"]
    assert client.get(f"/chair/panels/{other}/report").status_code == 404
