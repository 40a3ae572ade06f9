"""Kendall's coefficient of concordance W, with the correction for tied ranks."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from ._validate import as_ratings

__all__ = ["KendallW", "kendall_w"]


@dataclass(frozen=True)
class KendallW:
    """Kendall's W with its chi-square test (``chi2 = m (n-1) W`` on ``n-1`` df)."""

    w: float
    chi2: float
    df: int
    p: float
    n_candidates: int
    n_examiners: int
    reason: str | None = None


def kendall_w(ratings) -> KendallW:
    """Compute Kendall's W: how far the examiners rank the candidates alike.

    Parameters
    ----------
    ratings : array_like, shape (n_candidates, n_examiners)
        Scores; each examiner's scores are ranked over the candidates (average ranks for
        ties). Candidates missing any score are left out (W needs complete rankings).

    Returns
    -------
    KendallW

    Notes
    -----
    With ``m`` examiners, ``n`` candidates, rank sums ``R_i`` and ``S = Σ (R_i - mean R)²``::

        W = 12 S / (m² (n³ - n) - m Σ_j T_j),   T_j = Σ_groups (t³ - t)

    over the tie groups of examiner ``j`` (Kendall & Babington Smith 1939; Siegel &
    Castellan 1988, eq. 9.16). The p-value uses the chi-square approximation, as NAG
    G08DAF does.

    References
    ----------
    Kendall, M. G., & Babington Smith, B. (1939). The problem of m rankings. Annals of
    Mathematical Statistics, 10(3), 275-287.
    Siegel, S., & Castellan, N. J. (1988). Nonparametric Statistics for the Behavioral
    Sciences (2nd ed.). McGraw-Hill. Section 9.4.
    NAG Library, routine G08DAF (nagf_nonpar_concordance_kendall).

    Examples
    --------
    Kendall's W (Kendall & Babington Smith 1939) with the tie correction, on the example
    program of the NAG Library routine G08DAF: ten objects ranked in three comparisons with
    ties (mid-ranks); NAG's published results are W = 0.828 and p = 0.008.

    >>> from scoring.stats import kendall_w
    >>> x = [[1.0, 2.5, 2.0], [4.5, 1.0, 1.0], [2.0, 2.5, 4.5], [4.5, 4.5, 4.5],
    ...      [3.0, 4.5, 4.5], [7.5, 8.0, 4.5], [6.0, 9.0, 8.0], [9.0, 6.5, 8.0],
    ...      [7.5, 10.0, 8.0], [10.0, 6.5, 10.0]]
    >>> result = kendall_w(x)
    >>> round(result.w, 3), round(result.p, 3), result.df
    (0.828, 0.008, 9)
    """
    x = as_ratings(ratings)
    x = x[~np.isnan(x).any(axis=1)]
    n, m = x.shape
    if n < 2 or m < 2:
        why = "fewer than 2 complete candidates" if n < 2 else "fewer than 2 examiners"
        return KendallW(math.nan, math.nan, max(n - 1, 0), math.nan, n, m, f"W undefined: {why}")
    ranks = _average_ranks(x)
    rsum = ranks.sum(axis=1)
    s = float(((rsum - rsum.mean()) ** 2).sum())
    ties = 0.0
    srt = np.sort(x, axis=0)
    for j in range(m):
        _, t = np.unique(srt[:, j], return_counts=True)
        ties += float((t**3 - t).sum())
    denom = m * m * (n**3 - n) - m * ties
    if denom <= 0:
        return KendallW(math.nan, math.nan, n - 1, math.nan, n, m,
                        "W undefined: every examiner gave all candidates the same score")
    w = 12.0 * s / denom
    chi2 = m * (n - 1) * w
    p = float(special.chdtrc(n - 1, chi2))
    return KendallW(w, chi2, n - 1, p, n, m)


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Return 1-based ranks within each column, tied values sharing their mean rank.

    The same as ``scipy.stats.rankdata(x, axis=0)``, written here so that the statistics
    command does not import scipy.stats (about a second of start-up for one function).
    """
    n, m = x.shape
    order = np.argsort(x, axis=0, kind="stable")
    srt = np.take_along_axis(x, order, axis=0)
    ranks = np.empty_like(x, dtype=float)
    for j in range(m):
        v = srt[:, j]
        new = np.r_[True, v[1:] != v[:-1]]
        starts = np.flatnonzero(new)
        counts = np.diff(np.r_[starts, n])
        ranks[order[:, j], j] = (starts + (counts + 1) / 2)[np.cumsum(new) - 1]
    return ranks
