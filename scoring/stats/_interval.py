"""Normal-theory confidence intervals shared by the result classes (one z, one place)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["ConfidenceInterval", "normal_interval"]


@dataclass(frozen=True)
class ConfidenceInterval:
    """A two-sided interval ``[low, high]`` at ``confidence_level`` (NaN when undefined)."""

    low: float
    high: float
    confidence_level: float = 0.95


def z_value(confidence_level: float) -> float:
    """Return the two-sided normal quantile, 1.959963984540054 for 0.95."""
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be in (0, 1); got {confidence_level!r}")
    return float(special.ndtri(0.5 + confidence_level / 2))


def normal_interval(estimate, se, confidence_level: float = 0.95):
    """Return ``estimate ± z · se`` as (low, high); NaN where either is not finite.

    Scalars give floats, arrays give arrays of the same shape.
    """
    z = z_value(confidence_level)
    est, err = np.asarray(estimate, float), np.asarray(se, float)
    ok = np.isfinite(est) & np.isfinite(err)
    with np.errstate(invalid="ignore"):
        low = np.where(ok, est - z * err, np.nan)
        high = np.where(ok, est + z * err, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high
