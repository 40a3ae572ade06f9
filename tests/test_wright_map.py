"""The Wright map: a well-formed, CSP-safe vertical ruler with every element labelled."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from scoring.charts.wright_map import LABEL_GAP, wright_map

NS = "{http://www.w3.org/2000/svg}"


def _map(**kw):
    args = {
        "candidates": [-1.2, -0.3, -0.2, 0.1, 0.4, 0.45, 2.6, float("nan")],
        "examiners": [{"label": "Ana", "measure": 0.30, "flag": True},
                      {"label": "Budi", "measure": 0.28},
                      {"label": "Citra <x>", "measure": -0.58}],
        "criteria": [{"label": "K1", "measure": 0.1}, {"label": "K2", "measure": -0.1}],
        "title": "Wright map", "desc": "Measures on one ruler", "axis_label": "logits",
        "headings": (("Candidates", "more able"), ("Examiners", "harsher"),
                     ("Criteria", "harder")),
        "chart_id": "w1", "fmt": lambda v: f"{v:.2f}", "flag_text": "F!"}
    args.update(kw)
    return wright_map(**args)


def test_wright_map_is_accessible_and_csp_safe():
    svg = _map()
    root = ET.fromstring(svg)
    assert root.get("aria-labelledby") == "w1-title w1-desc"
    assert root.find(f"{NS}title").text == "Wright map"
    assert "style=" not in svg and "<script" not in svg and "nan" not in svg.lower()
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "Ana F! (0.30)" in texts and "Budi (0.28)" in texts and "K2 (-0.10)" in texts
    assert "Citra <x> (-0.58)" in texts  # escaped in the markup, intact as text
    # the flagged examiner is a square, the others circles: shape, not colour alone
    assert len(root.findall(f"{NS}rect[@width='10']")) == 1


def test_histogram_counts_every_candidate_and_labels_do_not_overlap():
    svg = _map()
    root = ET.fromstring(svg)
    counts = [int(t.text) for t in root.iter(f"{NS}text") if re.fullmatch(r"\d+", t.text or "")]
    assert sum(counts) == 7  # the NaN candidate is left out
    ys = sorted(float(t.get("y")) for t in root.iter(f"{NS}text")
                if t.text and t.text.startswith(("Ana", "Budi")))
    assert ys[1] - ys[0] >= LABEL_GAP


def test_higher_measures_are_drawn_higher():
    root = ET.fromstring(_map())
    y = {t.text.split(" ")[0]: float(t.get("y")) for t in root.iter(f"{NS}text")
         if t.text and t.text.startswith(("K1", "K2"))}
    assert y["K1"] < y["K2"]
