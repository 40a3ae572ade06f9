"""Category counts per candidate and Gwet's observed agreement (see :mod:`.agreement`)."""

from __future__ import annotations

import math

import numpy as np

from ._validate import category_codes


def _counts(x: np.ndarray, cats: np.ndarray) -> np.ndarray:
    """Return the n x q matrix of how many examiners put candidate i in category c."""
    codes = category_codes(x, cats)
    n, q = x.shape[0], cats.size
    rows = np.broadcast_to(np.arange(n)[:, None], codes.shape)
    ok = codes >= 0
    flat = rows[ok] * q + codes[ok]
    return np.bincount(flat, minlength=n * q).reshape(n, q).astype(float)


def _prepare(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return counts and totals of candidates with 2+ scores, and category prevalences."""
    r = counts.sum(axis=1)
    many = r >= 2
    any_ = r >= 1
    q = counts.shape[1]
    pi = (counts[any_] / r[any_, None]).mean(axis=0) if any_.any() else np.full(q, np.nan)
    return counts[many], r[many], pi


def _observed(prep, w: np.ndarray) -> tuple[float, int, np.ndarray]:
    """Return Gwet's weighted observed agreement, candidates used, and prevalences."""
    cm, rm, pi = prep
    if rm.size == 0:
        return math.nan, 0, pi
    # Σ_k r_ik (r*_ik - 1) with r*_ik = Σ_l w_kl r_il
    agree = np.einsum("ik,ik->i", cm, np.einsum("il,kl->ik", cm, w)) - rm
    pa = float((agree / (rm * (rm - 1.0))).mean())
    return pa, int(rm.size), pi
