"""The many-facet Rasch model's statistics from its estimates (see :func:`.mfrm.mfrm`).

SEs, infit and outfit with their ZSTD, fair averages, separation and reliability per facet,
threshold SEs and examiner × criterion bias terms, from the converged measures.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from . import _jmle
from ._jmle import Obs, Params
from ._rasch_results import FACETS, BiasTerm, FacetMeasures, MFRMResult, Threshold

# FACETS' Xtreme= 0.3, 0.5: an extreme bias cell is moved 0.5 score points inward, "because
# scores within 0.5 score points of their expected values are as unbiased as can be observed"
BIAS_EXTREME_ADJUSTMENT = 0.5


def results(o: Obs, t: Params, ids, cats, subsets, adj: float, active, ext, status,
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
