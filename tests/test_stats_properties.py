"""Hypothesis properties: invariances, bounds, perfect agreement, shifts."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scoring.stats import (
    fleiss_kappa,
    g_study,
    gwet_ac,
    icc,
    kendall_w,
    krippendorff_alpha,
    percent_agreement,
    rater_effects,
)

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
CATS = [1.0, 2.0, 3.0, 4.0, 5.0]


@st.composite
def panels(draw, missing=True, min_n=3, max_n=12, max_k=5):
    """Integer 1-5 ratings (n_candidates x n_examiners) with optional missing cells."""
    n = draw(st.integers(min_n, max_n))
    k = draw(st.integers(2, max_k))
    x = draw(hnp.arrays(float, (n, k), elements=st.integers(1, 5).map(float)))
    if missing:
        mask = draw(hnp.arrays(bool, (n, k), elements=st.booleans()))
        x = np.where(mask & draw(st.booleans()), np.nan, x)
    return x


def _stats(x):
    """Every permutation-invariant figure, NaN-safe for comparison."""
    out = [icc(x, missing=m)[f].value for m in ("drop", "model") for f in ("ICC(1,1)",
                                                                            "ICC(2,1)",
                                                                            "ICC(3,k)")]
    out += [krippendorff_alpha(x, lv).value for lv in ("nominal", "ordinal", "interval",
                                                        "ratio")]
    out += [fleiss_kappa(x, categories=CATS).value, gwet_ac(x, categories=CATS).value,
            gwet_ac(x, "quadratic", categories=CATS).value, percent_agreement(x).value,
            percent_agreement(x, 1).value, kendall_w(x).w]
    return np.array(out, float)


def _same(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)


@SETTINGS
@given(panels(), st.randoms(use_true_random=False))
def test_invariant_under_permuting_candidates(x, rnd):
    order = list(range(x.shape[0]))
    rnd.shuffle(order)
    _same(_stats(x), _stats(x[order]))


@SETTINGS
@given(panels(), st.randoms(use_true_random=False))
def test_invariant_under_permuting_examiners(x, rnd):
    order = list(range(x.shape[1]))
    rnd.shuffle(order)
    _same(_stats(x), _stats(x[:, order]))


@SETTINGS
@given(panels())
def test_bounds(x):
    for f in ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)"):
        for m in ("drop", "model"):
            v = icc(x, missing=m)[f].value
            assert np.isnan(v) or v <= 1 + 1e-12
    for lv in ("nominal", "ordinal", "interval", "ratio"):
        v = krippendorff_alpha(x, lv).value
        assert np.isnan(v) or v <= 1 + 1e-12
    # no general lower bound: with missing scores Gwet's prevalences include candidates
    # with a single score, so kappa can fall below -1
    for v in (fleiss_kappa(x).value, gwet_ac(x, categories=CATS).value):
        assert np.isnan(v) or v <= 1 + 1e-12
    for tol in (0, 1):
        v = percent_agreement(x, tol).value
        assert np.isnan(v) or 0 <= v <= 1
    w = kendall_w(x).w
    assert np.isnan(w) or -1e-12 <= w <= 1 + 1e-12
    g = g_study(x)
    for v in (g.g, g.phi):
        assert np.isnan(v) or 0 <= v <= 1


@SETTINGS
@given(hnp.arrays(float, st.integers(3, 15), elements=st.integers(1, 5).map(float),
                  unique=False), st.integers(2, 6))
def test_perfect_agreement_gives_one(truth, k):
    if np.unique(truth).size < 2:
        truth = np.concatenate([truth, [1.0, 5.0]])
    x = np.repeat(truth[:, None], k, axis=1)
    for f in ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(2,k)"):
        assert abs(icc(x)[f].value - 1) < 1e-12
    for lv in ("nominal", "ordinal", "interval", "ratio"):
        assert abs(krippendorff_alpha(x, lv).value - 1) < 1e-12
    assert abs(fleiss_kappa(x).value - 1) < 1e-12
    assert abs(gwet_ac(x).value - 1) < 1e-12
    assert percent_agreement(x).value == 1
    assert abs(kendall_w(x).w - 1) < 1e-12


@SETTINGS
@given(panels(), st.integers(-3, 10))
def test_adding_a_constant_changes_nothing_relevant(x, c):
    shifted_cats = [v + c for v in CATS]
    before = [icc(x, missing="model")["ICC(2,1)"].value, icc(x)["ICC(3,k)"].value,
              krippendorff_alpha(x, "interval").value, krippendorff_alpha(x, "ordinal").value,
              krippendorff_alpha(x, "nominal").value, fleiss_kappa(x, categories=CATS).value,
              gwet_ac(x, "linear", categories=CATS).value, percent_agreement(x, 1).value,
              kendall_w(x).w, g_study(x).g]
    y = x + c
    after = [icc(y, missing="model")["ICC(2,1)"].value, icc(y)["ICC(3,k)"].value,
             krippendorff_alpha(y, "interval").value, krippendorff_alpha(y, "ordinal").value,
             krippendorff_alpha(y, "nominal").value, fleiss_kappa(y, categories=shifted_cats).value,
             gwet_ac(y, "linear", categories=shifted_cats).value, percent_agreement(y, 1).value,
             kendall_w(y).w, g_study(y).g]
    np.testing.assert_allclose(before, after, rtol=1e-7, atol=1e-9, equal_nan=True)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(-2, 5))
def test_rater_effects_shift_and_permutation(seed, c):
    rng = np.random.default_rng(seed)
    x = np.clip(np.rint(3 + rng.normal(size=(30, 1, 1)) + rng.normal(size=(30, 4, 3))), 1, 5)
    base = rater_effects(x, (1, 5))
    shifted = rater_effects(x + c, (1 + c, 5 + c))
    order = rng.permutation(4)
    permuted = rater_effects(x[rng.permutation(30)][:, order], (1, 5))
    for a, b in zip(base, shifted, strict=True):
        assert a.flags == b.flags
        np.testing.assert_allclose([a.deviation, a.z, a.slope, a.sd_ratio, a.halo, a.fit],
                                   [b.deviation, b.z, b.slope, b.sd_ratio, b.halo, b.fit],
                                   rtol=1e-7, atol=1e-9)
    for j, p in zip(order, permuted, strict=True):
        a = base[j]
        assert a.flags == p.flags
        np.testing.assert_allclose([a.deviation, a.se, a.rest_correlation, a.fit],
                                   [p.deviation, p.se, p.rest_correlation, p.fit],
                                   rtol=1e-7, atol=1e-9)
