"""Many-facet Rasch model (scoring.stats.mfrm): known truth, an independent optimiser, designs.

Published FACETS examples: the Guilford (1954) creativity ratings that FACETS' manual uses
(Linacre, "3 facet rating scale: Creativity", winsteps.com/facetman/creativity.htm,
Guilford.txt) were searched for again: the stored copy of that page shows the specification
header only, not the data lines or FACETS' Table 7, and no repository, R package (TAM, sirt,
immer, mfrmr) or page found holds both the data and FACETS' (or another JMLE program's)
measure table, so no FACETS figure is asserted. The published JMLE value asserted is
Andersen's (1973) closed form for two items, with the (L-1)/L correction of Wright & Douglas
(1977); the other oracles are a planted-truth simulation and a direct maximisation of the
same joint likelihood with scipy.optimize.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, special

from scoring.stats import mfrm
from scoring.stats.panel import panel_analysis


def category_probabilities(eta, thresholds):
    """P(X = k), k = 0..m, straight from the model's definition (rows: observations)."""
    m = len(thresholds)
    psi = np.concatenate(([0.0], np.cumsum(thresholds)))
    logits = np.outer(eta, np.arange(m + 1)) - psi
    return np.exp(logits - special.logsumexp(logits, axis=1, keepdims=True))


def simulate(rng, ability, severity, difficulty, thresholds, low=1):
    """Draw scores from the rating-scale MFRM; returns (n, j, i) scores from `low`."""
    eta = (ability[:, None, None] - severity[None, :, None] - difficulty[None, None, :])
    p = category_probabilities(eta.ravel(), thresholds)
    u = rng.random(p.shape[0])
    y = (np.cumsum(p, axis=1) < u[:, None]).sum(axis=1)
    return (y + low).reshape(eta.shape).astype(float)


def centred(v):
    v = np.asarray(v, float)
    return v - v.mean()


def test_planted_severities_are_recovered():
    rng = np.random.default_rng(20261201)
    severity = centred(np.linspace(-1.0, 1.0, 8))
    difficulty = centred([-0.5, 0.0, 0.2, 0.3])
    x = simulate(rng, rng.normal(0, 1, 300), severity, difficulty, [-1.5, 0.0, 1.5])
    res = mfrm(x, (1, 4))
    assert res.converged and res.reason is None
    est = res.examiners.measure
    assert np.corrcoef(est, severity)[0, 1] >= 0.99
    assert np.abs(est - severity).mean() <= 0.1
    assert np.abs(res.criteria.measure - difficulty).mean() <= 0.1
    # constraints
    assert abs(est.sum()) < 1e-9 and abs(res.criteria.measure.sum()) < 1e-9
    assert abs(sum(t.measure for t in res.thresholds)) < 1e-9
    # the corrected estimates are the uncorrected ones times (L-1)/L, L = 32 scores each
    assert res.correction == pytest.approx(31 / 32)
    assert np.allclose(res.examiners.measure_corrected, est * 31 / 32)
    # a harsher examiner has a lower fair average; severity is well separated
    order = np.argsort(est)
    assert np.all(np.diff(res.examiners.fair_average[order]) < 0)
    assert res.examiners.separation > 3 and res.examiners.reliability > 0.9
    assert res.examiners.p < 1e-6 and res.examiners.df == 7


def test_erratic_examiner_misfits_and_central_examiner_overfits():
    rng = np.random.default_rng(7)
    n, k, c = 200, 6, 4
    ability = rng.normal(0, 1.5, n)
    severity = np.zeros(k)
    difficulty = centred([-0.3, 0.0, 0.1, 0.2])
    thresholds = [-2.0, -0.7, 0.7, 2.0]
    x = simulate(rng, ability, severity, difficulty, thresholds)
    # examiner 0: half of the scores are a random level of 1..5
    noise = rng.random((n, c)) < 0.5
    x[:, 0, :] = np.where(noise, rng.integers(1, 6, (n, c)), x[:, 0, :])
    # examiner 1: central tendency, the expected score rounded and kept off both ends
    eta = ability[:, None] - difficulty[None, :]
    expected = (category_probabilities(eta.ravel(), thresholds) @ np.arange(5)).reshape(n, c)
    x[:, 1, :] = np.clip(np.rint(expected + 1), 2, 4)
    res = mfrm(x, (1, 5))
    assert res.converged
    assert res.examiners.infit[0] > 1.3 and res.examiners.infit_zstd[0] > 2
    assert res.examiners.infit[1] < 0.7 and res.examiners.infit_zstd[1] < -2
    assert np.all(np.abs(res.examiners.infit[2:] - 1) < 0.25)


def joint_negative_log_likelihood(x, low):
    """Return f(theta) -> (nll, grad) over free parameters, and the unpacking function.

    Independent of the product: dense design matrices, logsumexp, sum-to-zero by dropping
    the last examiner, criterion and threshold (each the negative sum of the others).
    """
    n, k, c = x.shape
    nn, jj, ii = np.nonzero(~np.isnan(x))
    y = (x[nn, jj, ii] - low).astype(int)
    m = int(y.max())

    def to_full(free):
        b = free[:n]
        cs = np.append(free[n:n + k - 1], -free[n:n + k - 1].sum())
        ds = np.append(free[n + k - 1:n + k + c - 2], -free[n + k - 1:n + k + c - 2].sum())
        fs = np.append(free[n + k + c - 2:], -free[n + k + c - 2:].sum())
        return b, cs, ds, fs

    reduce_sum = [(n, n + k - 1), (n + k - 1, n + k + c - 2), (n + k + c - 2, n + k + c - 3 + m)]

    def f(free):
        b, cs, ds, fs = to_full(free)
        eta = b[nn] - cs[jj] - ds[ii]
        psi = np.concatenate(([0.0], np.cumsum(fs)))
        logits = np.outer(eta, np.arange(m + 1)) - psi
        lse = special.logsumexp(logits, axis=1)
        ll = (y * eta - psi[y] - lse).sum()
        p = np.exp(logits - lse[:, None])
        r = y - p @ np.arange(m + 1)
        g_b = np.bincount(nn, r, n)
        g_c = -np.bincount(jj, r, k)
        g_d = -np.bincount(ii, r, c)
        tail = np.cumsum(p[:, ::-1], axis=1)[:, ::-1][:, 1:]  # P(X >= h), h = 1..m
        g_f = (tail - (y[:, None] >= np.arange(1, m + 1))).sum(axis=0)
        grad = [g_b]
        for full, (a, z) in zip((g_c, g_d, g_f), reduce_sum, strict=True):
            grad.append(full[:z - a] - full[-1])
        return -ll, -np.concatenate(grad)

    return f, to_full, n + k + c + m - 3


def test_jmle_agrees_with_direct_maximisation_of_the_joint_likelihood():
    rng = np.random.default_rng(11)
    x = simulate(rng, rng.normal(0, 0.8, 25), centred([-0.6, 0.1, 0.2, 0.3]),
                 centred([-0.4, 0.1, 0.3]), [-1.0, 0.0, 1.0])
    totals = np.nansum(x, axis=(1, 2))
    assert np.all((totals > 12) & (totals < 48)), "the design must have no extreme score"
    x[3, 1, 2] = np.nan  # one missing score
    res = mfrm(x, (1, 4))
    assert res.converged and not (res.candidates.extreme != 0).any()
    f, to_full, size = joint_negative_log_likelihood(x, 1)
    opt = optimize.minimize(f, np.zeros(size), jac=True, method="BFGS",
                            options={"gtol": 1e-9, "maxiter": 5000})
    b, cs, ds, fs = to_full(opt.x)
    assert np.abs(res.candidates.measure - b).max() < 1e-4
    assert np.abs(res.examiners.measure - cs).max() < 1e-4
    assert np.abs(res.criteria.measure - ds).max() < 1e-4
    assert np.abs(np.array([t.measure for t in res.thresholds]) - fs).max() < 1e-4


def test_candidates_merged_by_score_and_cells_agree_with_direct_maximisation():
    # mfrm estimates candidates alike in raw score and scored cells as one group (JMLE's
    # sufficiency); with few categories and missing scores in a few patterns many candidates
    # share a group, others share a score but not the cells: the estimates must still be
    # those of the joint likelihood of every candidate apart
    rng = np.random.default_rng(23)
    x = simulate(rng, rng.normal(0, 0.7, 60), centred([-0.5, 0.0, 0.5]),
                 centred([-0.3, 0.3]), [-0.8, 0.8])
    x[::4, 0, 0] = np.nan
    x[1::6, 2, 1] = np.nan
    x[0] = [[2, 1], [2, 3], [1, 2]]  # no extreme candidate
    x[1] = [[1, 3], [2, 2], [3, np.nan]]
    totals = np.nansum(x - 1, axis=(1, 2))
    counts = (~np.isnan(x)).sum(axis=(1, 2))
    x = x[(totals > 0) & (totals < 2 * counts)]
    res = mfrm(x, (1, 3))
    assert res.converged and not (res.candidates.extreme != 0).any()
    pattern = [tuple(np.isnan(row).ravel()) + (float(np.nansum(row)),) for row in x]
    assert len(set(pattern)) < len(pattern) / 2, "many candidates must share a group"
    f, to_full, size = joint_negative_log_likelihood(x, 1)
    opt = optimize.minimize(f, np.zeros(size), jac=True, method="BFGS",
                            options={"gtol": 1e-9, "maxiter": 5000})
    b, cs, ds, fs = to_full(opt.x)
    assert np.abs(res.candidates.measure - b).max() < 1e-4
    assert np.abs(res.examiners.measure - cs).max() < 1e-4
    assert np.abs(res.criteria.measure - ds).max() < 1e-4
    assert np.abs(np.array([t.measure for t in res.thresholds]) - fs).max() < 1e-4


def test_model_se_fit_and_fair_average_follow_their_definitions():
    rng = np.random.default_rng(3)
    x = simulate(rng, rng.normal(0, 1, 40), centred([-0.3, 0.0, 0.3]), centred([0.2, -0.2]),
                 [-1.0, 1.0])
    res = mfrm(x, (1, 3))
    e = 0
    ab, f = res.examiners.measure, np.array([t.measure for t in res.thresholds])
    eta = (res.candidates.measure[:, None] - ab[e] - res.criteria.measure[None, :]).ravel()
    obs = x[:, e, :].ravel() - 1
    p = category_probabilities(eta, f)
    mean = p @ np.arange(3)
    var = p @ np.arange(3) ** 2 - mean ** 2
    keep = res.candidates.extreme == 0
    keep2 = np.repeat(keep, 2)
    assert res.examiners.se[e] == pytest.approx(1 / math.sqrt(var.sum()))
    z2 = (obs - mean) ** 2
    assert res.examiners.infit[e] == pytest.approx(z2[keep2].sum() / var[keep2].sum())
    assert res.examiners.outfit[e] == pytest.approx((z2[keep2] / var[keep2]).mean())
    # fair average: expected score at the mean candidate and a criterion of difficulty 0
    fair_eta = np.nanmean(res.candidates.measure) - ab[e]
    fair = category_probabilities([fair_eta], f) @ np.array([1.0, 2.0, 3.0])
    assert res.examiners.fair_average[e] == pytest.approx(fair[0])
    assert res.examiners.observed_average[e] == pytest.approx(np.nanmean(x[:, e, :]))


def test_extreme_candidates_are_estimated_from_an_adjusted_score():
    rng = np.random.default_rng(5)
    x = simulate(rng, rng.normal(0, 1, 30), centred([-0.2, 0.0, 0.2]), centred([0.0, 0.1]),
                 [-1.0, 0.0, 1.0])
    x[0], x[1] = 4.0, 1.0
    res = mfrm(x, (1, 4))
    assert res.candidates.extreme[0] == 1 and res.candidates.extreme[1] == -1
    assert math.isnan(res.candidates.infit[0])
    top = res.candidates.measure[0]
    assert top > np.nanmax(res.candidates.measure[2:])
    # the measure reproduces the maximum score less 0.3 points
    eta = (top - res.examiners.measure[:, None] - res.criteria.measure[None, :]).ravel()
    p = category_probabilities(eta, [t.measure for t in res.thresholds])
    assert (p @ np.arange(4)).sum() == pytest.approx(6 * 3 - 0.3, abs=1e-6)
    half = mfrm(x, (1, 4), extreme_adjustment=0.5)
    assert half.candidates.measure[0] < top


def test_a_disconnected_design_is_reported_as_subsets_not_estimated():
    rng = np.random.default_rng(2)
    x = np.full((20, 4, 3), np.nan)
    # two panels on the same criteria, sharing neither examiners nor candidates
    x[:10, :2, :] = rng.integers(1, 5, (10, 2, 3))
    x[10:, 2:, :] = rng.integers(1, 5, (10, 2, 3))
    res = mfrm(x, (1, 4), candidates=[f"c{i}" for i in range(20)],
               examiners=["ana", "budi", "citra", "dewi"])
    assert not res.estimated and "disconnected" in res.reason
    assert [s.examiners for s in res.subsets] == [("ana", "budi"), ("citra", "dewi")]
    assert res.subsets[0].candidates == tuple(f"c{i}" for i in range(10))
    assert np.isnan(res.examiners.measure).all()
    # one shared candidate links them
    x[0, 2:, :] = rng.integers(1, 5, (2, 3))
    linked = mfrm(x, (1, 4))
    assert linked.estimated and len(linked.subsets) == 1


def test_confounded_design_is_reported():
    rng = np.random.default_rng(4)
    x = np.full((20, 2, 2), np.nan)
    x[:, 0, 0] = rng.integers(1, 5, 20)
    x[:, 1, 1] = rng.integers(1, 5, 20)
    res = mfrm(x, (1, 4))
    assert not res.estimated and "confounded" in res.reason


def test_bias_term_finds_an_examiner_harsh_on_one_criterion():
    rng = np.random.default_rng(9)
    x = simulate(rng, rng.normal(0, 1, 150), np.zeros(4), np.zeros(3), [-1.0, 0.0, 1.0])
    harsh = simulate(rng, rng.normal(0, 1, 150), np.array([1.5]), np.zeros(1),
                     [-1.0, 0.0, 1.0])
    x[:, 2, 1] = harsh[:, 0, 0]
    res = mfrm(x, (1, 4))
    terms = {(b.examiner, b.criterion): b for b in res.bias}
    worst = max(res.bias, key=lambda b: b.t)
    assert (worst.examiner, worst.criterion) == (2, 1)
    assert worst.bias > 0.8 and worst.p < 1e-6 and worst.df == 149
    assert worst.observed_average < worst.expected_average
    assert abs(terms[(0, 0)].t) < 4


def test_unused_middle_category_is_squeezed_out():
    rng = np.random.default_rng(8)
    x = simulate(rng, rng.normal(0, 1, 40), np.zeros(3), np.zeros(2), [-1.0, 1.0])
    x[x == 2] = 3  # nobody uses 2 on a 1..3 scale... now on 1..4 with 2 unused
    x[x == 3] = 4
    x[x == 1] = rng.choice([1.0, 3.0], size=int((x == 1).sum()))
    res = mfrm(x, (1, 4))
    assert res.categories == (1.0, 3.0, 4.0)
    assert [t.category for t in res.thresholds] == [3.0, 4.0]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"ratings3d": np.ones((3, 2))}, "ratings3d must have shape"),
    ({"scale": (4, 1)}, "scale must satisfy"),
    ({"ratings3d": np.full((3, 2, 2), 5.0)}, "outside scale"),
    ({"ratings3d": np.full((3, 2, 2), 1.5)}, "whole scale points"),
    ({"examiners": ["a"]}, "examiners has 1 labels for 2"),
    ({"extreme_adjustment": 0.0}, "extreme_adjustment"),
    ({"converge": (0.0, 1e-3)}, "converge"),
])
def test_bad_input_raises_naming_the_argument(kwargs, message):
    args = {"ratings3d": np.array([[[1, 2], [2, 3]], [[3, 4], [1, 2]], [[2, 2], [4, 3]]],
                                  float), "scale": (1, 4), **kwargs}
    with pytest.raises(ValueError, match=message):
        mfrm(**args)


def test_one_category_only_is_explained():
    res = mfrm(np.full((4, 2, 2), 3.0), (1, 4))
    assert not res.estimated and "fewer than two score categories" in res.reason


def test_rasch_block_in_panel_analysis():
    rng = np.random.default_rng(12)
    x = simulate(rng, rng.normal(0, 1, 30), centred([-0.5, 0.0, 0.5]), centred([0.0, 0.2]),
                 [-1.0, 0.0, 1.0])
    d = panel_analysis(x, (1, 4), examiners=["ana", "budi", "citra"],
                       criteria=["K1", "K2"]).to_dict()
    rasch = d["rasch"]
    assert [e["id"] for e in rasch["examiners"]] == ["ana", "budi", "citra"]
    for key in ("id", "measure", "se", "infit", "outfit", "fair_average"):
        assert key in rasch["examiners"][0] and key in rasch["criteria"][0]
        assert key in rasch["candidates"][0]
    assert set(rasch["separation"]) == {"candidates", "examiners", "criteria"}
    assert set(rasch["reliability"]) == {"candidates", "examiners", "criteria"}
    assert len(rasch["thresholds"]) == 3 and rasch["converged"] is True
    direct = mfrm(x, (1, 4))
    assert rasch["examiners"][2]["measure"] == pytest.approx(direct.examiners.measure[2])


@pytest.mark.parametrize("n10,n01", [(30, 10), (12, 20), (7, 7)])
def test_two_examiners_reproduce_andersens_jmle_result(n10, n01):
    # Andersen, E. B. (1973). Conditional Inference and Models for Measuring. Mentalhygiejnisk
    # Forlag: with two dichotomous items the joint maximum likelihood estimate of their
    # difference is exactly twice the conditional one, ln(n10 / n01). Wright & Douglas (1977)
    # correct JMLE by (L-1)/L: with L = 2 scores per candidate that halves it back. Here the
    # two "items" are two examiners scoring one criterion 0-1; candidates with the same score
    # from both are extreme and do not enter the estimate.
    pairs = [(1, 0)] * n10 + [(0, 1)] * n01 + [(1, 1)] * 4 + [(0, 0)] * 3
    res = mfrm(np.array(pairs, float)[:, :, None], (0, 1), examiners=["A", "B"])
    assert res.converged and res.correction == 0.5
    c = res.examiners
    assert c.measure[1] - c.measure[0] == pytest.approx(2 * math.log(n10 / n01), abs=1e-6)
    assert c.measure_corrected[1] - c.measure_corrected[0] == pytest.approx(
        math.log(n10 / n01), abs=1e-6)
    assert c.measure.sum() == pytest.approx(0.0, abs=1e-9)
