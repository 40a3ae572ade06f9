"""Chance-corrected agreement on categorical scores: Fleiss, Gwet AC1/AC2, Cohen, percent agreement.

Missing scores follow Gwet's generalisations (Gwet 2014, ch. 2-4; R package irrCAC):
observed agreement averages over candidates with two or more scores, category
prevalences over candidates with at least one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._category_counts import _counts, _observed, _prepare
from ._validate import as_categories, as_pair, as_ratings, category_codes, check_choice

__all__ = [
    "ChanceCorrected",
    "CohenKappa",
    "PercentAgreement",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac",
    "percent_agreement",
    "agreement_weights",
]

WEIGHTS = (None, "unweighted", "linear", "quadratic")


@dataclass(frozen=True)
class ChanceCorrected:
    """A chance-corrected coefficient ``(p_observed - p_expected) / (1 - p_expected)``.

    The result of :func:`fleiss_kappa`, :func:`gwet_ac` and :func:`cohen_kappa`.
    ``n_candidates`` counts the candidates that enter the observed agreement (with two or
    more scores; for Cohen's kappa, scored by both examiners; also readable as ``n``);
    ``categories`` is the scale used for weights and prevalences.
    """

    value: float
    p_observed: float
    p_expected: float
    n_candidates: int
    categories: tuple[float, ...]
    weights: str
    reason: str | None = None

    @property
    def n(self) -> int:
        """Return ``n_candidates`` (the name Cohen's kappa results used)."""
        return self.n_candidates


# Cohen's kappa has the same shape: one class, the old name kept for callers.
CohenKappa = ChanceCorrected


@dataclass(frozen=True)
class PercentAgreement:
    """Share of agreeing examiner pairs, averaged over candidates with two or more scores."""

    value: float
    n_candidates: int
    tolerance: float
    reason: str | None = None


def agreement_weights(q: int, weights: str | None) -> np.ndarray:
    """Return the q x q agreement weights on category positions (Gwet 2014, sec. 3.5).

    ``None``/``"unweighted"``: identity; ``"linear"``: ``1 - |i-j| / (q-1)``;
    ``"quadratic"``: ``1 - (i-j)² / (q-1)²``.

    Examples
    --------
    The weights for three categories in Gwet (2014), sec. 3.5 (irrCAC
    ``quadratic.weights(1:3)`` and ``linear.weights(1:3)``):

    >>> from scoring.stats.agreement import agreement_weights
    >>> agreement_weights(3, "quadratic").tolist()
    [[1.0, 0.75, 0.0], [0.75, 1.0, 0.75], [0.0, 0.75, 1.0]]
    >>> agreement_weights(3, "linear").tolist()
    [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]
    """
    check_choice(weights, "weights", WEIGHTS)
    if weights in (None, "unweighted") or q < 2:
        return np.eye(q)
    pos = np.arange(q, dtype=float)
    dist = np.abs(pos[:, None] - pos[None, :]) / (q - 1)
    return 1.0 - (dist if weights == "linear" else dist * dist)


def _chance(x, categories, weights, kind: str) -> ChanceCorrected:
    x = as_ratings(x)
    cats = as_categories(categories, x)
    if cats.size == 0:
        label = "unweighted" if weights is None else weights
        return ChanceCorrected(math.nan, math.nan, math.nan, 0, (), label, "undefined: no scores")
    return _chance_from_counts(_prepare(_counts(x, cats)), cats, weights, kind)


def _chance_from_counts(prep, cats, weights, kind: str) -> ChanceCorrected:
    w = agreement_weights(cats.size, weights)
    label = "unweighted" if weights is None else weights
    tcats = tuple(float(c) for c in cats)
    pa, n_used, pi = _observed(prep, w)
    if n_used < 2:
        # chance agreement estimated from a single candidate is meaningless
        return ChanceCorrected(math.nan, pa, math.nan, n_used, tcats, label,
                               "undefined: fewer than two candidates have two or more scores")
    q = cats.size
    if kind == "fleiss":
        pe = float(pi @ w @ pi)
    elif q < 2:
        pe = math.nan
    else:
        pe = float(w.sum() * (pi * (1 - pi)).sum() / (q * (q - 1)))
    if not np.isfinite(pe) or pe >= 1.0 - 1e-12:
        return ChanceCorrected(math.nan, pa, pe, n_used, tcats, label,
                               "undefined: every score falls in one category "
                               "(expected agreement is 1)")
    return ChanceCorrected((pa - pe) / (1 - pe), pa, pe, n_used, tcats, label)


def categorical_summary(ratings, categories) -> dict:
    """Return exact/adjacent agreement, Fleiss' kappa, AC1 and quadratic AC2 in one pass.

    Same values as :func:`percent_agreement` (tolerance 0 and 1), :func:`fleiss_kappa`
    and :func:`gwet_ac` on ``categories`` (an integer-spaced scale), from one table of
    category counts; used by the panel analysis.

    Examples
    --------
    Gwet (2014), dataset ``cont3x3abstractors`` (see :func:`gwet_ac`); irrCAC prints
    percent agreement 0.89, Scott's pi (Fleiss' kappa for two raters) 0.7962397 and
    AC1 0.8493305.

    >>> import numpy as np
    >>> from scoring.stats.agreement import categorical_summary
    >>> pairs = [(1, 1)] * 13 + [(2, 2)] * 20 + [(2, 3)] * 7 + [(3, 2)] * 4 + [(3, 3)] * 56
    >>> s = categorical_summary(np.array(pairs, dtype=float), [1, 2, 3])
    >>> s["exact_agreement"].value, round(s["fleiss_kappa"].value, 7)
    (0.89, 0.7962397)
    >>> round(s["gwet_ac1"].value, 7)
    0.8493305
    """
    x = as_ratings(ratings)
    cats = as_categories(categories, x)
    prep = _prepare(_counts(x, cats))
    out = {}
    for name, tol in (("exact_agreement", 0.0), ("adjacent_agreement", 1.0)):
        w = (np.abs(cats[:, None] - cats[None, :]) <= tol + 1e-9).astype(float)
        pa, n_used, _ = _observed(prep, w)
        out[name] = (PercentAgreement(pa, n_used, tol) if n_used else PercentAgreement(
            math.nan, 0, tol, "undefined: no candidate has two or more scores"))
    out["fleiss_kappa"] = _chance_from_counts(prep, cats, None, "fleiss")
    out["gwet_ac1"] = _chance_from_counts(prep, cats, None, "gwet")
    out["gwet_ac2_quadratic"] = _chance_from_counts(prep, cats, "quadratic", "gwet")
    return out


def fleiss_kappa(ratings, categories=None, weights=None) -> ChanceCorrected:
    """Compute Fleiss' kappa, allowing varying numbers of examiners per candidate.

    Parameters
    ----------
    ratings : array_like, shape (n_candidates, n_examiners)
        Category scores, NaN where missing.
    categories : sequence of float, optional
        The full scale; defaults to the observed scores. Scores outside it raise ValueError.
    weights : {None, "linear", "quadratic"}
        Optional agreement weights on category positions (Gwet's weighted generalisation).

    Returns
    -------
    ChanceCorrected

    Notes
    -----
    With complete data this is Fleiss (1971). With missing scores it is Gwet's
    generalisation (Gwet 2014, sec. 4.2; irrCAC ``fleiss.kappa.raw``): candidates with
    fewer than two scores do not enter the observed agreement
    ``p_a = mean_i Σ_k r_ik (r*_ik - 1) / (r_i (r_i - 1))``, while the category
    prevalences ``π_k = mean_i r_ik / r_i`` average over every candidate with a score;
    ``p_e = Σ_kl w_kl π_k π_l``. With two examiners this is Scott's pi.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
    Bulletin, 76(5), 378-382.
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.). Advanced Analytics.

    Examples
    --------
    Fleiss (1971), Table 1: 30 patients, each diagnosed by six psychiatrists into five
    categories (the rows below are the counts per category); published kappa = .430. Gwet's
    irrCAC prints 0.4139265 for the first 15 patients.

    >>> import numpy as np
    >>> from scoring.stats import fleiss_kappa
    >>> counts = [
    ...     [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    ...     [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    ...     [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    ...     [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    ...     [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
    ...     [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6]]
    >>> x = np.array([np.repeat([1, 2, 3, 4, 5], row) for row in counts], dtype=float)
    >>> round(fleiss_kappa(x).value, 3)
    0.43
    >>> round(fleiss_kappa(x[:15]).value, 7)
    0.4139265
    """
    return _chance(ratings, categories, weights, "fleiss")


def gwet_ac(ratings, weights=None, categories=None) -> ChanceCorrected:
    """Compute Gwet's AC1 (unweighted) or AC2 (weighted), missing scores allowed.

    Parameters
    ----------
    ratings : array_like, shape (n_candidates, n_examiners)
        Category scores, NaN where missing.
    weights : {None, "linear", "quadratic"}
        None gives AC1; a weight scheme gives AC2 with weights on category positions.
    categories : sequence of float, optional
        The full scale; defaults to the observed scores. It matters: ``q`` enters p_e.

    Returns
    -------
    ChanceCorrected

    Notes
    -----
    ``p_e = T_w / (q (q-1)) Σ_k π_k (1 - π_k)`` with ``T_w`` the sum of the weights;
    ``p_a`` and ``π_k`` as in :func:`fleiss_kappa` (Gwet 2008; Gwet 2014, sec. 4.3;
    irrCAC ``gwet.ac1.raw``). Weights use positions in ``categories`` (equal to irrCAC's
    value-based weights on an equally spaced numeric scale).

    References
    ----------
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence
    of high agreement. British Journal of Mathematical and Statistical Psychology, 61,
    29-48.
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.). Advanced Analytics.

    Examples
    --------
    Gwet (2014), dataset ``cont3x3abstractors``: 100 subjects classified by two abstractors
    into three categories (13, 20 and 56 agreements; 7 and 4 off the diagonal). Gwet's
    irrCAC prints AC1 = 0.8493305 and quadratic AC2 = 0.9402369.

    >>> from scoring.stats import gwet_ac
    >>> import numpy as np
    >>> pairs = [(1, 1)] * 13 + [(2, 2)] * 20 + [(2, 3)] * 7 + [(3, 2)] * 4 + [(3, 3)] * 56
    >>> a, b = np.array(pairs, dtype=float).T
    >>> x = np.column_stack([a, b])
    >>> round(gwet_ac(x).value, 7), round(gwet_ac(x, "quadratic").value, 7)
    (0.8493305, 0.9402369)
    """
    return _chance(ratings, categories, weights, "gwet")


def percent_agreement(ratings, tolerance: float = 0) -> PercentAgreement:
    """Compute the pairwise percent agreement (Gwet 2014, sec. 2.3), exact or within a tolerance.

    Parameters
    ----------
    ratings : array_like, shape (n_candidates, n_examiners)
        Scores, NaN where missing; any numbers (categories or continuous).
    tolerance : float
        Two scores agree when ``|a - b| <= tolerance``: 0 for exact agreement, 1 for
        adjacent agreement on an integer scale.

    Returns
    -------
    PercentAgreement

    Notes
    -----
    For each candidate with ``m >= 2`` scores, the share of its ``m (m-1) / 2`` examiner
    pairs that agree; averaged over those candidates. With ``tolerance=0`` this is Gwet's
    unweighted ``p_a`` (irrCAC ``pa.coeff.raw``).

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.). Advanced Analytics.

    Examples
    --------
    Gwet (2014), dataset ``cont3x3abstractors`` (see :func:`gwet_ac`): 89 of 100 subjects
    in the same category, percent agreement 0.89 as irrCAC prints it.

    >>> from scoring.stats import percent_agreement
    >>> import numpy as np
    >>> pairs = [(1, 1)] * 13 + [(2, 2)] * 20 + [(2, 3)] * 7 + [(3, 2)] * 4 + [(3, 3)] * 56
    >>> a, b = np.array(pairs, dtype=float).T
    >>> percent_agreement(np.column_stack([a, b])).value
    0.89
    """
    try:
        tol = float(tolerance)
    except (TypeError, ValueError):
        raise ValueError(f"tolerance must be a number; got {tolerance!r}") from None
    if not tol >= 0 or not np.isfinite(tol):
        raise ValueError(f"tolerance must be a finite number >= 0; got {tolerance!r}")
    x = as_ratings(ratings)
    obs = ~np.isnan(x)
    m = obs.sum(axis=1)
    keep = m >= 2
    x, obs, m = x[keep], obs[keep], m[keep]
    if x.shape[0] == 0:
        return PercentAgreement(math.nan, 0, tol, "undefined: no candidate has two or more scores")
    agree = np.zeros(x.shape[0])
    eps = 1e-9 * max(1.0, float(np.abs(x[obs]).max()))  # float rounding of scores like 0.1
    with np.errstate(invalid="ignore"):
        for a in range(x.shape[1] - 1):
            diff = np.abs(x[:, a + 1:] - x[:, a:a + 1])
            agree += ((diff <= tol + eps) & obs[:, a + 1:] & obs[:, a:a + 1]).sum(axis=1)
    value = float((agree / (m * (m - 1) / 2.0)).mean())
    return PercentAgreement(value, int(x.shape[0]), tol)


def cohen_kappa(a, b, weights=None, categories=None) -> ChanceCorrected:
    """Compute Cohen's kappa between two examiners, optionally weighted.

    Parameters
    ----------
    a, b : array_like, shape (n_candidates,)
        The two examiners' scores; candidates missing either score are left out.
    weights : {None, "linear", "quadratic"}
        Disagreement weights ``|i-j|`` or ``(i-j)²`` on category *positions*.
    categories : sequence of float, optional
        The full scale. When given, positions in it define the weights, so an unused level
        still counts as a step (1 and 3 on a 1-2-3 scale are two steps apart even if
        nobody used 2). When omitted the observed categories of both examiners are used,
        one step apart (the R ``irr::kappa2`` and scikit-learn convention): results differ
        from the scale-based ones when a level is unused.

    Returns
    -------
    ChanceCorrected
        ``n_candidates`` (alias ``n``) counts the candidates scored by both examiners.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement, 20(1), 37-46.
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin, 70(4), 213-220.
    Fleiss, J. L., Levin, B., & Paik, M. C. (2003). Statistical Methods for Rates and
    Proportions (3rd ed.). Wiley. Chapter 18.

    Examples
    --------
    Gwet (2014), dataset ``cont3x3abstractors`` (see :func:`gwet_ac`); Gwet's irrCAC prints
    kappa = 0.7964094 and quadratic-weighted kappa = 0.8921569.

    >>> from scoring.stats import cohen_kappa
    >>> import numpy as np
    >>> pairs = [(1, 1)] * 13 + [(2, 2)] * 20 + [(2, 3)] * 7 + [(3, 2)] * 4 + [(3, 3)] * 56
    >>> a, b = np.array(pairs, dtype=float).T
    >>> round(cohen_kappa(a, b).value, 7), round(cohen_kappa(a, b, "quadratic").value, 7)
    (0.7964094, 0.8921569)
    >>> cohen_kappa(a, b).n_candidates
    100
    """
    check_choice(weights, "weights", (None, "linear", "quadratic"))
    va, vb = as_pair(a, b)
    both = ~(np.isnan(va) | np.isnan(vb))
    va, vb = va[both], vb[both]
    cats = as_categories(categories, np.concatenate([va, vb]))
    label = "unweighted" if weights is None else weights
    tcats = tuple(float(c) for c in cats)
    n = int(va.size)
    if n == 0:
        return ChanceCorrected(math.nan, math.nan, math.nan, 0, tcats, label,
                               "undefined: no candidate scored by both examiners")
    q = cats.size
    ia, ib = category_codes(va, cats), category_codes(vb, cats)
    table = np.bincount(ia * q + ib, minlength=q * q).reshape(q, q) / n
    w = agreement_weights(q, weights)
    po = float((w * table).sum())
    pe = float(table.sum(axis=1) @ w @ table.sum(axis=0))
    if pe >= 1.0 - 1e-12:
        return ChanceCorrected(math.nan, po, pe, n, tcats, label,
                               "undefined: both examiners used a single category "
                               "(expected agreement is 1)")
    return ChanceCorrected((po - pe) / (1 - pe), po, pe, n, tcats, label)
