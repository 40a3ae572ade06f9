"""Joint maximum likelihood for the rating-scale many-facet Rasch model (see :mod:`.mfrm`).

Observations are flat vectors: candidate ``n``, examiner ``j``, criterion ``i`` (int arrays)
and category code ``y`` in 0..m. The model is an exponential family in the natural
parameters (B, -C, -D, -F): the sufficient statistic of B, -C and -D is the score x, that of
-F_k the indicator [x >= k]. So the information is the summed covariance of these
statistics, and every Newton step below is ascent on a concave log-likelihood.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class Obs:
    """Flat observations and the facet sizes."""

    n: np.ndarray
    j: np.ndarray
    i: np.ndarray
    y: np.ndarray
    sizes: tuple[int, int, int]
    m: int  # highest category code
    key_nj: np.ndarray | None = None  # n·J + j, n·I + i: cell keys, built once
    key_ni: np.ndarray | None = None
    ge: np.ndarray | None = None
    cnt: np.ndarray | None = None  # merged rows (see merge): observations per row ...
    members: np.ndarray | None = None  # ... and candidates per group; None: one each

    def at_least(self) -> np.ndarray:
        """Return the number of scores at or above each category 1..m (cached)."""
        if self.ge is None:
            counts = np.bincount(self.y.astype(np.intp), None, self.m + 1)
            self.ge = np.cumsum(counts[::-1])[::-1][1:]
        return self.ge

    def keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the candidate × examiner and candidate × criterion cell keys."""
        if self.key_nj is None:
            self.key_nj = self.n * self.sizes[1] + self.j
            self.key_ni = self.n * self.sizes[2] + self.i
        return self.key_nj, self.key_ni


@dataclass
class Params:
    """Candidate ability B, examiner severity C, criterion difficulty D, thresholds F_1..F_m."""

    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    f: np.ndarray


def probabilities(eta: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Return P(X = k | eta), shape (m + 1, len(eta)): log P_k ∝ k·eta − Σ_{h≤k} F_h.

    Categories run along the short first axis, so every per-category operation is one
    contiguous pass over the observations. P_k ∝ u^k Π_{h≤k} exp(−F_h) with u = exp(eta −
    s): one exponential per observation, not one per category. The shift s (the middle of
    the thresholds' range on the eta axis) and a clip of eta keep every power finite.
    """
    m = f.size
    z = np.empty((m + 1, eta.size))
    psi = np.concatenate(([0.0], np.cumsum(f)))
    shift = psi[-1] / m
    limit = 600.0 / m
    u = np.clip(eta - shift, -limit, limit)
    np.exp(u, out=u)
    z[0] = 1.0
    for k in range(1, m + 1):
        np.multiply(z[k - 1], u, out=z[k])
        z[k] *= math.exp(-(f[k - 1] - shift))
    total = z.sum(axis=0)
    z /= total
    return z


def moments(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the expected score E and its variance W."""
    k = np.arange(p.shape[0], dtype=float)
    e = k @ p
    return e, np.maximum((k * k) @ p - e * e, 0.0)


def fourth_moment(p: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Return the fourth central moment C4 = Σ_k P_k (k − E)⁴ (for the fit statistics)."""
    c4 = np.zeros_like(e)
    for q in range(p.shape[0]):
        dev = q - e
        dev *= dev
        c4 += p[q] * dev * dev
    return c4


def upper_tails(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return G_k = P(X >= k) and H_k = E[X; X >= k] for k = 1..m, shape (m, M)."""
    m = p.shape[0] - 1
    g = np.empty((m, p.shape[1]))
    h = np.empty((m, p.shape[1]))
    g[m - 1] = p[m]
    np.multiply(p[m], float(m), out=h[m - 1])
    for q in range(m - 2, -1, -1):
        np.add(g[q + 1], p[q + 1], out=g[q])
        np.multiply(p[q + 1], float(q + 1), out=h[q])
        h[q] += h[q + 1]
    return g, h


def unique_rows(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct values of ``key`` (ints in 0..size−1) and each one's position.

    A table of presence when ``size`` is not much larger than ``key`` (no sort), else
    :func:`numpy.unique`.
    """
    if size <= 4 * key.size + 1024:
        present = np.zeros(size, dtype=bool)
        present[key] = True
        rows = np.flatnonzero(present)
        return rows, (np.cumsum(present) - 1)[key]
    rows, where = np.unique(key, return_inverse=True)
    return rows, where.ravel()


def merge(o: Obs, active: np.ndarray) -> tuple[Obs, np.ndarray]:
    """Return the active observations merged by candidate group, and each candidate's group.

    A candidate's likelihood depends on the data only through its raw score and the cells
    (examiner × criterion) it was scored in, so candidates alike in both have one JMLE
    estimate at every iteration (they start equal and receive equal Newton steps). They form
    one group, whose observations in a cell become one row with a count and a score sum: a
    complete design of any number of candidates has at most cells × m + 1 groups. Groups
    are the candidates' index ``n`` of the merged Obs; ``members`` counts each group's
    candidates. A candidate with no active observation is in group −1.
    """
    n_c, n_e, n_r = o.sizes
    n_cells = n_e * n_r
    n, cell, y = o.n[active], o.j[active] * n_r + o.i[active], o.y[active]
    seen = np.zeros((n_c, n_cells), dtype=bool)
    seen[n, cell] = True
    has = np.flatnonzero(np.bincount(n, None, n_c))
    total = np.rint(np.bincount(n, y, n_c)).astype(np.int64)[has, None]
    signature = np.hstack([np.packbits(seen[has], axis=1), total.view(np.uint8)])
    del seen
    _, inverse = np.unique(signature, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    group = np.full(n_c, -1, dtype=np.intp)
    group[has] = inverse
    n_groups = int(inverse.max()) + 1 if inverse.size else 0
    rows, where = unique_rows(group[n] * n_cells + cell, n_groups * n_cells)
    gr, cl = np.divmod(rows, n_cells)
    counts = np.bincount(y.astype(np.intp), None, o.m + 1)
    merged = Obs(gr.astype(np.intp), (cl // n_r).astype(np.intp), (cl % n_r).astype(np.intp),
                 np.bincount(where, y, rows.size), (n_groups, n_e, n_r), o.m,
                 ge=np.cumsum(counts[::-1])[::-1][1:],
                 cnt=np.bincount(where, None, rows.size).astype(float),
                 members=np.bincount(inverse, None, n_groups).astype(float))
    return merged, group


def eta_of(o: Obs, t: Params) -> np.ndarray:
    """Return B_n − C_j − D_i for every observation."""
    return t.b[o.n] - t.c[o.j] - t.d[o.i]


def newton_step(o: Obs, t: Params):
    """Return (largest score residual, Newton step in (B, C, D, F)) from one pass over the data.

    The candidates' block of the information is diagonal, so it is eliminated exactly
    (Schur complement); the small system for examiners, criteria and thresholds is solved
    with a pseudo-inverse, whose null space is the model's three shift invariances. Rows of
    merged observations (:func:`merge`) count ``cnt`` times; a group's residual is reported
    per candidate.
    """
    n_cand, n_ex, n_cr = o.sizes
    m = o.m
    p = probabilities(eta_of(o, t), t.f)
    e, w = moments(p)
    g, cov_xf = upper_tails(p)
    del p
    for q in range(m):  # Cov(X, [X >= k]) = E[X; X >= k] − E·G_k
        cov_xf[q] -= g[q] * e
    if o.cnt is not None:
        e *= o.cnt
        w *= o.cnt
        cov_xf *= o.cnt
        gw = g * o.cnt
    else:
        gw = g
    r = o.y - e
    grad_b = np.bincount(o.n, r, n_cand)
    grad_s = np.concatenate([
        np.bincount(o.j, r, n_ex), np.bincount(o.i, r, n_cr), o.at_least() - gw.sum(axis=1)])
    info_bb = np.bincount(o.n, w, n_cand)
    key_nj, key_ni = o.keys()
    cross = np.hstack([
        np.bincount(key_nj, w, n_cand * n_ex).reshape(n_cand, n_ex),
        np.bincount(key_ni, w, n_cand * n_cr).reshape(n_cand, n_cr),
        np.stack([np.bincount(o.n, cov_xf[q], n_cand) for q in range(m)], axis=1)])
    info_ss = _small_block(o, w, cov_xf, g, gw)
    inv_bb = np.divide(1.0, info_bb, out=np.zeros_like(info_bb), where=info_bb > 0)
    schur = info_ss - (cross * inv_bb[:, None]).T @ cross
    rhs = grad_s - cross.T @ (grad_b * inv_bb)
    step_s = np.linalg.pinv(schur, rcond=1e-10, hermitian=True) @ rhs
    step_b = (grad_b - cross @ step_s) * inv_bb
    per_candidate = grad_b if o.members is None else grad_b / o.members
    gmax = max(float(np.abs(per_candidate).max(initial=0.0)),
               float(np.abs(grad_s).max(initial=0.0)))
    # natural parameters are (B, -C, -D, -F)
    return gmax, step_b, -step_s[:n_ex], -step_s[n_ex:n_ex + n_cr], -step_s[n_ex + n_cr:]


def _small_block(o: Obs, w, cov_xf, g, gw) -> np.ndarray:
    """Information of (-C, -D, -F): summed covariances of the sufficient statistics.

    ``w`` and ``cov_xf`` are already weighted by the rows' counts, ``gw`` is ``g`` weighted.
    """
    _, n_ex, n_cr = o.sizes
    m = o.m
    size = n_ex + n_cr + m
    s = np.zeros((size, size))
    ex, cr = slice(0, n_ex), slice(n_ex, n_ex + n_cr)
    th = slice(n_ex + n_cr, size)
    s[ex, ex] = np.diag(np.bincount(o.j, w, n_ex))
    s[cr, cr] = np.diag(np.bincount(o.i, w, n_cr))
    jc = np.bincount(o.j * n_cr + o.i, w, n_ex * n_cr).reshape(n_ex, n_cr)
    s[ex, cr], s[cr, ex] = jc, jc.T
    jf = np.stack([np.bincount(o.j, cov_xf[q], n_ex) for q in range(m)], axis=1)
    cf = np.stack([np.bincount(o.i, cov_xf[q], n_cr) for q in range(m)], axis=1)
    s[ex, th], s[th, ex] = jf, jf.T
    s[cr, th], s[th, cr] = cf, cf.T
    # Cov([X>=k], [X>=l]) = G_max(k,l) − G_k G_l
    col = gw.sum(axis=1)
    idx = np.arange(m)
    s[th, th] = col[np.maximum(idx[:, None], idx[None, :])] - g @ gw.T
    return s


def recentre(t: Params, ex_mask: np.ndarray, cr_mask: np.ndarray) -> float:
    """Centre C and D at 0 over the estimated elements and make Σ F = 0, keeping every eta.

    Returns the shift added to every B.
    """
    total = 0.0
    for arr, mask in ((t.c, ex_mask), (t.d, cr_mask)):
        shift = arr[mask].mean() if mask.any() else 0.0
        arr -= shift
        total -= shift
    shift = t.f.mean()
    t.f -= shift
    total -= shift
    t.b += total
    return float(total)


def solve_one(o: Obs, t: Params, facet: int, members: np.ndarray, target: np.ndarray,
              max_step: float, iterations: int = 100) -> None:
    """Solve Σ E = target for the elements `members` of `facet` (0, 1, 2), others fixed."""
    if not members.size:
        return
    index = (o.n, o.j, o.i)[facet]
    arr = (t.b, t.c, t.d)[facet]
    size = arr.size
    sel = np.isin(index, members)
    sub = Obs(o.n[sel], o.j[sel], o.i[sel], o.y[sel], o.sizes, o.m)
    sign = 1.0 if facet == 0 else -1.0
    for _ in range(iterations):
        e, w = moments(probabilities(eta_of(sub, t), t.f))
        idx = (sub.n, sub.j, sub.i)[facet]
        res = (target - np.bincount(idx, e, size))[members]
        info = np.bincount(idx, w, size)[members]
        step = np.clip(res / np.maximum(info, 1e-12), -max_step, max_step)
        arr[members] += sign * step
        if np.abs(step).max() < 1e-9:
            break


def extremes(o: Obs) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the mask of observations used for estimation and each facet's extreme codes."""
    active = np.ones(o.y.size, bool)
    ext = [np.zeros(s, np.int8) for s in o.sizes]
    while True:
        changed = False
        for f, index in enumerate((o.n, o.j, o.i)):
            size = o.sizes[f]
            cnt = np.bincount(index[active], None, size)
            lo = np.bincount(index[active], o.y[active] == 0, size)
            hi = np.bincount(index[active], o.y[active] == o.m, size)
            new = (cnt > 0) & ((lo == cnt) | (hi == cnt))
            if new.any():
                ext[f][new & (lo == cnt)] = -1
                ext[f][new & (hi == cnt)] = 1
                active &= ~new[index]
                changed = True
        if not changed:
            return active, ext


def start(mean: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Return the B at which the expected score is `mean`, examiners and criteria at 0."""
    b = np.zeros(mean.size)
    for _ in range(30):  # one value per candidate: cheap
        e, w = moments(probabilities(b, f))
        b += np.clip((mean - e) / np.maximum(w, 1e-6), -2.0, 2.0)
    return b
