"""Graded leniency/severity findings: sizes relative to the scale, a watch tier, Rasch evidence."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from scoring.stats import WATCH_CODES, Thresholds, panel_analysis, rater_effects

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_flags.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_flags", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_half_a_level_is_found_and_unshifted_examiners_are_left_alone(bench):
    # the case: 40 candidates x 4 examiners x 9 criteria on 1-4; before, a shift of
    # half a level was flagged in 0 of 200 panels
    rng = np.random.default_rng(1701)
    half = bench.detection(40, 0.5, 60, rng)
    assert half["flag_or_watch"] >= 0.9, half
    assert half["flag"] >= 0.2, half
    strong = bench.detection(20, 0.8, 40, rng)
    assert strong["flag"] >= 0.95, strong
    for row in (half, strong):
        assert row["false_flag"] <= 0.01 and row["false_watch"] <= 0.05, row
        assert row["rasch_share"] >= 0.9, row  # the app's evidence: Rasch where it can
    none = bench.detection(40, 0.0, 40, rng)
    assert none["flag"] == 0 and none["flag_or_watch"] <= 0.05, none


def test_sizes_follow_the_scale_range(bench):
    # the same panels on 1-4 and rescaled to 0-100 give the same findings; an absolute
    # half-point size would flag every examiner on 0-100
    rng = np.random.default_rng(5)
    for shift in (0.3, 0.5, 0.8):
        x = bench.shifted_panel(rng, 40, shift)
        on_4 = rater_effects(x, (1, 4))
        on_100 = rater_effects((x - 1) * 100 / 3, (0, 100))
        assert [(e.flags, e.watch) for e in on_4] == [(e.flags, e.watch) for e in on_100]
    assert Thresholds().points((1, 4)) == pytest.approx((0.375, 0.25))
    assert Thresholds().points((1, 5)) == pytest.approx((0.5, 1 / 3))
    assert Thresholds(min_points=2.0).points((1, 5)) == pytest.approx((2.0, 1 / 3))


def test_watch_is_its_own_tier_with_its_own_detail(bench):
    rng = np.random.default_rng(11)
    for _ in range(50):
        effects = rater_effects(bench.shifted_panel(rng, 40, 0.3), (1, 4))
        if effects[0].watch:
            break
    e = effects[0]
    assert e.watch == ("lenient",) and "lenient" not in e.flags
    detail = e.watch_details[0]
    assert detail.tier == "watch" and detail.code in WATCH_CODES
    assert detail.figures["watch_points"] <= abs(e.deviation) < detail.figures["min_points"]
    assert "worth watching" in detail.reason and detail.figures["z"] >= 2
    assert all(d.tier == "flag" for x in effects for d in x.flag_details)
    d = panel_analysis(bench.shifted_panel(rng, 40, 0.3), (1, 4)).to_dict()
    effect = d["examiner_effects"][0]
    assert {"watch", "watch_details", "gap"} <= set(effect)
    assert d["thresholds"]["min_share"] == 0.125 and d["thresholds"]["min_points"] is None


def test_one_lenient_examiner_does_not_make_the_others_severe(bench):
    rng = np.random.default_rng(3)
    pulled = found = 0
    for _ in range(20):
        effects = rater_effects(bench.shifted_panel(rng, 40, 1.2), (1, 4))
        assert effects[0].flags == ("lenient",)
        # each colleague's deviation from "the others" is pulled down by the lenient one:
        # by deviation and z alone many would pass the watch size
        pulled += sum(e.deviation <= -0.25 and e.z <= -2 for e in effects[1:])
        found += sum(bool(e.flags or e.watch) for e in effects[1:])
        assert abs(effects[0].gap - effects[0].deviation) < 0.15
    assert pulled >= 20 and found <= 2  # 60 colleagues; each has a small severity of its own


def test_thresholds_are_checked():
    with pytest.raises(ValueError, match="watch_share <= min_share"):
        Thresholds(min_share=0.05, watch_share=0.1)
    with pytest.raises(ValueError, match="min_points"):
        Thresholds(min_points=0)


def test_rasch_severity_replaces_the_evidence_not_the_size(bench):
    rng = np.random.default_rng(8)
    x = bench.shifted_panel(rng, 40, 0.8)
    assert rater_effects(x, (1, 4))[0].flags == ("lenient",)
    # a lenient examiner has a negative severity; an imprecise measure is no clear evidence
    vague = [(-0.5, 1.0), (0.1, 1.0), (0.2, 1.0), (0.2, 1.0)]
    assert rater_effects(x, (1, 4), severity=vague)[0].flags == ()
    clear = [(-1.2, 0.1), (0.4, 0.1), (0.4, 0.1), (0.4, 0.1)]
    effect = rater_effects(x, (1, 4), severity=clear)[0]
    assert effect.flags == ("lenient",)
    figures = effect.flag_details[0].figures
    assert figures["rasch_z"] == pytest.approx(12.0) and "Rasch severity" in \
        effect.flag_details[0].reason
    # NaN measures (an element FACETS could not estimate) fall back to the deviation's z
    missing = [(float("nan"), float("nan"))] * 4
    assert rater_effects(x, (1, 4), severity=missing)[0].flags == ("lenient",)
    with pytest.raises(ValueError, match="severity has 2 entries"):
        rater_effects(x, (1, 4), severity=clear[:2])
    with pytest.raises(ValueError, match=r"severity\[1\]"):
        rater_effects(x, (1, 4), severity=[(0, 1), "x", (0, 1), (0, 1)])


def test_panel_analysis_takes_the_rasch_severity_where_the_design_allows(bench):
    rng = np.random.default_rng(21)
    result = panel_analysis(bench.shifted_panel(rng, 40, 0.8), (1, 4))
    assert result.rasch.estimated and result.rasch.converged
    assert result.flag_evidence == "rasch" and result.flag_evidence_note is None
    assert all(e.evidence == "rasch" for e in result.examiner_effects)
    lenient = result.examiner_effects[0]
    assert lenient.flags == ("lenient",)
    figures = lenient.flag_details[0].figures
    measure, se = result.rasch.examiners.measure[0], result.rasch.examiners.se[0]
    assert figures["rasch_measure"] == pytest.approx(measure) and measure < 0
    assert figures["rasch_z"] == pytest.approx(-measure / se)
    d = result.to_dict()
    assert d["flag_evidence"] == {"source": "rasch", "note": None}
    assert d["examiner_effects"][0]["evidence"] == "rasch"
    # the deviation's interval is computed in stats, at the 95 % normal quantile
    low, high = d["examiner_effects"][0]["ci_low"], d["examiner_effects"][0]["ci_high"]
    assert low == pytest.approx(lenient.deviation - 1.959963984540054 * lenient.se)
    assert high == pytest.approx(lenient.deviation + 1.959963984540054 * lenient.se)


def test_a_disconnected_design_keeps_the_deviation_and_says_why(bench):
    rng = np.random.default_rng(22)
    x = np.full((40, 6, 9), np.nan)
    # two panels of three on the same criteria, sharing neither examiners nor candidates
    x[:20, :3] = bench.shifted_panel(rng, 20, 0.8, k=3)
    x[20:, 3:] = bench.shifted_panel(rng, 20, 0.0, k=3)
    result = panel_analysis(x, (1, 4))
    assert not result.rasch.estimated and len(result.rasch.subsets) == 2
    assert result.flag_evidence == "deviation"
    assert "disconnected" in result.flag_evidence_note
    assert all(e.evidence == "deviation" for e in result.examiner_effects)
    assert result.examiner_effects[0].flags == ("lenient",)
    assert "rasch_z" not in result.examiner_effects[0].flag_details[0].figures
    assert result.to_dict()["flag_evidence"]["source"] == "deviation"


def test_few_candidates_or_no_convergence_keep_the_deviation(bench):
    rng = np.random.default_rng(23)
    small = panel_analysis(bench.shifted_panel(rng, 8, 0.8), (1, 4))
    assert small.flag_evidence == "deviation" and "fewer than 10" in small.flag_evidence_note
    x = bench.shifted_panel(rng, 40, 0.8)
    from scoring.stats import mfrm

    pairs, reason = mfrm(x, (1, 4), max_iterations=1).severity_evidence()
    assert pairs is None and "did not converge" in reason
    pairs, reason = mfrm(x, (1, 4)).severity_evidence()
    assert reason is None and len(pairs) == 4 and all(se > 0 for _, se in pairs)
    # an examiner with an extreme score (every score the top level) has no usable measure
    x[:, 1, :] = 4
    pairs, reason = mfrm(x, (1, 4)).severity_evidence()
    assert reason is None and np.isnan(pairs[1]).all() and np.isfinite(pairs[0]).all()
    effects = panel_analysis(x, (1, 4)).examiner_effects
    assert effects[1].evidence == "deviation" and effects[0].evidence == "rasch"


def test_non_integer_scores_or_no_rasch_keep_the_deviation(bench):
    rng = np.random.default_rng(24)
    x = bench.shifted_panel(rng, 40, 0.8)
    off = panel_analysis(x, (1, 4), rasch=False)
    assert off.rasch is None and off.flag_evidence == "deviation"
    assert off.flag_evidence_note == "no Rasch measures: not requested"
    halves = panel_analysis(x + 0.5 * (x < 4), (1, 4))
    assert halves.rasch is None and "whole scale points" in halves.flag_evidence_note
    with pytest.raises(ValueError, match="thresholds must be a Thresholds instance"):
        panel_analysis(x, (1, 4), thresholds={"z_min": 2})
