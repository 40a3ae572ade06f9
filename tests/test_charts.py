"""The SVG charts: well-formed, accessible, CSP-safe, escaped, and never colour alone."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from scoring import charts

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def _check_common(svg: str, chart_id: str) -> ET.Element:
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert root.find(f"{NS}title").text and root.find(f"{NS}desc").text
    assert "style=" not in svg and "<script" not in svg and "<style" not in svg  # CSP
    assert "nan" not in svg.lower() and "inf" not in svg.lower()
    return root


def _texts(root) -> list[str]:
    return [t.text for t in root.iter(f"{NS}text")]


def test_forest_marks_flagged_rows_by_shape_and_text():
    rows = [{"label": "Ani", "value": -0.2, "low": -0.4, "high": 0.0, "flag": False},
            {"label": "Budi <b>&", "value": 0.76, "low": 0.6, "high": 0.9, "flag": True},
            {"label": "Citra", "value": None, "low": None, "high": None, "flag": False}]
    svg = charts.forest(rows, title="Deviation", desc="CIs", axis_label="points",
                        chart_id="f1", flag_text="⚑")
    root = _check_common(svg, "f1")
    texts = _texts(root)
    assert "Budi <b>& ⚑" in texts  # escaped in the SVG, intact once parsed
    assert "<b>" not in svg
    assert "+0.76  [0.60; 0.90]" in texts and "-0.20  [-0.40; 0.00]" in texts
    assert len(root.findall(f".//{NS}rect")) == 1  # the flagged examiner: a square
    assert len(root.findall(f".//{NS}circle")) == 1  # the other one with a value: a circle
    assert "–" in texts  # no value: a dash, not a point


def test_forest_uses_the_callers_number_format():
    rows = [{"label": "A", "value": 0.5, "low": 0.25, "high": 0.75}]
    svg = charts.forest(rows, title="t", desc="d", axis_label="x", chart_id="f2",
                        fmt=lambda v: f"{v:.2f}".replace(".", ","))
    assert "+0,50  [0,25; 0,75]" in _texts(_parse(svg))


def test_distribution_shares_and_legend():
    rows = [{"label": "Ani", "counts": [1, 2, 3, 4]}, {"label": "Budi", "counts": [0, 0, 0, 0]}]
    svg = charts.distribution(rows, [1, 2, 3, 4], title="Dist", desc="d", chart_id="d1",
                              legend_label="Level")
    root = _check_common(svg, "d1")
    texts = _texts(root)
    assert [t for t in texts if t in "1234"][:4] == ["1", "2", "3", "4"]  # the legend
    assert "40%" in texts and "30%" in texts and "n = 10" in texts and "n = 0" in texts
    widths = [float(r.get("width")) for r in root.iter(f"{NS}rect")
              if r.get("height") == "20"]
    assert math.isclose(sum(widths), 640 - 70 - 170, abs_tol=0.5)  # a full bar for Ani only


@pytest.mark.parametrize("n_levels", [2, 3, 4, 5, 6, 7])
def test_distribution_palette_covers_every_scale(n_levels):
    counts = list(range(1, n_levels + 1))
    svg = charts.distribution([{"label": "A", "counts": counts}], list(range(1, n_levels + 1)),
                              title="t", desc="d", chart_id="p", legend_label="L")
    _check_common(svg, "p")


def test_agreement_draws_bands_points_and_alpha():
    rows = [{"label": "INT", "value": 0.62, "low": 0.3, "high": 0.85, "alpha": 0.58},
            {"label": "KS", "value": -0.1, "low": None, "high": None, "alpha": None}]
    bands = ((-1, 0.5, "poor"), (0.5, 0.75, "moderate"), (0.75, 0.9, "good"),
             (0.9, 1.0, "excellent"))
    svg = charts.agreement(rows, title="A", desc="d", chart_id="a1", bands=bands,
                           legend=("ICC(2,1)", "alpha"))
    root = _check_common(svg, "a1")
    texts = _texts(root)
    for name in ("poor", "moderate", "good", "excellent", "INT", "KS", "ICC(2,1)", "alpha"):
        assert name in texts
    assert "-0.20" in texts  # the axis reaches below a negative ICC
    assert len(root.findall(f".//{NS}polygon")) == 2  # alpha: legend + one value


def test_dstudy_two_series_differ_by_dash_and_marker():
    rows = [{"n_examiners": n, "g": 1 - 0.4 / n, "phi": 1 - 0.6 / n} for n in range(1, 9)]
    labels = {"g": "G", "phi": "Phi", "target": "target", "current": "now", "x": "examiners",
              "y": "reliability"}
    svg = charts.dstudy(rows, title="D", desc="d", chart_id="s1", target=0.8, current=4,
                        labels=labels)
    root = _check_common(svg, "s1")
    lines = root.findall(f".//{NS}polyline")
    assert len(lines) == 2
    assert lines[0].get("stroke-dasharray") is None and lines[1].get("stroke-dasharray")
    assert "target 0.80" in _texts(root) and "now" in _texts(root)
    assert len(root.findall(f".//{NS}rect")) == 8 + 1  # Phi squares and its legend


def test_viewbox_height_matches_rows():
    svg = charts.forest([{"label": str(i), "value": 0.1} for i in range(20)], title="t",
                        desc="d", axis_label="x", chart_id="h")
    height = float(re.search(r'viewBox="0 0 640 ([\d.]+)"', svg).group(1))
    assert height == 34 + 30 * 20 + 46
