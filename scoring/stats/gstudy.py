"""Generalizability theory: G study (variance components) and D study (projected G and Phi)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from types import MappingProxyType

import numpy as np

__all__ = ["GStudy", "DStudy", "DStudyRow", "g_study", "d_study"]

_FACETS = ("candidate", "examiner", "criterion")


@dataclass(frozen=True)
class GStudy:
    """Variance components of a crossed random design, estimated from expected mean squares.

    ``design`` is ``"p x r"`` (candidates x examiners) or ``"p x r x c"`` (x criteria).
    Component names are ``candidate``, ``examiner``, ``criterion``, the interactions
    ``candidate:examiner``, ``candidate:criterion``, ``examiner:criterion`` and ``residual``
    (the highest interaction confounded with error). ``components`` has negative estimates
    set to 0; ``components_raw`` keeps them. ``g`` and ``phi`` are for the observed numbers
    of examiners and criteria.
    """

    design: str
    n_candidates: int
    n_examiners: int
    n_criteria: int | None
    components: Mapping[str, float]
    components_raw: Mapping[str, float]
    mean_squares: Mapping[str, float]
    df: Mapping[str, int]
    g: float
    phi: float
    n_dropped: int = 0
    reason: str | None = None
    method: str = "anova"


@dataclass(frozen=True)
class DStudyRow:
    """Projected coefficients for one design: relative G (Eρ²) and absolute Φ."""

    n_examiners: int
    n_criteria: int | None
    g: float
    phi: float
    relative_error: float
    absolute_error: float


@dataclass(frozen=True)
class DStudy:
    """D-study projections, one row per (n_examiners, n_criteria) design."""

    design: str
    rows: tuple[DStudyRow, ...]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def g_study(ratings, missing: str = "drop") -> GStudy:
    """Estimate variance components for the crossed p x r or p x r x c random design.

    Parameters
    ----------
    ratings : array_like, shape (n_candidates, n_examiners) or (n_candidates, n_examiners,
        n_criteria)
        Scores, NaN where missing.
    missing : {"drop", "model"}
        ``"drop"``: candidates with any missing score are left out (the ANOVA estimators
        need a balanced design) and counted in ``n_dropped``. ``"model"``: every score is
        used, with Henderson's Method 1 (the "analogous ANOVA" procedure of Brennan 2001,
        sec. 7.1, used by urGENOVA): the sums of squared level totals ``T`` of every effect
        are equated to their expectations, whose coefficients come from the cell counts.
        On complete data both give the ANOVA estimates.

    Returns
    -------
    GStudy

    Notes
    -----
    Mean squares of the fully crossed ANOVA are equated to their expectations and solved
    (Brennan 2001, sec. 3.4). A negative estimate is set to zero for reporting and in the
    coefficients, but the unaltered estimates are used to solve for the others, which is
    Brennan's (2001, sec. 3.4.2) convention; the raw values are kept in ``components_raw``.
    With ``missing="model"`` on unbalanced data there are no mean squares
    (``mean_squares`` and ``df`` are empty), ``method`` is ``"henderson1"``, and ``g`` and
    ``phi`` refer to the full panel (all examiners and criteria).

    References
    ----------
    Brennan, R. L. (2001). Generalizability Theory. Springer. Chapters 2-4 and 7.
    Henderson, C. R. (1953). Estimation of variance and covariance components. Biometrics,
    9(2), 226-252.
    Searle, S. R., Casella, G., & McCulloch, C. E. (1992). Variance Components. Wiley,
    sec. 5.3.
    Cronbach, L. J., Gleser, G. C., Nanda, H., & Rajaratnam, N. (1972). The Dependability of
    Behavioral Measurements. Wiley.
    Shavelson, R. J., & Webb, N. M. (1991). Generalizability Theory: A Primer. Sage.

    Examples
    --------
    Brennan (2001), Synthetic Data Set No. 1: ten persons by twelve dichotomous items (read
    items as examiners). Published: variance components .0574 (persons), .0754 (items) and
    .1269 (residual); Eρ² = .844 and Φ = .773 for twelve items.

    >>> from scoring.stats import g_study
    >>> x = [[1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0],
    ...      [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
    ...      [1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0], [1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0],
    ...      [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0],
    ...      [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]
    >>> g = g_study(x)
    >>> {name: round(v, 4) for name, v in g.components.items()}
    {'candidate': 0.0574, 'examiner': 0.0754, 'residual': 0.1269}
    >>> round(g.g, 3), round(g.phi, 3)
    (0.844, 0.773)
    """
    if missing not in ("drop", "model"):
        raise ValueError(f"missing must be one of ('drop', 'model'); got {missing!r}")
    try:
        x = np.asarray(ratings, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"ratings must be numeric (NaN for a missing score): {exc}") from None
    if x.ndim not in (2, 3):
        raise ValueError("ratings must have shape (n_candidates, n_examiners) or "
                         f"(n_candidates, n_examiners, n_criteria); got shape {x.shape}")
    if np.isinf(x).any():
        raise ValueError("ratings contains an infinite value; use NaN for a missing score")
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[:, :, 0]
    names = _FACETS[: x.ndim]
    design = " x ".join("prc"[: x.ndim])
    n_crit = int(x.shape[2]) if x.ndim == 3 else None
    nan_mask = np.isnan(x)
    if missing == "model" and nan_mask.any():
        return _g_unbalanced(x, ~nan_mask, names, design, n_crit)
    complete = ~nan_mask.any(axis=tuple(range(1, x.ndim)))
    dropped = int(x.shape[0] - complete.sum())
    x = x[complete]
    if min(x.shape) < 2:
        return _empty(design, x, n_crit, dropped,
                      "G study undefined: needs at least 2 complete candidates and 2 examiners"
                      + (" and 2 criteria" if x.ndim == 3 else ""))
    ms, df = _mean_squares(x, names)
    raw = _solve_ems(ms, x.shape, names)
    comps = {k: max(v, 0.0) for k, v in raw.items()}
    sizes = {"examiner": x.shape[1], "criterion": n_crit}
    rel, ab = _errors(comps, sizes)
    g, phi = _coef(comps["candidate"], rel), _coef(comps["candidate"], ab)
    reason = None
    if float(np.ptp(x)) == 0:
        reason = "every score is the same: no variance to decompose"
    return GStudy(design, int(x.shape[0]), int(x.shape[1]), n_crit,
                  MappingProxyType(comps), MappingProxyType(raw), MappingProxyType(ms),
                  MappingProxyType(df), g, phi, dropped, reason)


def d_study(g: GStudy, n_examiners: Iterable[int] | int = range(1, 9),
            n_criteria: Iterable[int] | int | None = None) -> DStudy:
    """Project G and Phi for other numbers of examiners (and criteria).

    Parameters
    ----------
    g : GStudy
        The result of :func:`g_study`.
    n_examiners : int or iterable of int
        Panel sizes to project, 1..8 by default.
    n_criteria : int or iterable of int, optional
        Numbers of criteria (p x r x c only); defaults to the observed number.

    Returns
    -------
    DStudy

    Notes
    -----
    For p x R x C: relative error ``σ²pr/n_r + σ²pc/n_c + σ²prc,e/(n_r n_c)``; absolute
    error adds ``σ²r/n_r + σ²c/n_c + σ²rc/(n_r n_c)``; ``Eρ² = σ²p / (σ²p + δ)``,
    ``Φ = σ²p / (σ²p + Δ)`` (Brennan 2001, ch. 4).

    References
    ----------
    Brennan, R. L. (2001). Generalizability Theory. Springer. Chapter 4.

    Examples
    --------
    Brennan (2001), Synthetic Data Set No. 1 (see :func:`g_study`): for twelve items the
    published Eρ² is .844 and Φ is .773.

    >>> from scoring.stats import d_study, g_study
    >>> x = [[1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0],
    ...      [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
    ...      [1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0], [1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0],
    ...      [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0],
    ...      [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]
    >>> row = d_study(g_study(x), [12]).rows[0]
    >>> round(row.g, 3), round(row.phi, 3)
    (0.844, 0.773)
    """
    if not isinstance(g, GStudy):
        raise ValueError(f"g must be a GStudy from g_study(); got {type(g).__name__}")
    n_r = _sizes(n_examiners, "n_examiners")
    if g.n_criteria is None:
        if n_criteria is not None:
            raise ValueError("n_criteria applies only to a p x r x c G study")
        n_c: tuple[int | None, ...] = (None,)
    else:
        n_c = (g.n_criteria,) if n_criteria is None else _sizes(n_criteria, "n_criteria")
    rows = []
    for r in n_r:
        for c in n_c:
            rel, ab = _errors(g.components, {"examiner": r, "criterion": c})
            p = g.components.get("candidate", math.nan)
            rows.append(DStudyRow(r, c, _coef(p, rel), _coef(p, ab), rel, ab))
    return DStudy(g.design, tuple(rows))


def _sizes(value, name: str) -> tuple[int, ...]:
    vals = (value,) if isinstance(value, int | np.integer) else tuple(value)
    if not vals or any(not isinstance(v, int | np.integer) or v < 1 for v in vals):
        raise ValueError(f"{name} must be a positive integer or an iterable of them; "
                         f"got {value!r}")
    return tuple(int(v) for v in vals)


def _g_unbalanced(x: np.ndarray, obs: np.ndarray, names, design: str, n_crit) -> GStudy:
    """Henderson Method 1 (analogous ANOVA) for a crossed random design with missing cells."""
    dims = x.shape
    y = x[obs]
    where = np.nonzero(obs)
    used = [np.unique(w).size for w in where]
    if y.size == 0 or min(used) < 2:
        return _empty(design, x, n_crit, 0, "G study undefined: needs at least 2 candidates, "
                      "2 examiners" + (" and 2 criteria" if x.ndim == 3 else "") + " with scores")
    effects = [e for order in range(x.ndim + 1) for e in combinations(range(x.ndim), order)]
    counts, t_terms = _effect_totals(y, where, dims, effects)
    coef = _expectations(effects, counts, dims, y.size)
    try:
        sol = np.linalg.solve(coef, np.array(t_terms))
    except np.linalg.LinAlgError:
        return _empty(design, x, n_crit, 0, "G study undefined: the pattern of missing scores "
                      "does not identify every variance component")
    key = {e: ":".join(names[a] for a in e) for e in effects[1:]}
    key[effects[-1]] = "residual"
    raw = {key[e]: float(v) for e, v in zip(effects[1:], sol[1:], strict=True)}
    order = [k for k in ("candidate", "examiner", "criterion", "candidate:examiner",
                         "candidate:criterion", "examiner:criterion", "residual") if k in raw]
    raw = {k: raw[k] for k in order}
    comps = {k: max(v, 0.0) for k, v in raw.items()}
    rel, ab = _errors(comps, {"examiner": dims[1], "criterion": n_crit})
    g, phi = _coef(comps["candidate"], rel), _coef(comps["candidate"], ab)
    return GStudy(design, int(used[0]), int(used[1]), n_crit, MappingProxyType(comps),
                  MappingProxyType(raw), MappingProxyType({}), MappingProxyType({}), g, phi, 0,
                  "every score is the same: no variance to decompose" if np.ptp(y) == 0 else None,
                  "henderson1")


def _effect_totals(y, where, dims, effects) -> tuple[dict, list[float]]:
    """Return each effect's cell counts and its T term Σ_e (total_e)² / n_e."""
    counts, t_terms = {}, []
    for e in effects:
        shape = tuple(dims[a] for a in e)
        code = (np.ravel_multi_index(tuple(where[a] for a in e), shape) if e
                else np.zeros(y.size, np.int64))
        size = math.prod(shape)
        n_e = np.bincount(code, minlength=size).astype(float)
        tot = np.bincount(code, weights=y, minlength=size)
        has = n_e > 0
        t_terms.append(float((tot[has] ** 2 / n_e[has]).sum()))
        counts[e] = n_e.reshape(shape)
    return counts, t_terms


def _expectations(effects, counts, dims, n_obs: int) -> np.ndarray:
    """Return the coefficients of E[T_E] on (μ², σ²_F ...).

    E[T_E] = N μ² + Σ_F σ²_F Σ_e Σ_f n_ef² / n_e (Searle et al. 1992, sec. 5.3).
    """
    coef = np.zeros((len(effects), len(effects)))
    for i, e in enumerate(effects):
        coef[i, 0] = n_obs
        for j, f in enumerate(effects[1:], start=1):
            u = tuple(sorted(set(e) | set(f)))
            n_u = counts[u]
            n_e = counts[e].reshape([dims[a] if a in e else 1 for a in u])
            with np.errstate(divide="ignore", invalid="ignore"):
                coef[i, j] = float(np.where(n_u > 0, n_u * n_u / n_e, 0.0).sum())
    return coef


def _empty(design, x, n_crit, dropped, reason) -> GStudy:
    return GStudy(design, int(x.shape[0]), int(x.shape[1]), n_crit, MappingProxyType({}),
                  MappingProxyType({}), MappingProxyType({}), MappingProxyType({}),
                  math.nan, math.nan, dropped, reason)


def _mean_squares(x: np.ndarray, names) -> tuple[dict[str, float], dict[str, int]]:
    """Return mean squares and df of every effect of the fully crossed ANOVA."""
    dims = x.shape
    dev = x - x.mean()
    ms, df = {}, {}
    ss_sum = 0.0
    effects: dict[tuple[int, ...], np.ndarray] = {}
    for order in range(1, x.ndim):
        for axes in combinations(range(x.ndim), order):
            other = tuple(a for a in range(x.ndim) if a not in axes)
            eff = dev.mean(axis=other, keepdims=True)
            # subtract lower-order effects contained in this one
            for sub, sub_eff in effects.items():
                if set(sub) < set(axes):
                    eff = eff - sub_eff
            effects[axes] = eff
            reps = math.prod(dims[a] for a in other)
            ss = reps * float((eff * eff).sum())
            d = math.prod(dims[a] - 1 for a in axes)
            key = ":".join(names[a] for a in axes)
            ms[key], df[key] = ss / d, d
            ss_sum += ss
    ss_res = max(float((dev * dev).sum()) - ss_sum, 0.0)
    d_res = math.prod(d - 1 for d in dims)
    ms["residual"], df["residual"] = ss_res / d_res, d_res
    return ms, df


def _solve_ems(ms: dict[str, float], dims, names) -> dict[str, float]:
    """Solve the expected-mean-square equations of a crossed random design, top down."""
    res = ms["residual"]
    comps = {"residual": res}
    if len(dims) == 2:
        n, k = dims
        comps["candidate"] = (ms["candidate"] - res) / k
        comps["examiner"] = (ms["examiner"] - res) / n
        return {key: float(comps[key]) for key in ("candidate", "examiner", "residual")}
    n, k, c = dims
    pr, pc, rc = ms["candidate:examiner"], ms["candidate:criterion"], ms["examiner:criterion"]
    comps["candidate:examiner"] = (pr - res) / c
    comps["candidate:criterion"] = (pc - res) / k
    comps["examiner:criterion"] = (rc - res) / n
    comps["candidate"] = (ms["candidate"] - pr - pc + res) / (k * c)
    comps["examiner"] = (ms["examiner"] - pr - rc + res) / (n * c)
    comps["criterion"] = (ms["criterion"] - pc - rc + res) / (n * k)
    order = ("candidate", "examiner", "criterion", "candidate:examiner", "candidate:criterion",
             "examiner:criterion", "residual")
    return {key: float(comps[key]) for key in order}


def _errors(comps: Mapping[str, float], sizes) -> tuple[float, float]:
    """Return relative (δ) and absolute (Δ) error variances for a D-study design."""
    if not comps:
        return math.nan, math.nan
    r = sizes["examiner"]
    if "criterion" not in comps:
        rel = comps["residual"] / r
        return rel, rel + comps["examiner"] / r
    c = sizes["criterion"]
    rel = (comps["candidate:examiner"] / r + comps["candidate:criterion"] / c
           + comps["residual"] / (r * c))
    ab = rel + (comps["examiner"] / r + comps["criterion"] / c
                + comps["examiner:criterion"] / (r * c))
    return rel, ab


def _coef(p: float, err: float) -> float:
    den = p + err
    if not np.isfinite(den) or den <= 0:
        return math.nan
    return p / den
