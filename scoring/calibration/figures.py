"""An examiner's agreement with the reference levels of a calibration set (pure numpy).

Exact and adjacent agreement are :func:`scoring.stats.percent_agreement` over (examiner,
reference) pairs, one pair per case and criterion; the mean deviation is the examiner's
level minus the reference, in points (positive: lenient, negative: severe). The same
figures come out of ``scoring stats`` on the exported calibration scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..stats import percent_agreement


@dataclass(frozen=True)
class CriterionDeviation:
    """How far an examiner's levels lay from the reference on one criterion."""

    code: str
    mean_deviation: float
    mean_abs_deviation: float
    exact: float


@dataclass(frozen=True)
class CalibrationFigures:
    """Agreement with the reference over a set (or the cases scored so far)."""

    n_cases: int
    exact: float
    adjacent: float
    mean_deviation: float
    per_criterion: tuple[CriterionDeviation, ...]

    def tendency(self, tolerance: float = 0.25) -> str:
        """Return "lenient", "severe" or "balanced" from the mean deviation."""
        if not math.isfinite(self.mean_deviation) or abs(self.mean_deviation) < tolerance:
            return "balanced"
        return "lenient" if self.mean_deviation > 0 else "severe"

    def differ_most(self, n: int = 3) -> tuple[CriterionDeviation, ...]:
        """Return the ``n`` criteria with the largest mean absolute deviation (above 0)."""
        ranked = sorted((c for c in self.per_criterion if c.mean_abs_deviation > 0),
                        key=lambda c: (-c.mean_abs_deviation, c.code))
        return tuple(ranked[:n])

    def passes(self, min_exact: float, min_adjacent: float, max_abs_deviation: float) -> bool:
        """Return whether the figures meet the thresholds (1e-9 slack for float rounding)."""
        return (self.exact >= min_exact - 1e-9 and self.adjacent >= min_adjacent - 1e-9
                and abs(self.mean_deviation) <= max_abs_deviation + 1e-9)


def reference_figures(levels, reference, criteria) -> CalibrationFigures:
    """Compare ``levels`` with ``reference``, both of shape (n_cases, n_criteria).

    Parameters
    ----------
    levels, reference : array_like
        The examiner's levels and the reference levels; NaN where a case is not scored.
    criteria : sequence of str
        The criterion codes, one per column.
    """
    x = np.asarray(levels, dtype=float)
    r = np.asarray(reference, dtype=float)
    if x.shape != r.shape or x.ndim != 2 or x.shape[1] != len(criteria):
        raise ValueError(f"levels and reference must both have shape (n_cases, "
                         f"{len(criteria)}); got {x.shape} and {r.shape}")
    scored = ~np.isnan(x).all(axis=1)
    x, r = x[scored], r[scored]
    if x.shape[0] == 0:  # nothing scored yet: no figure is defined
        return CalibrationFigures(0, math.nan, math.nan, math.nan, ())
    pairs = np.column_stack([x.ravel(), r.ravel()])
    dev = x - r
    per = []
    for j, code in enumerate(criteria):
        col = np.column_stack([x[:, j], r[:, j]])
        per.append(CriterionDeviation(code, float(np.nanmean(dev[:, j])),
                                      float(np.nanmean(np.abs(dev[:, j]))),
                                      percent_agreement(col, 0).value))
    return CalibrationFigures(int(x.shape[0]), percent_agreement(pairs, 0).value,
                              percent_agreement(pairs, 1).value, float(np.nanmean(dev)),
                              tuple(per))
