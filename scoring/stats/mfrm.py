"""Many-facet Rasch measurement: candidates, examiners and criteria on one logit scale."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import _jmle
from ._jmle import Obs, Params
from ._rasch_fit import results
from ._rasch_results import FACETS, BiasTerm, FacetMeasures, MFRMResult, Subset, Threshold
from ._validate import as_ratings, check_scale

__all__ = ["BiasTerm", "FacetMeasures", "MFRMResult", "Subset", "Threshold", "mfrm"]

def mfrm(ratings3d, scale: Sequence[float], candidates: Sequence | None = None,
         examiners: Sequence | None = None, criteria: Sequence | None = None, *,
         extreme_adjustment: float = 0.3, converge: tuple[float, float] = (1e-3, 1e-5),
         max_iterations: int = 100, max_step: float = 1.0) -> MFRMResult:
    """Fit the rating-scale many-facet Rasch model by joint maximum likelihood (JMLE).

    log(P_nijk / P_nij(k−1)) = B_n − C_j − D_i − F_k: candidate ability B, examiner
    severity C, criterion difficulty D and Rasch–Andrich thresholds F.

    Parameters
    ----------
    ratings3d : array_like, shape (n_candidates, n_examiners, n_criteria)
        Whole scale points, NaN where missing.
    scale : (min, max)
        The rubric's scale; every score must lie in it.
    candidates, examiners, criteria : sequence, optional
        Labels; indices when None.
    extreme_adjustment : float
        Score points moved inward from an extreme (all-minimum or all-maximum) element's
        score to estimate its measure, 0.3 as in FACETS (``Xtreme=``) and Winsteps
        (``EXTRSCORE=``). In (0, 0.5].
    converge : (float, float)
        Stop when the largest score residual of any element (score points) and the largest
        change of any estimate (logits) are both below these. FACETS' default is
        (0.5, 0.01); ours is stricter because each iteration is cheap.
    max_iterations : int
        Give up (``converged=False``) after this many Newton steps.
    max_step : float
        Largest change of any estimate in one step (logits), FACETS' damping.

    Returns
    -------
    MFRMResult

    Notes
    -----
    Constraints: examiner and criterion measures centred at 0, thresholds sum to 0;
    candidates float. Unused categories inside the observed range are squeezed out (FACETS'
    default ``Ordinal``); ``categories`` lists those modelled. Elements with an extreme
    score are removed (repeatedly, as their removal can make others extreme), the rest are
    estimated, then each extreme element alone is estimated from its score moved inward by
    ``extreme_adjustment``, the others held fixed; its fit is not defined (NaN).

    Estimation: Newton–Raphson on the joint likelihood. FACETS updates one facet at a time
    and converges linearly; here the candidates' diagonal block of the information is
    eliminated exactly, so every step is a full Newton step for all facets (quadratic
    convergence, the same estimates), each change limited to ``max_step`` logits.
    Candidates with the same raw score on the same cells have the same estimate (their raw
    score is sufficient), so each such group is estimated once, its observations in a cell
    merged into one weighted row: a complete design of 10,000 candidates has a few hundred
    rows per step, not 400,000. The statistics after convergence are computed once per
    distinct (measure, examiner, criterion).

    SE: model standard error 1 / sqrt(Σ W) per element. Fit: infit = Σ(x−E)² / Σ W,
    outfit = mean((x−E)² / W), standardised by the Wilson–Hilferty cube root with the
    model variance of the mean-squares (Wright & Masters 1982). Fair average (FACETS'
    "Fair(M)"): the expected score of the element with every other facet at its mean
    measure (0 for examiners and criteria, the candidates' mean for candidates). Separation
    G = true SD / RMSE, reliability = true variance / observed variance (population SD),
    strata = (4G + 1) / 3, fixed chi-square Σ w D² − (Σ w D)² / Σ w with w = 1/SE² on L − 1
    df. JMLE spreads measures too far; the (L−1)/L correction (Wright & Douglas 1977) uses
    L = the mean number of scores per candidate and scales every measure and threshold.
    Bias terms: for each examiner × criterion cell, the extra severity b solving
    Σ (x − E(B − C − D − b)) = 0 with all main measures fixed (FACETS' bias analysis; a cell
    with only extreme scores is moved 0.5 points inward, FACETS' second ``Xtreme=`` value).

    A disconnected design (elements in parts linked by no score) cannot put all measures
    on one scale: the parts are reported in ``subsets`` and nothing is estimated. So is a
    connected but confounded design (e.g. each examiner scoring only their own criterion).

    References
    ----------
    Linacre, J. M. (1989). Many-Facet Rasch Measurement. MESA Press.
    Linacre, J. M. (2024). A User's Guide to FACETS. Winsteps.com.
    Eckes, T. (2015). Introduction to Many-Facet Rasch Measurement (2nd ed.). Peter Lang.
    Wright, B. D., & Masters, G. N. (1982). Rating Scale Analysis. MESA Press.
    Wright, B. D., & Douglas, G. A. (1977). Best procedures for sample-free item analysis.
    Applied Psychological Measurement, 1(2), 281-295.
    Andersen, E. B. (1973). Conditional Inference and Models for Measuring.
    Mentalhygiejnisk Forlag. (The JML estimate with two items is twice the conditional one.)

    Examples
    --------
    Andersen (1973) showed that with two items the joint maximum likelihood estimate of
    their difference is twice the conditional one, ln(n10 / n01); the (L−1)/L factor of
    Wright & Douglas (1977) with L = 2 undoes it. Two examiners, one criterion, scores 0-1:
    30 candidates get 1 from A and 0 from B, 10 the other way round, and 10 the same score
    from both (extreme candidates, estimated apart):

    >>> import math
    >>> import numpy as np
    >>> from scoring.stats import mfrm
    >>> pairs = [(1, 0)] * 30 + [(0, 1)] * 10 + [(1, 1)] * 5 + [(0, 0)] * 5
    >>> result = mfrm(np.array(pairs, dtype=float)[:, :, None], (0, 1), examiners=["A", "B"])
    >>> c = result.examiners
    >>> round(float(c.measure[1] - c.measure[0]), 4), round(2 * math.log(30 / 10), 4)
    (2.1972, 2.1972)
    >>> diff = float(c.measure_corrected[1] - c.measure_corrected[0])
    >>> round(diff, 4), round(math.log(3), 4)
    (1.0986, 1.0986)
    """
    x = as_ratings(ratings3d, "ratings3d", ndim=3)
    low, high = check_scale(scale)
    ids = [_labels(lab, size, name) for lab, size, name in
           zip((candidates, examiners, criteria), x.shape, FACETS, strict=True)]
    if not 0 < extreme_adjustment <= 0.5:
        raise ValueError(f"extreme_adjustment must be in (0, 0.5]; got {extreme_adjustment!r}")
    if len(converge) != 2 or not all(v > 0 for v in converge):
        raise ValueError(f"converge must be two positive numbers; got {converge!r}")
    if max_iterations < 1 or max_step <= 0:
        raise ValueError("max_iterations must be >= 1 and max_step > 0")
    nn, jj, ii = np.nonzero(~np.isnan(x))
    vals = x[nn, jj, ii]
    if vals.size and (vals.min() < low or vals.max() > high):
        raise ValueError(f"ratings3d has scores outside scale {low:g}..{high:g}")
    if not np.array_equal(vals, np.rint(vals)) or low != round(low) or high != round(high):
        raise ValueError("ratings3d and scale must hold whole scale points for mfrm")
    offset, where = _jmle.unique_rows((vals - low).astype(np.intp), int(high - low) + 1)
    cats, y = low + offset.astype(float), where  # the categories used, and their codes
    o = Obs(nn.astype(np.intp), jj.astype(np.intp), ii.astype(np.intp), y.astype(float),
            x.shape, max(cats.size - 1, 0))
    if cats.size < 2:
        return _empty(ids, cats, o, extreme_adjustment,
                      "fewer than two score categories are used: nothing to measure",
                      code="categories")
    subsets, confounded = _connectivity(o, ids)
    if len(subsets) > 1:
        return _empty(ids, cats, o, extreme_adjustment,
                      f"the design is disconnected: {len(subsets)} subsets of candidates and "
                      "examiners are linked by no examiner or candidate in common, so their "
                      "measures are not on one scale", subsets, code="disconnected")
    if confounded:
        return _empty(ids, cats, o, extreme_adjustment,
                      "examiner and criterion effects are confounded: the examiners do not "
                      "share criteria and candidates enough to separate them", subsets,
                      code="confounded")
    return _estimate(o, ids, cats, subsets, extreme_adjustment, converge, max_iterations,
                     max_step)


def _labels(labels, size: int, name: str) -> tuple:
    out = tuple(range(size)) if labels is None else tuple(labels)
    if len(out) != size:
        raise ValueError(f"{name} has {len(out)} labels for {size} {name} in ratings3d")
    return out


def _connectivity(o: Obs, ids) -> tuple[tuple[Subset, ...], bool]:
    """Return the parts of the design that share one scale, and whether examiner and
    criterion effects are confounded within one part.

    The unit-weight additive model B − C − D has exactly two shift invariances when every
    measure is linked to every other. Each further null direction of its information
    (candidates absorbed: S'S − Σ_n s_n s_n' / m_n over examiner and criterion indicators)
    either moves a group of candidates together with their examiners against the rest — a
    disconnected subset, as when two panels share criteria but neither examiners nor
    candidates — or trades examiners against criteria with candidates fixed (confounded).
    Candidates are grouped by their loadings on the null directions.
    """
    n_c, n_e, n_r = o.sizes
    ex_used, cr_used, cand = (np.flatnonzero(np.bincount(idx, None, size)) for idx, size in
                              ((o.j, n_e), (o.i, n_r), (o.n, n_c)))
    cross = np.hstack([np.bincount(o.n * n_e + o.j, None, n_c * n_e).reshape(n_c, n_e),
                       np.bincount(o.n * n_r + o.i, None, n_c * n_r).reshape(n_c, n_r)])
    cross = cross[np.ix_(cand, np.concatenate([ex_used, n_e + cr_used]))]
    m_n = np.bincount(o.n, None, n_c)[cand]
    jc = np.bincount(o.j * n_r + o.i, None, n_e * n_r).reshape(n_e, n_r)[np.ix_(ex_used, cr_used)]
    info = np.block([[np.diag(jc.sum(axis=1)), jc], [jc.T, np.diag(jc.sum(axis=0))]])
    schur = info - (cross / m_n[:, None]).T @ cross
    eig, vec = np.linalg.eigh(schur)
    null = vec[:, eig < 1e-9 * max(float(eig.max()), 1.0)]
    if null.shape[1] <= 2:
        return (Subset(tuple(ids[0][k] for k in cand), tuple(ids[1][k] for k in ex_used),
                       tuple(ids[2][k] for k in cr_used)),), False
    loading = np.round(-(cross @ null) / m_n[:, None], 6) + 0.0  # + 0.0: no negative zero
    _, group = np.unique(loading, axis=0, return_inverse=True)
    group = group.ravel()
    if group.max() == 0:
        return (Subset(tuple(ids[0][k] for k in cand), tuple(ids[1][k] for k in ex_used),
                       tuple(ids[2][k] for k in cr_used)),), True
    of_cand = np.full(n_c, -1)
    of_cand[cand] = group
    obs_group = of_cand[o.n]
    parts = []
    first = [int(np.nonzero(group == g)[0][0]) for g in range(int(group.max()) + 1)]
    for g in np.argsort(first):
        sel = obs_group == g
        parts.append(Subset(tuple(ids[0][k] for k in np.unique(o.n[sel])),
                            tuple(ids[1][k] for k in np.unique(o.j[sel])),
                            tuple(ids[2][k] for k in np.unique(o.i[sel]))))
    return tuple(parts), False


def _estimate(o: Obs, ids, cats, subsets, adj: float, converge, max_iterations: int,
              max_step: float) -> MFRMResult:
    """Estimate the measures of a connected design, then every statistic from them."""
    active, ext = _jmle.extremes(o)
    used = np.bincount(o.y[active].astype(np.intp), None, o.m + 1)
    if not active.any() or (used == 0).any():
        return _empty(ids, cats, o, adj, "every element has an extreme score, or a category "
                      "is used only by elements with extreme scores: thresholds are not "
                      "estimable", subsets, code="extremes")
    merged, group = _jmle.merge(o, active)
    # start: thresholds from the log ratios of adjacent category counts (as FACETS' and
    # Winsteps' first estimates), candidates where their mean score is expected
    f0 = np.log(used[:-1] / used[1:])
    f0 -= f0.mean()
    mean = np.bincount(merged.n, merged.y, merged.sizes[0]) / np.bincount(
        merged.n, merged.cnt, merged.sizes[0])
    t = Params(_jmle.start(np.clip(mean, 0.1, o.m - 0.1), f0), np.zeros(o.sizes[1]),
               np.zeros(o.sizes[2]), f0)
    start_extreme = float(_jmle.start(np.array([0.1]), f0)[0])
    status = _iterate(merged, t, converge, max_iterations, max_step)
    b = np.where(group >= 0, t.b[np.maximum(group, 0)], start_extreme + status[4])
    t = Params(b, t.c, t.d, t.f)
    # extreme elements, one facet at a time, from their score moved inward
    for f, index in enumerate((o.n, o.j, o.i)):
        members = np.nonzero(ext[f])[0]
        target = np.bincount(index, o.y, o.sizes[f]) - adj * ext[f]
        _jmle.solve_one(o, t, f, members, target, max_step)
    return results(o, t, ids, cats, subsets, adj, active, ext, status[:4], max_step)


def _iterate(o: Obs, t: Params, converge, max_iterations: int, max_step: float) -> tuple:
    """Run Newton steps on the merged observations until converged; return (converged,
    iterations, largest residual, largest change, total shift of B by the recentring)."""
    ex_mask, cr_mask = np.bincount(o.j, None, o.sizes[1]) > 0, np.bincount(
        o.i, None, o.sizes[2]) > 0
    converged, gmax, change, it = False, math.inf, math.inf, 0
    b_shift = 0.0
    for it in range(1, max_iterations + 1):  # noqa: B007 (it is reported)
        gmax, *steps = _jmle.newton_step(o, t)
        steps = [np.clip(s, -max_step, max_step) for s in steps]
        change = max(float(np.abs(s).max(initial=0.0)) for s in steps)
        for arr, s in zip((t.b, t.c, t.d, t.f), steps, strict=True):
            arr += s
        b_shift += _jmle.recentre(t, ex_mask, cr_mask)
        if gmax < converge[0] and change < converge[1]:
            converged = True
            break
    return converged, it, gmax, change, b_shift


def _empty(ids, cats, o: Obs, adj: float, reason: str, subsets=(), *,
           code: str) -> MFRMResult:
    """Return a result with no measures, saying why."""
    facets = []
    for f, index in enumerate((o.n, o.j, o.i)):
        size = o.sizes[f]
        count = np.bincount(index, None, size)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = np.bincount(index, cats[o.y.astype(np.intp)] if cats.size else None,
                              size) / count
        nan = np.full(size, np.nan)
        facets.append(FacetMeasures(FACETS[f], tuple(ids[f]), nan, nan, nan, nan, nan, nan,
                                    nan, count, avg, nan, np.zeros(size, np.int8)))
    return MFRMResult(*facets, (), (), tuple(float(c) for c in cats), False, 0, math.nan,
                      math.nan, math.nan, adj, int(o.y.size), tuple(subsets), reason, code)
