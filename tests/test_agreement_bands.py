"""Each fact once: the one band table (scoring.rules.bands) and the one minimum of candidates.

Changing a threshold or a word in the table changes every output that names a band: the
report's codes, the chair's readings and note, the charts' bands and reference line, the
public results page and the minutes. No other module or template holds a band word, code or
threshold of its own (checked on the source). A panel's agreement coefficients, ICC and alpha
alike, are printed in the public table and the minutes only from ``MIN_CANDIDATES``
finished candidates on.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import pytest
from factories import publish_session
from flask_babel import force_locale
from test_agreement_report import _planted_world

from scoring.chair import agreement_report as agreement
from scoring.chair import interpret
from scoring.documents.context import minutes_context
from scoring.extensions import db
from scoring.public import queries as public
from scoring.rules import bands
from scoring.rules.bands import Band

ROOT = Path(__file__).resolve().parents[1]
# Everything lands in the lowest band, under words no catalog translates.
PATCHED = {
    bands.ICC: (Band("poor", 0.99, "weakish"), Band("moderate", 0.995, "middling"),
                Band("good", 0.999, "good"), Band("excellent", math.inf, "excellent")),
    bands.ALPHA: (Band("unreliable", 0.99, "shaky"), Band("tentative", 0.995, "so-so"),
                  Band("reliable", math.inf, "reliable")),
}


@pytest.fixture
def patched_table():
    """Replace the bands of the one table in place (every reader holds the same objects)."""
    saved = {scale: scale.bands for scale in PATCHED}
    for scale, new in PATCHED.items():
        object.__setattr__(scale, "bands", new)
    agreement._SUMMARY_CACHE.clear()
    public._CACHE.clear()
    yield
    for scale, old in saved.items():
        object.__setattr__(scale, "bands", old)
    agreement._SUMMARY_CACHE.clear()
    public._CACHE.clear()


def _outputs(app, client, session_id: int, panel_id: int) -> dict[str, str]:
    """Return every output that names a band, in English."""
    with app.test_request_context(), force_locale("en"):
        session = db.session.get(agreement.InterviewSession, session_id)
        panel = db.session.get(agreement.Panel, panel_id)
        report = agreement.panel_report(panel)
        session_report = agreement.session_report(session)
        minutes = app.jinja_env.get_template("reports/minutes.html").render(
            doc=minutes_context(session, lang="en"), lang="en", verify_url="https://x/v",
            short_code="ABCDE-FGHIJ", qr="", seal_subject="", verify_base="https://x",
            institution="")
        out = {"codes": f"{report['overall']['icc_band']} {report['overall']['alpha_band']}",
               "note": interpret.bands_text(),
               "chart_bands": repr(interpret.chart_bands()),
               "session_chart": interpret.session_chart(session_report),
               "panel_charts": interpret.panel_charts(report)["agreement"],
               "minutes": minutes}
        code = session.code
    client.post("/lang/en", data={"next": "/"})
    out["public"] = client.get(f"/public/{code}/results").get_data(as_text=True)
    return out


def test_every_band_output_reads_the_one_table(app, client, patched_table):
    with app.app_context():
        session, panel = _planted_world(n=8)
        publish_session(session)
        db.session.commit()
        ids = session.id, panel.id
    patched = _outputs(app, client, *ids)
    assert patched["codes"] == "poor unreliable"
    assert "below 0.99 weakish" in patched["note"] and "below 0.990 shaky" in patched["note"]
    assert "(-1.0, 0.99, 'weakish')" in patched["chart_bands"]
    assert "0.99" in patched["session_chart"] and "middling" in patched["session_chart"]
    assert "weakish" in patched["panel_charts"]
    assert "weakish" in patched["minutes"] and "shaky" in patched["minutes"]
    assert "weakish" in patched["public"] and "below 0.99 weakish" in patched["public"]


def test_the_outputs_follow_the_published_bands_unpatched(app, client):
    with app.app_context():
        session, panel = _planted_world(n=8)
        publish_session(session)
        db.session.commit()
        ids = session.id, panel.id
    outputs = _outputs(app, client, *ids)
    assert not any("weakish" in text for text in outputs.values())
    assert "below 0.50 poor, 0.50 to 0.75 moderate, 0.75 to 0.90 good, 0.90 and above " \
           "excellent" in outputs["note"]
    assert "below 0.667 not reliable, 0.667 to 0.800 tentative conclusions only, 0.800 and " \
           "above reliable" in outputs["note"]
    assert "0.50, the lower edge of moderate agreement" in outputs["session_chart"]
    assert "0.75 to 0.90 good" in outputs["public"]


WORDS = {b.word for scale in bands.SCALES.values() for b in scale.bands}
CODES = {b.code for scale in bands.SCALES.values() for b in scale.bands}
THRESHOLD_TEXT = re.compile(r"\b0[.,](?:50?|667|75|80{0,2}|90?)\b")
_ANY = "|".join(map(re.escape, sorted(WORDS | CODES)))
WORD_TEXT = re.compile(rf"\b(?:{_ANY})\b")
QUOTED = re.compile(rf"""["'](?:{_ANY})["']""")


def _copies_a_band(text: str) -> bool:
    """Return whether ``text`` is a band word or code, or names a threshold beside a band word."""
    return text in WORDS | CODES or bool(THRESHOLD_TEXT.search(text) and WORD_TEXT.search(text))


def _python_copies(source: str, name: str) -> list[str]:
    return [f"{name}:{node.lineno}: {node.value!r}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and _copies_a_band(node.value)]


def _template_copies(text: str, name: str) -> list[str]:
    found = [m.start() for m in QUOTED.finditer(text)]
    found += [sum(map(len, text.splitlines(True)[:i])) for i, line in enumerate(text.splitlines())
              if THRESHOLD_TEXT.search(line) and WORD_TEXT.search(line)]
    return [f"{name}:{text.count(chr(10), 0, at) + 1}" for at in sorted(found)]


def test_no_other_module_or_template_holds_a_band_word_code_or_threshold_text():
    skip = ROOT / "scoring" / "rules" / "bands.py"
    bad = []
    for path in sorted((ROOT / "scoring").rglob("*.py")):
        parts = path.relative_to(ROOT / "scoring").parts
        if path != skip and parts[0] not in ("stats", "migrations"):
            bad += _python_copies(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    for path in sorted((ROOT / "templates").rglob("*.html")):
        bad += _template_copies(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not bad, "band words, codes or thresholds outside scoring/rules/bands.py: " + \
        ", ".join(bad)


def test_the_literal_check_catches_a_copy():
    source = 'WORDS = {"poor": _l("poor")}\nTEXT = _l("Koo & Li: above 0.75 good")\nOK = "0.75"\n'
    assert len(_python_copies(source, "x.py")) == 3
    template = '{% set w = {"tentative": 1} %}\n<p>{{ _("Above 0.9 excellent") }}</p>\n<p>0.5</p>\n'
    assert _template_copies(template, "x.html") == ["x.html:1", "x.html:2"]


def test_ICC_and_alpha_follow_one_minimum_of_candidates(app, client):
    assert not agreement.enough_for_agreement(agreement.MIN_CANDIDATES - 1, 4)
    assert agreement.enough_for_agreement(agreement.MIN_CANDIDATES, 2)
    assert not agreement.enough_for_agreement(agreement.MIN_CANDIDATES, 1)
    with app.app_context():
        session, panel = _planted_world(n=agreement.MIN_CANDIDATES - 1)
        publish_session(session)
        db.session.commit()
        row, = public.panel_agreements(session)
        summary = agreement.panel_agreement(panel)
        report = agreement.panel_report(panel)
        code = session.code
    assert row.candidates == 2 and summary["enough"] is False
    assert (row.icc_single, row.icc_average, row.alpha) == (None, None, None)
    # the chair's own report still computes (with its intervals): both figures are there
    assert report["analysis"] is not None and report["overall"]["alpha_interval"] is not None
    html = re.sub(r"\s+", " ", client.get(f"/public/{code}/results").get_data(as_text=True))
    row = re.search(r'<th scope="row"[^>]*>Panel P</th>(.*?)</tr>', html).group(1)
    assert row.count("—") == 3, row  # ICC(2,k), ICC(2,1) and alpha alike
