"""Krippendorff's alpha for nominal, ordinal, interval and ratio scores, missing values native."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import as_ratings, check_choice

__all__ = ["AlphaResult", "krippendorff_alpha", "LEVELS"]

LEVELS = ("nominal", "ordinal", "interval", "ratio")
_RATIO_BLOCK = 2048  # distinct values per block when summing ratio distances


@dataclass(frozen=True)
class AlphaResult:
    """Krippendorff's alpha with the observed and expected disagreement behind it.

    ``n_units`` counts the pairable candidates (two or more scores) and ``n_values`` the
    pairable scores; ``reason`` explains a NaN value.
    """

    value: float
    level: str
    d_observed: float
    d_expected: float
    n_units: int
    n_values: int
    reason: str | None = None


def krippendorff_alpha(ratings, level: str = "interval", values=None) -> AlphaResult:
    """Compute Krippendorff's alpha = 1 - D_o / D_e over pairable values.

    Parameters
    ----------
    ratings : array_like, shape (n_candidates, n_examiners)
        Scores, NaN where missing; candidates with fewer than two scores are not pairable
        and are ignored, as in Krippendorff (2011). With fewer than two pairable candidates
        alpha is NaN (one unit gives D_o = D_e, alpha = 0 by construction).
    level : {"nominal", "ordinal", "interval", "ratio"}
        Metric of the difference function.
    values : sequence of float, optional
        The value domain. Every observed score must belong to it (else ValueError); for
        ``"ordinal"`` its order, when given, is the rank order. Unused values do not change
        alpha (the ordinal metric depends only on the frequencies of the values used).

    Returns
    -------
    AlphaResult

    Notes
    -----
    Nothing of size units x values² is built, so continuous scores work at any size.
    Interval: within a unit of ``m`` values the ordered-pair sum of squared differences is
    ``2 (m Σx² - (Σx)²)``, so D_o and D_e need only sums per unit, O(N). Ordinal: the
    metric ``(Σ_{g=c..k} n_g - (n_c + n_k)/2)²`` equals the squared difference of the
    mid-rank positions ``t(c) = Σ_{g<c} n_g + n_c / 2`` of the pooled value distribution,
    so ordinal alpha is interval alpha on ``t`` (one sort). Nominal: counts per unit and
    value from one sort. Ratio: ``((a-b)/(a+b))²`` has no additive form; D_o is summed over
    examiner pairs within units and D_e over pairs of distinct values in blocks, so memory
    stays bounded while time is O(distinct values²).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. University of
    Pennsylvania, Annenberg School for Communication, Departmental Papers 43.
    Krippendorff, K. (2019). Content Analysis: An Introduction to Its Methodology (4th ed.).
    Sage. Chapter 12.
    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability
    measure for coding data. Communication Methods and Measures, 1(1), 77-89.

    Examples
    --------
    Krippendorff (2011), the worked example: twelve units, four observers, values 1-5 with
    seven missing. Published: 0.743 (nominal), 0.815 (ordinal), 0.849 (interval) and 0.797
    (ratio); unit 12 has a single value and is not pairable.

    >>> from math import nan
    >>> from scoring.stats import krippendorff_alpha
    >>> x = [[1, 1, nan, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2],
    ...      [1, 2, 3, 4], [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [nan, 5, 5, 5],
    ...      [nan, nan, 1, 1], [nan, 3, nan, nan]]
    >>> [round(krippendorff_alpha(x, level).value, 3)
    ...  for level in ("nominal", "ordinal", "interval", "ratio")]
    [0.743, 0.815, 0.849, 0.797]
    >>> krippendorff_alpha(x, "nominal").n_units
    11
    """
    check_choice(level, "level", LEVELS)
    x = as_ratings(ratings)
    if values is not None:
        x = _check_values(x, values, level)
    if level == "interval":
        return _interval_fast(x)
    obs = ~np.isnan(x)
    m = obs.sum(axis=1)
    pairable = m >= 2
    if not pairable.all():
        x, obs, m = x[pairable], obs[pairable], m[pairable]
    n_units, n_vals = int(x.shape[0]), int(m.sum())
    if n_units < 2:
        # one unit makes D_o = D_e by construction: alpha = 0 says nothing
        return AlphaResult(math.nan, level, math.nan, math.nan, n_units, n_vals,
                           "alpha undefined: fewer than two candidates have two or more scores")
    if level == "ratio" and (x[obs] < 0).any():
        raise ValueError("ratings must be non-negative for level='ratio'")
    if level == "nominal":
        d_o, d_e = _nominal(x, obs, m)
    elif level == "ratio":
        d_o, d_e = _ratio(x, obs, m)
    else:
        if level == "ordinal":
            x = _ordinal_positions(x, obs)
        d_o, d_e = _interval(x, obs, m)
    if d_e <= 0:
        return AlphaResult(math.nan, level, d_o, d_e, n_units, n_vals,
                           "alpha undefined: all pairable scores are the same (no variation)")
    return AlphaResult(1.0 - d_o / d_e, level, d_o, d_e, n_units, n_vals)


def _check_values(x: np.ndarray, values, level: str) -> np.ndarray:
    try:
        dom = np.asarray(list(values), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"values must be a sequence of numbers: {exc}") from None
    if dom.ndim != 1 or dom.size == 0 or np.isnan(dom).any() or np.unique(dom).size != dom.size:
        raise ValueError("values must be a non-empty sequence of distinct numbers")
    seen = np.unique(x[~np.isnan(x)])
    unknown = np.setdiff1d(seen, dom)
    if unknown.size:
        raise ValueError(f"values does not contain the observed score(s) {unknown[:5].tolist()}")
    if level == "ordinal":
        # recode to rank positions in the given order
        order = np.argsort(dom, kind="stable")
        pos = np.empty(dom.size)
        pos[order] = np.arange(dom.size)
        idx = np.searchsorted(dom[order], np.where(np.isnan(x), dom[order][0], x))
        return np.where(np.isnan(x), np.nan, pos[order][np.clip(idx, 0, dom.size - 1)])
    return x


def _interval_fast(x: np.ndarray) -> AlphaResult:
    """Interval alpha in a few passes, without copying out the unpairable units."""
    mask = np.isnan(x)
    n_units_all, k = x.shape
    if mask.all():
        return AlphaResult(math.nan, "interval", math.nan, math.nan, 0, 0,
                           "alpha undefined: fewer than two candidates have two or more scores")
    first = int(np.argmin(mask.ravel()))
    d = x - x.ravel()[first]  # shift by an observed value: stable sums of squares
    np.copyto(d, 0.0, where=mask)
    m = k - np.einsum("ij->i", mask.view(np.uint8), dtype=np.float64)
    s1 = np.einsum("ij->i", d)
    s2 = np.einsum("ij,ij->i", d, d)
    pair = m >= 2
    n_units = int(np.count_nonzero(pair))
    if n_units < 2:
        return AlphaResult(math.nan, "interval", math.nan, math.nan, n_units,
                           int(m[pair].sum()),
                           "alpha undefined: fewer than two candidates have two or more scores")
    if n_units < n_units_all:
        m, s1, s2 = m[pair], s1[pair], s2[pair]
    n = float(m.sum())
    d_o = max(float((2 * (m * s2 - s1 * s1) / (m - 1)).sum()) / n, 0.0)
    t1, t2 = float(s1.sum()), float(s2.sum())
    d_e = max(2 * (n * t2 - t1 * t1) / (n * (n - 1)), 0.0)
    if d_e <= 0:
        return AlphaResult(math.nan, "interval", d_o, d_e, n_units, int(n),
                           "alpha undefined: all pairable scores are the same (no variation)")
    return AlphaResult(1.0 - d_o / d_e, "interval", d_o, d_e, n_units, int(n))


def _interval(x, obs, m) -> tuple[float, float]:
    y = np.where(obs, x, 0.0)
    mean = y.sum() / m.sum()  # centring keeps the sums of squares numerically stable
    y = np.where(obs, y - mean, 0.0)
    s1 = y.sum(axis=1)
    s2 = np.einsum("ij,ij->i", y, y)
    n = float(m.sum())
    # ordered pairs within a unit: 2 (m Σx² - (Σx)²), weighted 1 / (m - 1)
    d_o = float((2 * (m * s2 - s1 * s1) / (m - 1)).sum()) / n
    t1, t2 = float(s1.sum()), float(s2.sum())
    d_e = 2 * (n * t2 - t1 * t1) / (n * (n - 1))
    return max(d_o, 0.0), max(d_e, 0.0)


def _ordinal_positions(x, obs) -> np.ndarray:
    vals, counts = np.unique(x[obs], return_counts=True)
    t = np.cumsum(counts) - counts / 2.0  # Σ_{g<c} n_g + n_c / 2
    idx = np.searchsorted(vals, np.where(obs, x, vals[0]))
    return np.where(obs, t[idx], np.nan)


def _nominal(x, obs, m) -> tuple[float, float]:
    rows = np.nonzero(obs)[0]
    vals = x[obs]
    _, codes = np.unique(vals, return_inverse=True)
    n_codes = int(codes.max()) + 1
    key = rows.astype(np.int64) * n_codes + codes
    ukey, cnt = np.unique(key, return_counts=True)
    unit = ukey // n_codes
    # Σ_u Σ_c n_uc (n_uc - 1) / (m_u - 1): ordered pairs that agree, per unit
    agree = (cnt * (cnt - 1.0) / (m[unit] - 1.0)).sum()
    n = float(m.sum())
    d_o = (n - agree) / n
    nc = np.bincount(codes, minlength=n_codes).astype(float)
    d_e = (n * n - float(nc @ nc)) / (n * (n - 1))
    return float(d_o), float(d_e)


def _ratio(x, obs, m) -> tuple[float, float]:
    k = x.shape[1]
    within = np.zeros(x.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        for a in range(k):
            for b in range(a + 1, k):
                both = obs[:, a] & obs[:, b]
                s = x[:, a] + x[:, b]
                d = np.where(both & (s > 0), (x[:, a] - x[:, b]) / s, 0.0)
                within += 2 * d * d
    n = float(m.sum())
    d_o = float((within / (m - 1)).sum()) / n
    vals, counts = np.unique(x[obs], return_counts=True)
    counts = counts.astype(float)
    total = 0.0
    for start in range(0, vals.size, _RATIO_BLOCK):
        v = vals[start:start + _RATIO_BLOCK, None]
        s = v + vals[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(s > 0, (v - vals[None, :]) / s, 0.0)
        total += float(counts[start:start + _RATIO_BLOCK] @ (d * d) @ counts)
    d_e = total / (n * (n - 1))
    return d_o, d_e
