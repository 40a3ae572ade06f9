"""The result classes of the many-facet Rasch model (:func:`scoring.stats.mfrm`)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ._interval import normal_interval

__all__ = ["FACETS", "BiasTerm", "FacetMeasures", "MFRMResult", "Subset", "Threshold"]

FACETS = ("candidates", "examiners", "criteria")


@dataclass(frozen=True)
class FacetMeasures:
    """Measures of one facet's elements, FACETS' measurement report in arrays.

    ``measure`` is the uncorrected JMLE estimate (what FACETS prints); ``measure_corrected``
    is it times the (L−1)/L factor of :class:`MFRMResult`. Candidates: ability (higher =
    better); examiners: severity (higher = harsher); criteria: difficulty (higher = harder).
    ``extreme`` is −1 (all minimum), +1 (all maximum) or 0 per element; ``count`` is 0 for an
    element without scores (every statistic NaN). Summary statistics (separation, reliability,
    strata, fixed chi-square) are over the non-extreme elements with scores.
    """

    name: str
    ids: tuple
    measure: np.ndarray
    measure_corrected: np.ndarray
    se: np.ndarray
    infit: np.ndarray
    infit_zstd: np.ndarray
    outfit: np.ndarray
    outfit_zstd: np.ndarray
    count: np.ndarray
    observed_average: np.ndarray
    fair_average: np.ndarray
    extreme: np.ndarray
    sd: float = math.nan
    rmse: float = math.nan
    separation: float = math.nan
    reliability: float = math.nan
    strata: float = math.nan
    chi_square: float = math.nan
    df: int = 0
    p: float = math.nan

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[np.ndarray,
                                                                            np.ndarray]:
        """Return (low, high) arrays: ``measure`` ± z · ``se``, the model-based interval."""
        return normal_interval(self.measure, self.se, confidence_level)

    def rows(self, clean: bool = False) -> list[dict]:
        """Return one plain dict per element with its 95 % interval.

        NaN stays a float NaN, or becomes None with ``clean`` (JSON-able: ids as plain
        Python values too).
        """
        cols = ("measure", "measure_corrected", "se", "infit", "infit_zstd", "outfit",
                "outfit_zstd", "observed_average", "fair_average")
        low, high = self.confidence_interval()
        arrays = [np.asarray(getattr(self, c), float) for c in cols] + [low, high]
        columns = [_column(a, clean) for a in arrays]
        names = (*cols, "ci_low", "ci_high")
        extreme = {-1: "minimum", 1: "maximum"}
        ids = [i.item() if clean and isinstance(i, np.generic) else i for i in self.ids]
        out = []
        for ident, values, count, ext in zip(ids, zip(*columns, strict=True),
                                             self.count.tolist(), self.extreme.tolist(),
                                             strict=True):
            row = {"id": ident, **dict(zip(names, values, strict=True))}
            row["count"] = int(count)
            row["extreme"] = extreme.get(int(ext))
            out.append(row)
        return out


def _column(values: np.ndarray, clean: bool) -> list:
    """Return an array as a list of floats; with ``clean``, None where not finite."""
    if not clean:
        return values.tolist()
    out = values.astype(object)
    out[~np.isfinite(values)] = None
    return out.tolist()


@dataclass(frozen=True)
class Threshold:
    """Rasch–Andrich threshold F_k between category ``category`` and the one below it."""

    category: float
    measure: float
    measure_corrected: float
    se: float
    count: int


@dataclass(frozen=True)
class BiasTerm:
    """Examiner × criterion interaction, estimated with every main measure held fixed.

    ``bias`` > 0: the examiner was harsher on this criterion than their overall severity
    predicts (logits); t = bias / se with ``df`` = count − 1, two-sided ``p``.
    """

    examiner: object
    criterion: object
    count: int
    observed_average: float
    expected_average: float
    bias: float
    se: float
    t: float
    df: int
    p: float
    extreme: bool = False


@dataclass(frozen=True)
class Subset:
    """One connected part of the design: the elements linked to each other by scores."""

    candidates: tuple
    examiners: tuple
    criteria: tuple


@dataclass(frozen=True)
class MFRMResult:
    """Many-facet Rasch analysis. ``reason`` is None when measures were estimated.

    When the design is disconnected (``subsets`` has more than one entry) or confounded, or
    fewer than two categories are used, nothing is estimated: the facets hold NaN and
    ``reason`` says why.
    """

    candidates: FacetMeasures
    examiners: FacetMeasures
    criteria: FacetMeasures
    thresholds: tuple[Threshold, ...]
    bias: tuple[BiasTerm, ...]
    categories: tuple[float, ...]
    converged: bool
    iterations: int
    max_residual: float
    max_change: float
    correction: float
    extreme_adjustment: float
    n_observations: int
    subsets: tuple[Subset, ...] = field(default=())
    reason: str | None = None
    reason_code: str | None = None  # "categories", "disconnected", "confounded", "extremes"

    @property
    def estimated(self) -> bool:
        """Return True when measures were estimated."""
        return self.reason is None

    def to_dict(self, clean_rows: bool = False) -> dict:
        """Return the plain ``rasch`` block (NaN kept as float NaN; callers clean it).

        With ``clean_rows`` the element rows are JSON-able already (see
        :meth:`FacetMeasures.rows`), so a caller need not walk them again.
        """
        facets = (self.candidates, self.examiners, self.criteria)
        return {
            "model": "rating-scale many-facet Rasch, JMLE",
            "estimated": self.estimated, "reason": self.reason,
            "reason_code": self.reason_code,
            "converged": self.converged, "iterations": self.iterations,
            "max_residual": self.max_residual, "max_change": self.max_change,
            "correction": self.correction, "extreme_adjustment": self.extreme_adjustment,
            "n_observations": self.n_observations, "categories": list(self.categories),
            **{f.name: f.rows(clean_rows) for f in facets},
            "thresholds": [asdict(t) for t in self.thresholds],
            **{key: {f.name: getattr(f, key) for f in facets}
               for key in ("separation", "reliability", "strata", "sd", "rmse")},
            "chi_square": {f.name: {"value": f.chi_square, "df": f.df, "p": f.p}
                           for f in facets},
            "bias": [asdict(b) for b in self.bias],
            "subsets": [asdict(s) for s in self.subsets],
        }

    def severity_evidence(self, min_candidates: int = 10) -> tuple[tuple | None, str | None]:
        """Return the examiners' (severity, SE) pairs for the leniency flags, or why not.

        The design allows the Rasch evidence when the measures were estimated (a connected,
        unconfounded design), the estimation converged and at least ``min_candidates``
        candidates have a non-extreme measure. Then the result is one ``(measure, se)`` pair
        per examiner, NaN for an examiner with an extreme score or no scores (its flag falls
        back to the deviation), and None for the reason. Otherwise it is ``(None, reason)``.
        """
        if not self.estimated:
            return None, f"no Rasch measures: {self.reason}"
        if not self.converged:
            return None, (f"the Rasch estimation did not converge in {self.iterations} "
                          "iterations")
        usable = int(((self.candidates.extreme == 0) & (self.candidates.count > 0)).sum())
        if usable < min_candidates:
            return None, (f"{usable} candidates have a Rasch measure that is not extreme, "
                          f"fewer than {min_candidates}")
        ex = self.examiners
        ok = (ex.extreme == 0) & np.isfinite(ex.se) & (ex.count > 0)
        pairs = tuple((float(m), float(s)) if good else (math.nan, math.nan)
                      for m, s, good in zip(ex.measure, ex.se, ok, strict=True))
        return pairs, None

    def facet(self, name: str) -> FacetMeasures:
        """Return the facet called ``"candidates"``, ``"examiners"`` or ``"criteria"``."""
        if name not in FACETS:
            raise ValueError(f"name must be one of {FACETS!r}; got {name!r}")
        return getattr(self, name)
