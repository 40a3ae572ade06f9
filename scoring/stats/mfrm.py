"""Many-facet Rasch measurement: candidates, examiners and criteria on one logit scale."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special

from . import _jmle
from ._jmle import Obs, Params
from ._rasch_results import FACETS, BiasTerm, FacetMeasures, MFRMResult, Subset, Threshold
from ._validate import as_ratings, check_scale

__all__ = ["BiasTerm", "FacetMeasures", "MFRMResult", "Subset", "Threshold", "mfrm"]

# FACETS' Xtreme= 0.3, 0.5: an extreme bias cell is moved 0.5 score points inward, "because
# scores within 0.5 score points of their expected values are as unbiased as can be observed"
BIAS_EXTREME_ADJUSTMENT = 0.5


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
    cats, y = np.unique(vals, return_inverse=True)
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
    ex_used, cr_used = np.unique(o.j), np.unique(o.i)
    cand = np.unique(o.n)
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
    return _results(o, t, ids, cats, subsets, adj, active, ext, status[:4], max_step)


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


def _results(o: Obs, t: Params, ids, cats, subsets, adj: float, active, ext, status,
             max_step: float) -> MFRMResult:
    """Return the result: SEs, fit, fair averages, summaries, thresholds and bias terms.

    Every statistic needs the model's probabilities of each observation; they depend only on
    the candidate's measure and the cell, so they are computed once per distinct (measure,
    examiner, criterion) and gathered (:func:`_jmle.unique_rows`).
    """
    n_c, n_e, n_r = o.sizes
    scored = [np.bincount(idx, None, s) > 0 for idx, s in zip((o.n, o.j, o.i), o.sizes,
                                                             strict=True)]
    level, u = np.unique(t.b, return_inverse=True)
    rows, where = _jmle.unique_rows(u.ravel()[o.n] * (n_e * n_r) + o.j * n_r + o.i,
                                    level.size * n_e * n_r)
    tab = Obs(*(np.asarray(v, np.intp) for v in (rows // (n_e * n_r), rows // n_r % n_e,
                                                  rows % n_r)), np.zeros(rows.size),
              (level.size, n_e, n_r), o.m)
    p_tab = _jmle.probabilities(_jmle.eta_of(tab, Params(level, t.c, t.d, t.f)), t.f)
    e_tab, w_tab = _jmle.moments(p_tab)
    c4_tab = _jmle.fourth_moment(p_tab, e_tab)
    t.b[~scored[0]] = np.nan
    big_l = float(np.bincount(o.n, None, n_c)[scored[0]].mean())
    corr = (big_l - 1) / big_l if big_l > 1 else math.nan
    w_all = w_tab[where]
    w_act = w_all[active]
    fit_data = (o.y[active] - e_tab[where[active]], w_act, c4_tab[where[active]])
    b_mean = float(np.nanmean(t.b))
    centres = (0.0, b_mean, b_mean)
    facets = []
    for f, (index, arr, sign) in enumerate(zip((o.n, o.j, o.i), (t.b, t.c, t.d),
                                               (1.0, -1.0, -1.0), strict=True)):
        fair = cats @ _jmle.probabilities(np.nan_to_num(centres[f] + sign * arr), t.f)
        fair[~scored[f]] = np.nan
        facets.append(_facet(FACETS[f], ids[f], arr.copy(), corr, o, index, w_all, cats,
                             (index[active], *fit_data), fair, ext[f], scored[f]))
    g, _ = _jmle.upper_tails(p_tab)
    f_info = (g * (1 - g)) @ np.bincount(where[active], None, rows.size)
    counts = np.bincount(o.y.astype(np.intp), None, o.m + 1)
    thresholds = tuple(Threshold(float(cats[k + 1]), float(t.f[k]), float(t.f[k] * corr),
                                 float(1 / math.sqrt(f_info[k])), int(counts[k + 1]))
                       for k in range(o.m))
    tab.cnt = np.bincount(where, None, rows.size).astype(float)
    bias = _bias(o, tab, Params(level, t.c, t.d, t.f), ids, cats, p_tab,
                 BIAS_EXTREME_ADJUSTMENT, max_step)
    return MFRMResult(*facets, thresholds, bias, tuple(float(c) for c in cats), status[0],
                      status[1], float(status[2]), float(status[3]), corr, adj,
                      int(o.y.size), subsets)


def _facet(name, ident, measure, corr, o: Obs, index, w_all, cats, fit_data, fair, ext,
           scored) -> FacetMeasures:
    """Assemble one facet's measures, fit and summary."""
    size = measure.size
    count = np.bincount(index, None, size)
    with np.errstate(divide="ignore", invalid="ignore"):
        obs_avg = np.bincount(index, cats[o.y.astype(np.intp)], size) / count
        se = 1 / np.sqrt(np.bincount(index, w_all, size))
        fit_idx, resid, w, c4 = fit_data
        n_fit = np.bincount(fit_idx, None, size)
        sum_w = np.bincount(fit_idx, w, size)
        infit = np.bincount(fit_idx, resid * resid, size) / sum_w
        outfit = np.bincount(fit_idx, resid * resid / w, size) / n_fit
        q_in = np.sqrt(np.maximum(np.bincount(fit_idx, c4 - w * w, size), 0)) / sum_w
        q_out = np.sqrt(np.maximum(np.bincount(fit_idx, c4 / (w * w), size) / n_fit ** 2
                                   - 1 / n_fit, 0))
        infit_z = (np.cbrt(infit) - 1) * (3 / q_in) + q_in / 3
        outfit_z = (np.cbrt(outfit) - 1) * (3 / q_out) + q_out / 3
    no_fit = (ext != 0) | ~scored | (n_fit == 0)
    for arr in (infit, outfit, infit_z, outfit_z):
        arr[no_fit] = np.nan
    se[~scored] = np.nan
    summary = _summary(measure, se, scored & (ext == 0))
    ro = [np.asarray(v) for v in (measure, measure * corr, se, infit, infit_z, outfit,
                                  outfit_z, count, obs_avg, fair, ext)]
    for arr in ro:
        arr.setflags(write=False)
    return FacetMeasures(name, tuple(ident), *ro, **summary)


def _summary(measure, se, keep) -> dict:
    """Separation, reliability, strata and the fixed chi-square over `keep` elements."""
    d, s = measure[keep], se[keep]
    if d.size < 2:
        return {}
    sd = float(d.std())
    rmse = float(math.sqrt((s * s).mean()))
    true_var = max(sd * sd - rmse * rmse, 0.0)
    sep = math.sqrt(true_var) / rmse
    w = 1 / (s * s)
    q = float((w * d * d).sum() - (w * d).sum() ** 2 / w.sum())
    df = int(d.size - 1)
    return {"sd": sd, "rmse": rmse, "separation": sep,
            "reliability": true_var / (sd * sd) if sd > 0 else math.nan,
            "strata": (4 * sep + 1) / 3, "chi_square": q, "df": df,
            "p": float(special.chdtrc(df, q))}


def _bias(o: Obs, tab: Obs, t: Params, ids, cats, p_tab, adj: float,
          max_step: float) -> tuple[BiasTerm, ...]:
    """Examiner × criterion bias terms with every main measure fixed.

    ``tab`` holds the distinct (measure, examiner, criterion) rows with their counts and
    ``p_tab`` their probabilities; each cell's bias is solved on those rows.
    """
    _, n_e, n_r = o.sizes
    size = n_e * n_r
    cell = o.j * n_r + o.i
    count = np.bincount(cell, None, size)
    score = np.bincount(cell, o.y, size)
    lo, hi = score == 0, score == o.m * count
    target = score + adj * lo - adj * hi
    tab_cell = tab.j * n_r + tab.i
    eta = _jmle.eta_of(tab, t)
    b = np.zeros(size)
    info = np.zeros(size)
    for _ in range(100):
        e, w = _jmle.moments(_jmle.probabilities(eta - b[tab_cell], t.f))
        info = np.bincount(tab_cell, w * tab.cnt, size)
        step = np.clip((np.bincount(tab_cell, e * tab.cnt, size) - target)
                       / np.maximum(info, 1e-12), -max_step, max_step)
        step[count == 0] = 0
        b += step
        if np.abs(step).max() < 1e-7:
            break
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.bincount(cell, cats[o.y.astype(np.intp)], size) / count
        expected = np.bincount(tab_cell, (cats @ p_tab) * tab.cnt, size) / count
        se = 1 / np.sqrt(info)
    out = []
    for c in np.nonzero(count)[0]:
        j, i = divmod(int(c), n_r)
        df = int(count[c] - 1)
        tt = b[c] / se[c]
        p = float(2 * special.stdtr(df, -abs(tt))) if df > 0 else math.nan
        out.append(BiasTerm(ids[1][j], ids[2][i], int(count[c]), float(observed[c]),
                            float(expected[c]), float(b[c]), float(se[c]), float(tt), df, p,
                            bool(lo[c] or hi[c])))
    return tuple(out)


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
