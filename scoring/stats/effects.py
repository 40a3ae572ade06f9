"""Examiner (rater) effects: leniency/severity, inconsistency, central tendency and halo.

Policy: flag and explain, never adjust. Every flag carries a stable code, the figures behind
it and the threshold it crossed, so a chair can read why (and a UI can phrase it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from types import MappingProxyType

import numpy as np

from ._validate import as_ratings, check_scale

__all__ = ["Thresholds", "Flag", "ExaminerEffect", "rater_effects", "FLAG_CODES"]

FLAG_CODES = ("lenient", "severe", "inconsistent", "central_tendency", "halo")


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs for the examiner flags.

    Attributes
    ----------
    z_min, min_points : float
        Leniency/severity needs both ``|z| >= z_min`` (statistically clear, the usual
        two-sided 5 % criterion used for rater severity measures, Myford & Wolfe 2004) and
        ``|deviation| >= min_points`` score points (practically relevant: half a step on
        the scale).
    fit_max : float
        Inconsistency: the examiner's residual mean square around their own line on the
        rest of the panel, divided by the panel's median, at or above this value. It is
        the analogue of a rater infit mean square; 1.5 is the upper bound of the range
        "productive for measurement" (Wright & Linacre 1994; Linacre 2002) used by Myford
        & Wolfe (2003, 2004) for inconsistent raters.
    sd_ratio_max, middle_excess_min : float
        Central tendency: SD of own scores at most ``sd_ratio_max`` times the SD of the
        other examiners' scores on the same cells *and* a share of middle-of-scale scores
        at least ``middle_excess_min`` above theirs. These are the two indicators of
        Myford & Wolfe (2004) (restricted spread, overuse of the middle categories); the
        cut-offs are this module's conventions, checked by simulation for a false-flag
        rate under 5 % at 300 candidates.
    halo_max : float
        Halo: own within-candidate spread across criteria (as a share of own total
        variance) at most this fraction of the panel median (Myford & Wolfe 2004, halo as
        undifferentiated criterion scores; Engelhard 1994). Convention, as above.
    min_candidates : int
        No flags are raised on fewer candidates than this.
    """

    z_min: float = 2.0
    min_points: float = 0.5
    fit_max: float = 1.5
    sd_ratio_max: float = 0.75
    middle_excess_min: float = 0.10
    halo_max: float = 0.5
    min_candidates: int = 10


@dataclass(frozen=True)
class Flag:
    """One flag: a stable code, an English reason and the figures behind it."""

    code: str
    reason: str
    figures: Mapping[str, float]

    def to_dict(self) -> dict:
        """Return plain data (NaN stays float; callers map it)."""
        return {"code": self.code, "reason": self.reason, "figures": dict(self.figures)}


@dataclass(frozen=True)
class ExaminerEffect:
    """The figures for one examiner, with ``flags`` (codes) and ``flag_details``.

    ``deviation`` is in score points (positive = lenient); ``se`` is clustered by
    candidate; ``rest_correlation`` and ``slope`` are against the leave-one-out panel mean;
    ``sd_ratio`` is own SD over the pooled SD of the other examiners' scores on the same
    cells; ``middle_share`` and ``panel_middle_share`` are the shares of scores in the
    middle of the scale (own and others' on the same cells); ``halo`` is own within-candidate
    spread ratio over the panel median (low = undifferentiated criteria); ``fit`` is the
    residual mean square ratio (high = erratic).
    """

    examiner: object
    n: int
    n_candidates: int
    mean: float
    deviation: float
    se: float
    z: float
    rest_correlation: float
    slope: float
    sd_ratio: float
    middle_share: float
    panel_middle_share: float
    halo: float
    fit: float
    flags: tuple[str, ...]
    flag_details: tuple[Flag, ...]
    note: str | None = None


def rater_effects(ratings3d, scale: Sequence[float], thresholds: Thresholds | None = None,
                  examiners: Sequence | None = None) -> tuple[ExaminerEffect, ...]:
    """Describe and flag each examiner against the rest of the panel.

    Parameters
    ----------
    ratings3d : array_like, shape (n_candidates, n_examiners, n_criteria)
        Scores, NaN where missing. A 2-d array is read as one criterion (no halo figure).
    scale : (min, max)
        The score scale; the middle band is ``|score - mid| < (max - min) / 4`` (the
        middle category on 1-5, the two middle ones on 1-4).
    thresholds : Thresholds, optional
        Flag cut-offs; the documented defaults when None.
    examiners : sequence, optional
        Labels, one per examiner; indices when None.

    Returns
    -------
    tuple of ExaminerEffect
        One record per examiner, in input order.

    Notes
    -----
    Each score is compared with the mean of the *other* examiners on the same candidate and
    criterion. ``deviation`` is the mean difference; its standard error is the
    cluster-robust (by candidate) SE of a ratio mean (Liang & Zeger 1986), equal to
    ``sd(per-candidate mean difference) / sqrt(n_candidates)`` for complete data.
    ``fit`` regresses own scores on the leave-one-out mean and divides the residual mean
    square by the panel median, so a compressed but orderly examiner (central tendency) is
    not mistaken for an erratic one. Nothing is adjusted.

    References
    ----------
    Myford, C. M., & Wolfe, E. W. (2003). Detecting and measuring rater effects using
    many-facet Rasch measurement: Part I. Journal of Applied Measurement, 4(4), 386-422.
    Myford, C. M., & Wolfe, E. W. (2004). Part II. Journal of Applied Measurement, 5(2),
    189-227.
    Engelhard, G. (1994). Examining rater errors in the assessment of written composition
    with a many-faceted Rasch model. Journal of Educational Measurement, 31(2), 93-112.
    Wright, B. D., & Linacre, J. M. (1994). Reasonable mean-square fit values. Rasch
    Measurement Transactions, 8(3), 370.
    Linacre, J. M. (2002). What do infit and outfit, mean-square and standardized mean?
    Rasch Measurement Transactions, 16(2), 878.
    Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using generalized linear
    models. Biometrika, 73(1), 13-22.
    """
    try:
        two_d = np.ndim(ratings3d) == 2
    except ValueError:
        two_d = False  # ragged input: let as_ratings name the problem
    x = as_ratings(ratings3d, "ratings3d", ndim=2 if two_d else 3)
    if two_d:
        x = x[:, :, None]
    low, high = check_scale(scale)
    th = Thresholds() if thresholds is None else thresholds
    if not isinstance(th, Thresholds):
        raise ValueError(f"thresholds must be a Thresholds instance; got {type(th).__name__}")
    n, k, _ = x.shape
    labels = tuple(range(k)) if examiners is None else tuple(examiners)
    if len(labels) != k:
        raise ValueError(f"examiners has {len(labels)} labels for {k} examiners in ratings3d")
    obs = ~np.isnan(x)
    if obs.any() and (x[obs].min() < low or x[obs].max() > high):
        raise ValueError(f"ratings3d has scores outside scale {tuple(scale)!r}")
    shared = _shared(x, obs, low, high)
    raw = [_figures(x, obs, j, shared) for j in range(k)]
    fits = np.array([r["fit_ms"] for r in raw])
    halos = np.array([r["within_share"] for r in raw])
    out = []
    for j, r in enumerate(raw):
        others = np.delete(np.arange(k), j)
        r["fit"] = _rel(r["fit_ms"], _nanmedian(fits))
        r["halo"] = _rel(r["within_share"], _nanmedian(halos[others]) if k > 1 else math.nan)
        details, note = _flags(r, th, k)
        out.append(ExaminerEffect(
            examiner=labels[j], n=r["n"], n_candidates=r["n_candidates"], mean=r["mean"],
            deviation=r["deviation"], se=r["se"], z=r["z"],
            rest_correlation=r["rest_correlation"], slope=r["slope"], sd_ratio=r["sd_ratio"],
            middle_share=r["middle_share"], panel_middle_share=r["panel_middle_share"],
            halo=r["halo"], fit=r["fit"], flags=tuple(f.code for f in details),
            flag_details=tuple(details), note=note))
    return tuple(out)


def _nanmedian(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else math.nan


def _rel(a: float, b: float) -> float:
    return a / b if np.isfinite(a) and np.isfinite(b) and b > 0 else math.nan


def _shared(x, obs, low, high) -> dict:
    """Return examiner-major copies and per-cell panel sums, computed once for everyone."""
    xt = np.ascontiguousarray(np.where(obs, x, 0.0).transpose(1, 0, 2))  # (k, n, c)
    ot = np.ascontiguousarray(obs.transpose(1, 0, 2))
    mid, half = (low + high) / 2, (high - low) / 4
    band = ot & (np.abs(xt - mid) < half)
    return {"x": xt, "obs": ot, "s1": xt.sum(axis=0), "s2": np.einsum("jic,jic->ic", xt, xt),
            "cnt": ot.sum(axis=0), "band": band, "band_sum": band.sum(axis=0)}


def _figures(x, obs, j, sh) -> dict:
    """Return the descriptive figures of examiner j (vectorised over cells)."""
    own, own_obs = sh["x"][j], sh["obs"][j]
    cnt = sh["cnt"] - own_obs
    valid = own_obs & (cnt >= 1)
    nan = math.nan
    m_i = valid.sum(axis=1)
    res = dict(n=int(m_i.sum()), n_candidates=int((m_i > 0).sum()),
               mean=nan, deviation=nan, se=nan, z=nan, rest_correlation=nan, slope=nan,
               sd_ratio=nan, middle_share=nan, panel_middle_share=nan, fit_ms=nan,
               within_share=_within_share(own, own_obs))
    if res["n"] < 3:
        return res
    idx = np.flatnonzero(valid)  # gather the valid cells once
    mine = own.ravel()[idx]
    s1 = sh["s1"].ravel()[idx] - mine
    cv = cnt.ravel()[idx]
    rest = s1 / cv
    diff = mine - rest
    dev = float(diff.mean())
    # cluster-robust SE by candidate: per-candidate sums of differences
    rows = idx // own.shape[1]
    s_i = np.bincount(rows, weights=diff, minlength=own.shape[0])[m_i > 0]
    m_used = m_i[m_i > 0]
    g = s_i.size
    se = math.sqrt(g / (g - 1) * float(((s_i - dev * m_used) ** 2).sum())) / res["n"] \
        if g > 1 else nan
    res.update(mean=float(mine.mean()), deviation=dev, se=se,
               z=dev / se if se > 0 else nan)
    own_band = sh["band"][j].ravel()[idx]
    n_others = float(cv.sum())
    res["middle_share"] = float(own_band.mean())
    res["panel_middle_share"] = float((sh["band_sum"].ravel()[idx] - own_band).sum() / n_others)
    s2 = float((sh["s2"].ravel()[idx] - mine * mine).sum())
    others_var = (s2 - float(s1.sum()) ** 2 / n_others) / max(n_others - 1, 1)
    own_var = float(mine.var(ddof=1))
    res["sd_ratio"] = math.sqrt(own_var / others_var) if others_var > 0 else nan
    rest_c, mine_c = rest - rest.mean(), mine - mine.mean()
    sxx, sxy, syy = (float(np.einsum("i,i->", a, b))
                     for a, b in ((rest_c, rest_c), (rest_c, mine_c), (mine_c, mine_c)))
    if sxx > 0 and syy > 0:
        res["rest_correlation"] = sxy / math.sqrt(sxx * syy)
        res["slope"] = sxy / sxx
        res["fit_ms"] = max(syy - sxy * sxy / sxx, 0.0) / (res["n"] - 2)
    return res


def _within_share(own: np.ndarray, own_obs: np.ndarray) -> float:
    """Return mean within-candidate variance across criteria over own total variance.

    `own` holds the examiner's scores with 0 where missing (mask `own_obs`).
    """
    m = own_obs.sum(axis=1)
    use = m >= 2
    if own.shape[1] < 2 or use.sum() < 2:
        return math.nan
    oz, mm = own[use], m[use]  # own is zero where missing
    s1, s2 = oz.sum(axis=1), np.einsum("ic,ic->i", oz, oz)
    within = float(((s2 - s1 * s1 / mm) / (mm - 1)).mean())
    vals = own[own_obs]
    total = float(vals.var(ddof=1)) if vals.size > 1 else math.nan
    return float(within) / total if total > 0 else math.nan


def _flags(r: dict, th: Thresholds, k: int) -> tuple[list[Flag], str | None]:
    if r["n_candidates"] < th.min_candidates:
        return [], (f"not flagged: {r['n_candidates']} candidates compared, fewer than "
                    f"{th.min_candidates}")
    out = []
    dev, z = r["deviation"], r["z"]
    fig = {"deviation": dev, "z": z, "se": r["se"], "min_points": th.min_points,
           "z_min": th.z_min}
    if dev >= th.min_points and z >= th.z_min:
        out.append(Flag("lenient", f"scores {dev:.2f} points above the other examiners on the "
                        f"same candidates and criteria (z = {z:.1f})", _fig(fig)))
    elif dev <= -th.min_points and z <= -th.z_min:
        out.append(Flag("severe", f"scores {-dev:.2f} points below the other examiners on the "
                        f"same candidates and criteria (z = {z:.1f})", _fig(fig)))
    fit = r["fit"]
    if k >= 3 and fit >= th.fit_max:
        out.append(Flag("inconsistent", f"scores scatter {fit:.2f} times as much as the panel's "
                        f"typical examiner around the panel consensus (rest correlation "
                        f"{r['rest_correlation']:.2f})",
                        _fig({"fit": fit, "fit_max": th.fit_max,
                              "rest_correlation": r["rest_correlation"]})))
    sd_ratio, mid, pmid = r["sd_ratio"], r["middle_share"], r["panel_middle_share"]
    if sd_ratio <= th.sd_ratio_max and mid - pmid >= th.middle_excess_min:
        out.append(Flag("central_tendency", f"score spread is {sd_ratio:.2f} of the other "
                        f"examiners' and {mid:.0%} of scores are mid-scale "
                        f"(others {pmid:.0%})",
                        _fig({"sd_ratio": sd_ratio, "sd_ratio_max": th.sd_ratio_max,
                              "middle_share": mid, "panel_middle_share": pmid,
                              "middle_excess_min": th.middle_excess_min,
                              "slope": r["slope"]})))
    halo = r["halo"]
    if halo <= th.halo_max:
        out.append(Flag("halo", f"criteria are scored alike within a candidate: spread across "
                        f"criteria is {halo:.2f} of the panel's",
                        _fig({"halo": halo, "halo_max": th.halo_max})))
    return out, None


def _fig(d: dict) -> Mapping[str, float]:
    return MappingProxyType({key: float(v) for key, v in d.items()})


def thresholds_dict(th: Thresholds | None = None) -> dict:
    """Return the thresholds as plain data."""
    return asdict(Thresholds() if th is None else th)
