"""The descriptive figures behind the examiner effects (see :func:`.effects.rater_effects`)."""

from __future__ import annotations

import math

import numpy as np


def _gaps(dev: np.ndarray) -> np.ndarray:
    """Return each examiner's distance in points from the panel's median examiner."""
    k = dev.size
    if k < 3:
        return dev.copy()
    a = dev * (k - 1) / k
    ok = np.isfinite(a)
    return a - np.median(a[ok]) if ok.any() else np.full(k, math.nan)


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
    res.update(_spread(sh, j, idx, mine, s1, cv, res["n"]))
    return res


def _spread(sh, j, idx, mine, s1, cv, n: int) -> dict:
    """Return examiner j's middle share, SD ratio and agreement with the rest of the panel."""
    own_band = sh["band"][j].ravel()[idx]
    n_others = float(cv.sum())
    out = {"middle_share": float(own_band.mean()),
           "panel_middle_share": float((sh["band_sum"].ravel()[idx] - own_band).sum()
                                       / n_others)}
    s2 = float((sh["s2"].ravel()[idx] - mine * mine).sum())
    others_var = (s2 - float(s1.sum()) ** 2 / n_others) / max(n_others - 1, 1)
    own_var = float(mine.var(ddof=1))
    out["sd_ratio"] = math.sqrt(own_var / others_var) if others_var > 0 else math.nan
    rest = s1 / cv
    rest_c, mine_c = rest - rest.mean(), mine - mine.mean()
    sxx, sxy, syy = (float(np.einsum("i,i->", a, b))
                     for a, b in ((rest_c, rest_c), (rest_c, mine_c), (mine_c, mine_c)))
    if sxx > 0 and syy > 0:
        out["rest_correlation"] = sxy / math.sqrt(sxx * syy)
        out["slope"] = sxy / sxx
        out["fit_ms"] = max(syy - sxy * sxy / sxx, 0.0) / (n - 2)
    return out


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


def _severity(severity, k: int) -> list[tuple[float, float] | None]:
    """Return per examiner (measure, se) in logits, or None where not given or not finite."""
    if severity is None:
        return [None] * k
    pairs = list(severity)
    if len(pairs) != k:
        raise ValueError(f"severity has {len(pairs)} entries for {k} examiners in ratings3d")
    out = []
    for j, pair in enumerate(pairs):
        try:
            measure, se = (float(v) for v in pair)
        except (TypeError, ValueError):
            raise ValueError(f"severity[{j}] must be a (measure, se) pair of numbers; got "
                             f"{pair!r}") from None
        out.append((measure, se) if math.isfinite(measure) and math.isfinite(se) and se > 0
                   else None)
    return out
