"""Intraclass correlation: the six Shrout & Fleiss (1979) forms, complete or unbalanced data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
from scipy import special

from ._validate import as_ratings, check_choice

__all__ = ["ICCForm", "ICCResult", "icc", "FORMS"]

FORMS = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")
_NAN = math.nan


@dataclass(frozen=True)
class ICCForm:
    """One ICC form with its F test and confidence interval (as in R ``psych::ICC``)."""

    name: str
    value: float
    f: float
    df1: float
    df2: float
    p: float
    ci_low: float
    ci_high: float
    confidence_level: float = 0.95

    def confidence_interval(self) -> tuple[float, float]:
        """Return the (low, high) confidence interval."""
        return (self.ci_low, self.ci_high)


@dataclass(frozen=True)
class ICCResult:
    """The six ICC forms; index by name, e.g. ``result["ICC(2,1)"].value``.

    ``k`` is the number of examiners the average-measure forms refer to: the panel size for
    complete data, the harmonic mean of ratings per candidate for ``missing="model"`` on
    unbalanced data. ``components`` holds the variance components of the two-way model
    (``candidate``, ``examiner``, ``residual``) and of the one-way model (``one_way_candidate``,
    ``one_way_residual``); ``reason`` explains NaN values or missing intervals.
    """

    forms: Mapping[str, ICCForm]
    n_candidates: int
    n_examiners: int
    k: float
    missing: str
    balanced: bool
    components: Mapping[str, float] = field(default_factory=dict)
    reason: str | None = None

    def __getitem__(self, name: str) -> ICCForm:
        return self.forms[name]

    def __iter__(self):
        return iter(self.forms)


def icc(ratings, missing: str = "drop", confidence_level: float = 0.95) -> ICCResult:
    """Compute the six Shrout & Fleiss intraclass correlations.

    Parameters
    ----------
    ratings : array_like, shape (n_candidates, n_examiners)
        Scores, NaN where an examiner did not score. Examiners without any score are ignored.
    missing : {"drop", "model"}
        ``"drop"`` keeps only candidates scored by every examiner (listwise deletion, as
        pingouin and ``psych::ICC``). ``"model"`` uses every score: the variance components
        of the two-way crossed random model without interaction are estimated with
        Henderson's Method 3 (fitting constants; Henderson 1953; Searle, Casella &
        McCulloch 1992, sec. 5.5), the one-way components with the unbalanced ANOVA
        estimator (Searle et al. 1992, sec. 3.5, with ``n0``), and each form is the usual
        ratio of components. The average-measure forms use ``k`` = harmonic mean of the
        ratings per candidate (so the error term is the mean error variance of the panel
        means actually observed). On complete data this equals ``"drop"`` exactly (the
        estimators reduce to the expected-mean-square ANOVA). With unbalanced data the F
        tests are the exact fitting-constants tests, but there is no accepted closed-form
        confidence interval, so intervals are NaN and ``reason`` says so.
    confidence_level : float
        Level of the intervals, 0.95 by default.

    Returns
    -------
    ICCResult

    Notes
    -----
    With ``n`` candidates, ``k`` examiners and mean squares MSR (candidates), MSC
    (examiners), MSE (residual) and MSW (within candidates)::

        ICC(1,1) = (MSR - MSW) / (MSR + (k-1) MSW)
        ICC(2,1) = (MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)
        ICC(3,1) = (MSR - MSE) / (MSR + (k-1) MSE)
        ICC(1,k) = (MSR - MSW) / MSR
        ICC(2,k) = (MSR - MSE) / (MSR + (MSC - MSE) / n)
        ICC(3,k) = (MSR - MSE) / MSR

    F tests and intervals follow Shrout & Fleiss (1979) and McGraw & Wong (1996), in the
    form used by ``psych::ICC`` (Revelle); ICC(2,·) intervals use Satterthwaite's degrees
    of freedom.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin, 86(2), 420-428.
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods, 1(1), 30-46.
    Henderson, C. R. (1953). Estimation of variance and covariance components. Biometrics,
    9(2), 226-252.
    Searle, S. R., Casella, G., & McCulloch, C. E. (1992). Variance Components. Wiley.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: six targets rated by four judges. Their Table 4 gives
    ICC(1,1) = .17, ICC(2,1) = .29, ICC(3,1) = .71, ICC(1,4) = .44, ICC(2,4) = .62 and
    ICC(3,4) = .91.

    >>> from scoring.stats import icc
    >>> x = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...      [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> result = icc(x)
    >>> [round(result[form].value, 2) for form in ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)")]
    [0.17, 0.29, 0.71]
    >>> [round(result[form].value, 2) for form in ("ICC(1,k)", "ICC(2,k)", "ICC(3,k)")]
    [0.44, 0.62, 0.91]
    """
    check_choice(missing, "missing", ("drop", "model"))
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must lie in (0, 1); got {confidence_level!r}")
    x = as_ratings(ratings)
    nan_mask = np.isnan(x)
    if nan_mask.any():
        x = x[:, ~nan_mask.all(axis=0)]
        nan_mask = np.isnan(x)
        complete = ~nan_mask.any(axis=1)
        if missing == "model" and not complete.all():
            return _icc_unbalanced(x, ~nan_mask, confidence_level)
        x = x[complete]
    return _icc_balanced(x, missing, confidence_level)


def _nan_result(n: int, k: int, missing: str, reason: str, balanced: bool = True) -> ICCResult:
    forms = {name: ICCForm(name, *([_NAN] * 7)) for name in FORMS}
    return ICCResult(MappingProxyType(forms), n, k, float(k), missing, balanced, {}, reason)


def _icc_balanced(x: np.ndarray, missing: str, level: float) -> ICCResult:
    n, k = x.shape
    if n < 2 or k < 2:
        why = "fewer than 2 complete candidates" if n < 2 else "fewer than 2 examiners"
        return _nan_result(n, k, missing, f"ICC undefined: {why}")
    # one pass for the deviations, then row/column means and the total sum of squares;
    # einsum rather than BLAS (@, mean over a short axis): no thread start-up on small work
    grand = x.mean()
    dev = x - grand
    row = np.einsum("ij->i", dev) / k
    col = np.einsum("ij->j", dev) / n
    ss_total = float(np.einsum("ij,ij->", dev, dev))
    ss_r = k * float(np.einsum("i,i->", row, row))
    ss_c = n * float(np.einsum("j,j->", col, col))
    ss_e = max(ss_total - ss_r - ss_c, 0.0)
    df_r, df_c, df_e, df_w = n - 1, k - 1, (n - 1) * (k - 1), n * (k - 1)
    msr, msc, mse = ss_r / df_r, ss_c / df_c, ss_e / df_e
    msw = (ss_c + ss_e) / df_w
    msr, msc, mse, msw = _snap((msr, msc, mse, msw), ss_total)
    if ss_total == 0:
        return _nan_result(n, k, missing, "ICC undefined: every score is the same")
    comps = {
        "candidate": (msr - mse) / k,
        "examiner": (msc - mse) / n,
        "residual": mse,
        "one_way_candidate": (msr - msw) / k,
        "one_way_residual": msw,
    }
    forms = _balanced_forms(n, k, msr, msc, mse, msw, level)
    if mse == 0 or msw == 0:
        forms = {name: replace(f, ci_low=_NAN, ci_high=_NAN) for name, f in forms.items()}
    return ICCResult(MappingProxyType(forms), n, k, float(k), missing, True,
                     MappingProxyType(comps), _PERFECT if mse == 0 or msw == 0 else None)


def _ratio(num: float, den: float) -> float:
    # every ICC denominator is a positive variance sum; zero or less means undefined
    if not den > 0 or not np.isfinite(den):
        return _NAN
    return num / den


def _snap(values: tuple[float, ...], scale: float) -> tuple[float, ...]:
    """Set mean squares that are zero up to rounding (relative to `scale`) to exactly 0."""
    tiny = 1e-12 * scale
    return tuple(0.0 if abs(v) <= tiny else v for v in values)


def _f_ratio(num: float, den: float) -> float:
    """Return an F ratio; infinite when the error mean square is 0 (perfect fit)."""
    if den == 0:
        return math.inf if num > 0 else _NAN
    return num / den


_PERFECT = ("an error mean square is 0 (scores perfectly explained by candidate and "
            "examiner effects): F is infinite and the interval undefined")


def _balanced_forms(n, k, msr, msc, mse, msw, level) -> dict[str, ICCForm]:
    # degenerate mean squares give inf/NaN bounds, reported as such rather than warned about
    with np.errstate(divide="ignore", invalid="ignore"):
        return _balanced_forms_body(n, k, msr, msc, mse, msw, level)


def _balanced_forms_body(n, k, msr, msc, mse, msw, level) -> dict[str, ICCForm]:
    q = 1 - (1 - level) / 2
    df_r, df_e, df_w = n - 1, (n - 1) * (k - 1), n * (k - 1)
    f1 = _f_ratio(msr, msw)
    f3 = _f_ratio(msr, mse)
    fj = _ratio(msc, mse)
    p1 = float(special.fdtrc(df_r, df_w, f1))
    p3 = float(special.fdtrc(df_r, df_e, f3))
    icc1 = _ratio(msr - msw, msr + (k - 1) * msw)
    icc2 = _ratio(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n)
    icc3 = _ratio(msr - mse, msr + (k - 1) * mse)
    icc1k = _ratio(msr - msw, msr)
    icc2k = _ratio(msr - mse, msr + (msc - mse) / n)
    icc3k = _ratio(msr - mse, msr)

    # case 1 and 3 intervals: F_L = F / F_crit(df1, df2), F_U = F * F_crit(df2, df1)
    f1l = f1 / special.fdtri(df_r, df_w, q)
    f1u = f1 * special.fdtri(df_w, df_r, q)
    f3l = f3 / special.fdtri(df_r, df_e, q)
    f3u = f3 * special.fdtri(df_e, df_r, q)
    l1, u1 = (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)
    l3, u3 = (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)
    l1k, u1k = 1 - 1 / f1l, 1 - 1 / f1u
    l3k, u3k = 1 - 1 / f3l, 1 - 1 / f3u
    l2, u2 = _case2_interval(n, k, msr, msc, mse, icc2, fj, q)
    # Spearman-Brown step-up of the bounds (may cross zero; plain division as in psych)
    l2k = np.float64(l2 * k) / (1 + l2 * (k - 1))
    u2k = np.float64(u2 * k) / (1 + u2 * (k - 1))
    rows = (
        ("ICC(1,1)", icc1, f1, df_r, df_w, p1, l1, u1),
        ("ICC(2,1)", icc2, f3, df_r, df_e, p3, l2, u2),
        ("ICC(3,1)", icc3, f3, df_r, df_e, p3, l3, u3),
        ("ICC(1,k)", icc1k, f1, df_r, df_w, p1, l1k, u1k),
        ("ICC(2,k)", icc2k, f3, df_r, df_e, p3, l2k, u2k),
        ("ICC(3,k)", icc3k, f3, df_r, df_e, p3, l3k, u3k),
    )
    return {r[0]: ICCForm(r[0], *(float(v) for v in r[1:]), confidence_level=level)
            for r in rows}


def _case2_interval(n, k, msr, msc, mse, icc2, fj, q) -> tuple[float, float]:
    """Return the McGraw & Wong (1996) interval for ICC(2,1), Satterthwaite df."""
    if not (np.isfinite(icc2) and np.isfinite(fj)):
        return _NAN, _NAN
    a = k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2
    vn = (k - 1) * (n - 1) * a**2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    if vd == 0:
        return _NAN, _NAN
    v = vn / vd
    fu = special.fdtri(n - 1, v, q)
    fl = special.fdtri(v, n - 1, q)
    base = k * msc + (k * n - k - n) * mse
    low = np.float64(n * (msr - fu * mse)) / (fu * base + n * msr)
    high = np.float64(n * (fl * msr - mse)) / (base + n * fl * msr)
    return float(low), float(high)


def _icc_unbalanced(x: np.ndarray, obs: np.ndarray, level: float) -> ICCResult:
    """Henderson Method 3 for the two-way crossed random model; unbalanced one-way ANOVA."""
    keep = obs.any(axis=1)
    x, obs = x[keep], obs[keep]
    n, k = x.shape
    if n < 2 or k < 2:
        return _nan_result(n, k, "model", "ICC undefined: fewer than 2 candidates or examiners",
                           balanced=False)
    m = obs.sum(axis=1).astype(float)  # ratings per candidate
    big_n = m.sum()
    yy, r_mu, r_a, r_b, r_b_given_a, rank_c = _reductions(x, obs, m)
    r_ab = r_a + r_b_given_a
    df_e = big_n - n - rank_c
    if df_e <= 0 or yy - r_mu <= 0:
        why = "no residual degrees of freedom" if df_e <= 0 else "every score is the same"
        return _nan_result(n, k, "model", f"ICC undefined: {why}", balanced=False)
    df_a = n + rank_c - k  # rank(mu, a, b) - rank(mu, b)
    mse, ms_a = _snap((max(yy - r_ab, 0.0) / df_e, (r_ab - r_b) / df_a), yy - r_mu)
    var_e = mse
    var_b = (r_b_given_a - rank_c * mse) / (big_n - n)
    var_a = (r_ab - r_b - df_a * mse) / (big_n - k)
    # one-way random model (examiners ignored)
    msb, msw = _snap(((r_a - r_mu) / (n - 1), (yy - r_a) / (big_n - n)), yy - r_mu)
    n0 = (big_n - float(np.einsum("i,i->", m, m)) / big_n) / (n - 1)
    var_a1 = (msb - msw) / n0
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = _f_ratio(msb, msw)
        f3 = _f_ratio(ms_a, mse)
        p1 = float(special.fdtrc(n - 1, big_n - n, f1))
        p3 = float(special.fdtrc(df_a, df_e, f3))
    tests = {"1": (f1, n - 1, big_n - n, p1), "2": (f3, df_a, df_e, p3), "3": (f3, df_a, df_e, p3)}
    comps = {"candidate": var_a, "examiner": var_b, "residual": var_e,
             "one_way_candidate": var_a1, "one_way_residual": msw}
    return _unbalanced_result(n, k, n / float((1 / m).sum()), level, comps, tests)


def _reductions(x: np.ndarray, obs: np.ndarray, m: np.ndarray) -> tuple:
    """Return Henderson's reductions: (Σy², R(μ), R(a), R(b), R(b | a), rank of C).

    R(b | a) absorbs the candidate effects and solves the k × k reduced normal equations C
    for the examiners.
    """
    k = x.shape[1]
    y = np.where(obs, x, 0.0)
    nj = obs.sum(axis=0).astype(float)  # ratings per examiner
    rsum, csum = y.sum(axis=1), y.sum(axis=0)
    yy = float(np.einsum("ij,ij->", y, y))
    r_mu = rsum.sum() ** 2 / m.sum()
    r_a = float(np.einsum("i,i->", rsum, rsum / m))
    r_b = float(np.einsum("j,j->", csum, csum / nj))
    g = np.where(obs, y - (rsum / m)[:, None], 0.0).sum(axis=0)
    weighted = obs / m[:, None]
    c_mat = np.diag(nj) - np.stack([np.einsum("i,ij->j", weighted[:, j], obs)
                                    for j in range(k)])
    eig = np.linalg.eigvalsh(c_mat)
    rank_c = int((eig > eig.max() * k * 1e-12).sum())
    r_b_given_a = float(g @ np.linalg.pinv(c_mat, hermitian=True) @ g)
    return yy, r_mu, r_a, r_b, r_b_given_a, rank_c


def _unbalanced_result(n: int, k: int, kh: float, level: float, comps: dict,
                       tests: dict) -> ICCResult:
    """Assemble the six forms from the variance components (``kh``: harmonic mean k)."""
    var_a, var_b, var_e = comps["candidate"], comps["examiner"], comps["residual"]
    var_a1, msw = comps["one_way_candidate"], comps["one_way_residual"]
    values = {
        "ICC(1,1)": _ratio(var_a1, var_a1 + msw),
        "ICC(2,1)": _ratio(var_a, var_a + var_b + var_e),
        "ICC(3,1)": _ratio(var_a, var_a + var_e),
        "ICC(1,k)": _ratio(var_a1, var_a1 + msw / kh),
        "ICC(2,k)": _ratio(var_a, var_a + (var_b + var_e) / kh),
        "ICC(3,k)": _ratio(var_a, var_a + var_e / kh),
    }
    forms = {
        name: ICCForm(name, float(val), *(float(t) for t in tests[name[4]]), _NAN, _NAN,
                      confidence_level=level)
        for name, val in values.items()
    }
    reason = ("unbalanced data: no accepted closed-form confidence interval for ICCs from "
              "Henderson Method 3 components; intervals are NaN")
    if var_e == 0 or msw == 0:
        reason = _PERFECT
    return ICCResult(MappingProxyType(forms), n, k, kh, "model", False,
                     MappingProxyType({c: float(v) for c, v in comps.items()}), reason)
