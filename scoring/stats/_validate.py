"""Shared input checks for the statistics; every failure names the argument."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def as_ratings(ratings, name: str = "ratings", ndim: int = 2) -> np.ndarray:
    """Return `ratings` as a float array of `ndim` dimensions, NaN marking missing scores."""
    try:
        arr = np.asarray(ratings, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric (NaN for a missing score): {exc}") from None
    if arr.ndim != ndim:
        shape = "(n_candidates, n_examiners)" if ndim == 2 else (
            "(n_candidates, n_examiners, n_criteria)")
        raise ValueError(f"{name} must have shape {shape}; got an array of shape {arr.shape}")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains an infinite value; use NaN for a missing score")
    return arr


def as_pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Return two equally long 1-d float vectors (two raters' scores on the same candidates)."""
    out = []
    for name, vec in (("a", a), ("b", b)):
        try:
            arr = np.asarray(vec, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric (NaN for a missing score): {exc}") from None
        if arr.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
        if np.isinf(arr).any():
            raise ValueError(f"{name} contains an infinite value; use NaN for a missing score")
        out.append(arr)
    if out[0].shape != out[1].shape:
        raise ValueError(f"a and b must have the same length; got {out[0].size} and {out[1].size}")
    return out[0], out[1]


def check_choice(value, name: str, choices: Iterable) -> None:
    """Raise ValueError unless `value` is one of `choices`."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices!r}; got {value!r}")


def as_categories(categories, observed: np.ndarray, name: str = "categories") -> np.ndarray:
    """Return the ordered category scale; check every observed score belongs to it.

    When `categories` is None the sorted distinct observed scores are used.
    """
    if categories is None:
        return np.unique(observed[~np.isnan(observed)])
    try:
        cats = np.asarray(list(categories), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a sequence of numbers: {exc}") from None
    if cats.ndim != 1 or cats.size == 0:
        raise ValueError(f"{name} must be a non-empty one-dimensional sequence")
    if np.isnan(cats).any() or np.unique(cats).size != cats.size:
        raise ValueError(f"{name} must not contain NaN or repeated values")
    if _consecutive(cats):
        # an integer scale: membership is integrality and range, no sort needed
        with np.errstate(invalid="ignore"):
            vals = observed[~np.isnan(observed)]
            if vals.size == 0 or (vals.min() >= cats[0] and vals.max() <= cats[-1]
                                  and np.array_equal(vals, np.rint(vals))):
                return cats
    obs = np.unique(observed[~np.isnan(observed)])
    unknown = np.setdiff1d(obs, cats)
    if unknown.size:
        raise ValueError(f"{name} does not contain the observed score(s) {unknown[:5].tolist()}")
    return cats


def category_codes(values: np.ndarray, cats: np.ndarray) -> np.ndarray:
    """Map scores to positions in `cats` (which may be unsorted); -1 where a score is NaN."""
    missing = np.isnan(values)
    if _consecutive(cats):
        return np.where(missing, -1, np.where(missing, 0, values) - cats[0]).astype(np.int64)
    order = np.argsort(cats, kind="stable")
    sorted_cats = cats[order]
    filled = np.where(np.isnan(values), sorted_cats[0], values)
    pos = np.searchsorted(sorted_cats, filled)
    pos = np.clip(pos, 0, sorted_cats.size - 1)
    codes = order[pos]
    return np.where(missing, -1, codes)


def _consecutive(cats: np.ndarray) -> bool:
    """Return True for an increasing run of consecutive integers (1, 2, 3, ...)."""
    return bool(cats.size and cats[0] == np.rint(cats[0]) and np.all(np.diff(cats) == 1))


def check_scale(scale: Sequence[float] | None, name: str = "scale") -> tuple[float, float]:
    """Return (low, high) of a score scale, checking it is two increasing finite numbers."""
    try:
        low, high = (float(v) for v in scale)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (min, max) of numbers; got {scale!r}") from None
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        raise ValueError(f"{name} must satisfy min < max; got {scale!r}")
    return low, high
