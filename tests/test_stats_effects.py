"""Known truth: panels with planted examiners; rater_effects must find exactly those."""

import numpy as np
import pytest

from scoring.stats import FLAG_CODES, Thresholds, rater_effects

try:
    from tests.stats_helpers import PLANTED, simulate_panel
except ImportError:  # pragma: no cover
    from stats_helpers import PLANTED, simulate_panel

N_PANELS = 200


@pytest.fixture(scope="module")
def simulated():
    """200 panels of 300 candidates x 8 examiners x 4 criteria on a 1-5 scale, fixed seed."""
    rng = np.random.default_rng(20240601)
    return [rater_effects(simulate_panel(rng), (1, 5)) for _ in range(N_PANELS)]


def test_planted_examiners_are_flagged_with_the_right_codes(simulated):
    hits = sum(all(panel[j].flags == (code,) for j, code in PLANTED.items())
               for panel in simulated)
    assert hits >= 0.95 * N_PANELS, f"planted examiners found exactly in {hits}/{N_PANELS}"


@pytest.mark.parametrize("examiner", [4, 5, 6, 7])
def test_normal_examiners_are_rarely_flagged(simulated, examiner):
    false = sum(bool(panel[examiner].flags) for panel in simulated)
    assert false <= 0.05 * N_PANELS, f"normal examiner {examiner} flagged in {false} panels"


def test_flags_carry_their_figures_and_reasons(simulated):
    panel = simulated[0]
    lenient = panel[0].flag_details[0]
    assert lenient.code == "lenient"
    assert lenient.figures["deviation"] == panel[0].deviation
    assert lenient.figures["min_points"] == 0.5 and lenient.figures["z_min"] == 2.0
    assert "points above" in lenient.reason
    assert panel[1].deviation < -0.5 and panel[1].z < -2
    ct = panel[2].flag_details[0]
    assert ct.figures["sd_ratio"] <= ct.figures["sd_ratio_max"]
    assert ct.figures["middle_share"] - ct.figures["panel_middle_share"] >= 0.1
    inc = panel[3].flag_details[0]
    assert inc.figures["fit"] >= inc.figures["fit_max"]
    for effect in panel:
        assert set(effect.flags) <= set(FLAG_CODES)
        assert effect.flags == tuple(d.code for d in effect.flag_details)


def test_deviation_is_in_score_points():
    # examiner 0 always one point above two others who agree: deviation exactly +1
    rng = np.random.default_rng(1)
    base = rng.integers(1, 4, size=(40, 1, 3)).astype(float)
    x = np.concatenate([base + 1, base, base], axis=1)
    eff = rater_effects(x, (1, 5))
    assert eff[0].deviation == pytest.approx(1.0)
    assert eff[1].deviation == pytest.approx(-0.5)
    assert eff[0].rest_correlation == pytest.approx(1.0)
    assert eff[0].slope == pytest.approx(1.0)


def test_halo_examiner_is_flagged():
    # Planted halo: one examiner gives each candidate the same score on every criterion
    # (an overall impression), the others differentiate criteria.
    rng = np.random.default_rng(7)
    hits, false = 0, 0
    for _ in range(50):
        x = simulate_panel(rng, n=200, k=6, c=5)
        x = x[:, [4, 5, 0, 1, 2, 3]]  # normal examiners first; planted ones after
        x[:, 0, :] = np.clip(np.rint(np.nanmean(x[:, 1:2, :], axis=2)), 1, 5)
        eff = rater_effects(x, (1, 5))
        hits += "halo" in eff[0].flags
        false += "halo" in eff[1].flags
    assert hits >= 48 and false <= 2


def test_1_to_4_scale_planted_panels():
    # Same design on a 1-4 scale (the ASN competency rubric's scale), 40 panels.
    rng = np.random.default_rng(99)
    hits = false = 0
    for _ in range(40):
        eff = rater_effects(simulate_panel(rng, low=1, high=4), (1, 4))
        hits += all(eff[j].flags == (code,) for j, code in PLANTED.items())
        false += sum(bool(eff[j].flags) for j in range(4, 8))
    assert hits >= 36 and false <= 0.05 * 40 * 4


def test_thresholds_are_used_and_documented():
    rng = np.random.default_rng(3)
    x = simulate_panel(rng, n=100)
    strict = rater_effects(x, (1, 5), Thresholds(min_points=2.0))
    assert "lenient" not in strict[0].flags
    assert rater_effects(x, (1, 5))[0].flags == ("lenient",)


def test_too_few_candidates_are_not_flagged():
    rng = np.random.default_rng(4)
    eff = rater_effects(simulate_panel(rng, n=8), (1, 5))
    assert all(e.flags == () for e in eff)
    assert all("fewer than 10" in e.note for e in eff)
    assert np.isfinite(eff[0].deviation)
