"""Examiner (rater) effects: leniency/severity, inconsistency, central tendency and halo.

Policy: flag and explain, never adjust. Every flag carries a stable code, the figures behind
it and the threshold it crossed, so a chair can read why (and a UI can phrase it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ._effect_figures import _figures, _gaps, _nanmedian, _rel, _severity, _shared
from ._interval import ConfidenceInterval, normal_interval
from ._validate import as_ratings, check_scale

__all__ = ["Thresholds", "Flag", "ExaminerEffect", "rater_effects", "leniency_tier", "FLAG_CODES",
           "WATCH_CODES"]

FLAG_CODES = ("lenient", "severe", "inconsistent", "central_tendency", "halo")
WATCH_CODES = ("lenient", "severe")  # the codes a "watch" (smaller, yet clear) finding can have


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs for the examiner flags.

    Attributes
    ----------
    z_min : float
        Leniency/severity needs ``|z| >= z_min``: statistically clear, the usual two-sided
        5 % criterion used for rater severity measures (Myford & Wolfe 2004).
    min_share, watch_share : float
        The size that matters, as a fraction of the scale's range ``max - min``, so it means
        the same on 1-4, 1-5 or 0-100. A *flag* (``lenient``/``severe``) needs a deviation
        of at least ``min_share`` of the range (1/8: 0.375 points on 1-4, 0.5 on 1-5); a
        *watch* (clear evidence of a smaller tendency) at least ``watch_share`` of it (1/12:
        0.25 points on 1-4, 0.33 on 1-5). Both sizes must also hold for the examiner's
        distance from the panel's median examiner (``gap``), so one strongly lenient
        examiner does not drag the others over the line. The fractions were chosen by the
        detection simulation in ``benchmarks/bench_flags.py`` (4 examiners x 9 criteria on
        1-4, 10 to 40 candidates): a shift of 0.8 levels is flagged in every panel, 0.5
        levels is flagged in about half and at least watched in 91-100 %, and examiners
        without a shift are flagged in at most 0.3 % and watched in at most 2.5 %.
        A rubric may set both (``examiner_flags`` in docs/rubric-format.md).
    min_points : float or None
        An absolute flag size in score points that replaces ``min_share`` (None: relative).
    fit_max : float
        Inconsistency: the examiner's residual mean square around their own line on the
        rest of the panel, divided by the panel's median, at or above this value. It is
        the analogue of a rater infit mean square; 1.5 is the upper bound of the range
        "productive for measurement" (Wright & Linacre 1994; Linacre 2002) used by Myford
        & Wolfe (2003, 2004) for inconsistent raters.
    sd_ratio_max, middle_excess_min : float
        Central tendency: SD of own scores at most ``sd_ratio_max`` times the SD of the
        other examiners' scores on the same cells *and* a share of middle-of-scale scores
        at least ``middle_excess_min`` above theirs. These are the two indicators of
        Myford & Wolfe (2004) (restricted spread, overuse of the middle categories); the
        cut-offs are this module's conventions, checked by simulation for a false-flag
        rate under 5 % at 300 candidates.
    halo_max : float
        Halo: own within-candidate spread across criteria (as a share of own total
        variance) at most this fraction of the panel median (Myford & Wolfe 2004, halo as
        undifferentiated criterion scores; Engelhard 1994). Convention, as above.
    min_candidates : int
        No flags are raised on fewer candidates than this.
    """

    z_min: float = 2.0
    min_share: float = 0.125
    watch_share: float = 1 / 12
    min_points: float | None = None
    fit_max: float = 1.5
    sd_ratio_max: float = 0.75
    middle_excess_min: float = 0.10
    halo_max: float = 0.5
    min_candidates: int = 10

    def __post_init__(self) -> None:
        if not 0 < self.watch_share <= self.min_share <= 1:
            raise ValueError(f"thresholds need 0 < watch_share <= min_share <= 1; got "
                             f"watch_share={self.watch_share!r}, min_share={self.min_share!r}")
        if self.min_points is not None and not self.min_points > 0:
            raise ValueError(f"thresholds.min_points must be positive or None; got "
                             f"{self.min_points!r}")

    def points(self, scale: Sequence[float]) -> tuple[float, float]:
        """Return the (flag, watch) sizes in score points on ``scale`` = (min, max)."""
        span = float(scale[1]) - float(scale[0])
        flag = self.min_share * span if self.min_points is None else float(self.min_points)
        return flag, min(self.watch_share * span, flag)


@dataclass(frozen=True)
class Flag:
    """One finding: a stable code, an English reason, the figures behind it and its tier.

    ``tier`` is ``"flag"`` (talk to the examiner) or ``"watch"`` (clear evidence of a
    smaller tendency: keep an eye on it).
    """

    code: str
    reason: str
    figures: Mapping[str, float]
    tier: str = "flag"

    def to_dict(self) -> dict:
        """Return plain data (NaN stays float; callers map it)."""
        return {"code": self.code, "tier": self.tier, "reason": self.reason,
                "figures": dict(self.figures)}


@dataclass(frozen=True)
class ExaminerEffect:
    """The figures for one examiner, with ``flags`` (codes) and ``flag_details``.

    ``deviation`` is in score points (positive = lenient); ``se`` is clustered by
    candidate; ``rest_correlation`` and ``slope`` are against the leave-one-out panel mean;
    ``sd_ratio`` is own SD over the pooled SD of the other examiners' scores on the same
    cells; ``middle_share`` and ``panel_middle_share`` are the shares of scores in the
    middle of the scale (own and others' on the same cells); ``halo`` is own within-candidate
    spread ratio over the panel median (low = undifferentiated criteria); ``fit`` is the
    residual mean square ratio (high = erratic); ``gap`` is the distance in points from the
    panel's median examiner (see :func:`rater_effects`). ``watch`` and ``watch_details`` are
    the findings of the softer tier, never also in ``flags``. ``evidence`` says what the
    leniency/severity decision rested on: ``"deviation"`` (the z of ``deviation``) or
    ``"rasch"`` (the examiner's many-facet Rasch severity and its SE).
    """

    examiner: object
    n: int
    n_candidates: int
    mean: float
    deviation: float
    se: float
    z: float
    rest_correlation: float
    slope: float
    sd_ratio: float
    middle_share: float
    panel_middle_share: float
    halo: float
    fit: float
    flags: tuple[str, ...]
    flag_details: tuple[Flag, ...]
    note: str | None = None
    gap: float = math.nan
    watch: tuple[str, ...] = ()
    watch_details: tuple[Flag, ...] = ()
    evidence: str = "deviation"

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        """Return the normal-theory interval of ``deviation`` (points) from its clustered SE."""
        low, high = normal_interval(self.deviation, self.se, confidence_level)
        return ConfidenceInterval(low, high, confidence_level)


def rater_effects(ratings3d, scale: Sequence[float], thresholds: Thresholds | None = None,
                  examiners: Sequence | None = None,
                  severity: Sequence | None = None) -> tuple[ExaminerEffect, ...]:
    """Describe and flag each examiner against the rest of the panel.

    Parameters
    ----------
    ratings3d : array_like, shape (n_candidates, n_examiners, n_criteria)
        Scores, NaN where missing. A 2-d array is read as one criterion (no halo figure).
    scale : (min, max)
        The score scale; the middle band is ``|score - mid| < (max - min) / 4`` (the
        middle category on 1-5, the two middle ones on 1-4).
    thresholds : Thresholds, optional
        Flag cut-offs; the documented defaults when None.
    examiners : sequence, optional
        Labels, one per examiner; indices when None.
    severity : sequence of (measure, se), optional
        Each examiner's Rasch severity in logits and its standard error (positive = more
        severe, as FACETS reports it), e.g. from the many-facet Rasch model. Where given and
        finite, the evidence for leniency/severity is ``z = -measure / se`` instead of the
        deviation's z: the measure allows for which candidates each examiner met, so it is
        the better evidence when panels overlap only partly. The size rule stays in points.

    Returns
    -------
    tuple of ExaminerEffect
        One record per examiner, in input order.

    Notes
    -----
    Each score is compared with the mean of the *other* examiners on the same candidate and
    criterion. ``deviation`` is the mean difference; its standard error is the
    cluster-robust (by candidate) SE of a ratio mean (Liang & Zeger 1986), equal to
    ``sd(per-candidate mean difference) / sqrt(n_candidates)`` for complete data.
    ``fit`` regresses own scores on the leave-one-out mean and divides the residual mean
    square by the panel median, so a compressed but orderly examiner (central tendency) is
    not mistaken for an erratic one. Nothing is adjusted.

    ``gap`` guards the other examiners of a small panel: each deviation is against the mean
    of the *others*, so one examiner 0.8 points lenient makes each of three colleagues look
    about 0.2 points severe, with a large z. Writing ``a_j = deviation_j (k - 1) / k`` (the
    examiner's effect about the panel mean for complete data), ``gap_j = a_j - median(a)``
    is the distance from the typical examiner, near 0 for those colleagues and near the
    deviation for the lenient one. Leniency and severity need deviation and gap past the
    size, with the same sign. With fewer than 3 examiners the gap is the deviation.

    References
    ----------
    Myford, C. M., & Wolfe, E. W. (2003). Detecting and measuring rater effects using
    many-facet Rasch measurement: Part I. Journal of Applied Measurement, 4(4), 386-422.
    Myford, C. M., & Wolfe, E. W. (2004). Part II. Journal of Applied Measurement, 5(2),
    189-227.
    Engelhard, G. (1994). Examining rater errors in the assessment of written composition
    with a many-faceted Rasch model. Journal of Educational Measurement, 31(2), 93-112.
    Wright, B. D., & Linacre, J. M. (1994). Reasonable mean-square fit values. Rasch
    Measurement Transactions, 8(3), 370.
    Linacre, J. M. (2002). What do infit and outfit, mean-square and standardized mean?
    Rasch Measurement Transactions, 16(2), 878.
    Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using generalized linear
    models. Biometrika, 73(1), 13-22.
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin, 86(2), 420-428. (Table 2: the data of the example.)

    Examples
    --------
    Shrout & Fleiss (1979), Table 2 (six targets, four judges on 1-10): judge 1's scores
    average 46/6 = 7.67 and the other three judges' 81/18 = 4.50, so with complete data
    judge 1's deviation from the others on the same targets is 3.17 points. Six targets
    are fewer than the ten flags need.

    >>> from scoring.stats import rater_effects
    >>> x = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...      [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> effects = rater_effects(x, (1, 10))
    >>> round(effects[0].deviation, 2), round(46 / 6 - 81 / 18, 2)
    (3.17, 3.17)
    >>> effects[0].flags, effects[0].note
    ((), 'not flagged: 6 candidates compared, fewer than 10')
    """
    x, (low, high), th, labels = _checked(ratings3d, scale, thresholds, examiners)
    k = x.shape[1]
    obs = ~np.isnan(x)
    if obs.any() and (x[obs].min() < low or x[obs].max() > high):
        raise ValueError(f"ratings3d has scores outside scale {tuple(scale)!r}")
    shared = _shared(x, obs, low, high)
    raw = [_figures(x, obs, j, shared) for j in range(k)]
    fits = np.array([r["fit_ms"] for r in raw])
    halos = np.array([r["within_share"] for r in raw])
    gaps = _gaps(np.array([r["deviation"] for r in raw]))
    rasch = _severity(severity, k)
    sizes = th.points((low, high))
    out = []
    for j, r in enumerate(raw):
        others = np.delete(np.arange(k), j)
        r["fit"] = _rel(r["fit_ms"], _nanmedian(fits))
        r["halo"] = _rel(r["within_share"], _nanmedian(halos[others]) if k > 1 else math.nan)
        r["gap"] = float(gaps[j])
        details, note = _flags(r, th, k, sizes, rasch[j])
        out.append(_effect(labels[j], r, details, note, rasch[j] is not None))
    return tuple(out)


def _checked(ratings3d, scale, thresholds, examiners) -> tuple:
    """Return (scores as (n, k, c), scale, thresholds, examiner labels), or raise."""
    try:
        two_d = np.ndim(ratings3d) == 2
    except ValueError:
        two_d = False  # ragged input: let as_ratings name the problem
    x = as_ratings(ratings3d, "ratings3d", ndim=2 if two_d else 3)
    if two_d:
        x = x[:, :, None]
    scale_pair = check_scale(scale)
    th = Thresholds() if thresholds is None else thresholds
    if not isinstance(th, Thresholds):
        raise ValueError(f"thresholds must be a Thresholds instance; got {type(th).__name__}")
    k = x.shape[1]
    labels = tuple(range(k)) if examiners is None else tuple(examiners)
    if len(labels) != k:
        raise ValueError(f"examiners has {len(labels)} labels for {k} examiners in ratings3d")
    return x, scale_pair, th, labels


def _effect(label, r: dict, details: list[Flag], note, rasch: bool) -> ExaminerEffect:
    """Return one examiner's ExaminerEffect from its figures and findings."""
    flags = [d for d in details if d.tier == "flag"]
    watch = [d for d in details if d.tier == "watch"]
    return ExaminerEffect(
        examiner=label, n=r["n"], n_candidates=r["n_candidates"], mean=r["mean"],
        deviation=r["deviation"], se=r["se"], z=r["z"],
        rest_correlation=r["rest_correlation"], slope=r["slope"], sd_ratio=r["sd_ratio"],
        middle_share=r["middle_share"], panel_middle_share=r["panel_middle_share"],
        halo=r["halo"], fit=r["fit"], flags=tuple(f.code for f in flags),
        flag_details=tuple(flags), note=note, gap=r["gap"],
        watch=tuple(f.code for f in watch), watch_details=tuple(watch),
        evidence="rasch" if rasch else "deviation")


def _flags(r: dict, th: Thresholds, k: int, sizes: tuple[float, float],
           rasch: tuple[float, float] | None) -> tuple[list[Flag], str | None]:
    if r["n_candidates"] < th.min_candidates:
        return [], (f"not flagged: {r['n_candidates']} candidates compared, fewer than "
                    f"{th.min_candidates}")
    out = []
    leniency = _leniency(r, th, sizes, rasch)
    if leniency is not None:
        out.append(leniency)
    fit = r["fit"]
    if k >= 3 and fit >= th.fit_max:
        out.append(Flag("inconsistent", f"scores scatter {fit:.2f} times as much as the panel's "
                        f"typical examiner around the panel consensus (rest correlation "
                        f"{r['rest_correlation']:.2f})",
                        _fig({"fit": fit, "fit_max": th.fit_max,
                              "rest_correlation": r["rest_correlation"]})))
    sd_ratio, mid, pmid = r["sd_ratio"], r["middle_share"], r["panel_middle_share"]
    if sd_ratio <= th.sd_ratio_max and mid - pmid >= th.middle_excess_min:
        out.append(Flag("central_tendency", f"score spread is {sd_ratio:.2f} of the other "
                        f"examiners' and {mid:.0%} of scores are mid-scale "
                        f"(others {pmid:.0%})",
                        _fig({"sd_ratio": sd_ratio, "sd_ratio_max": th.sd_ratio_max,
                              "middle_share": mid, "panel_middle_share": pmid,
                              "middle_excess_min": th.middle_excess_min,
                              "slope": r["slope"]})))
    halo = r["halo"]
    if halo <= th.halo_max:
        out.append(Flag("halo", f"criteria are scored alike within a candidate: spread across "
                        f"criteria is {halo:.2f} of the panel's",
                        _fig({"halo": halo, "halo_max": th.halo_max})))
    return out, None


def leniency_tier(deviation: float, z: float, gap: float, scale: Sequence[float],
                  thresholds: Thresholds | None = None) -> str | None:
    """Return ``"flag"``, ``"watch"`` or None for a deviation in points with its z and gap.

    The rule of :func:`rater_effects` on its own (without the minimum number of candidates),
    for provisional figures such as the chair's live feedback during the day.

    Examples
    --------
    The documented sizes on the 1-4 scale (Thresholds: flag at 1/8 of the range, 0.375
    points; watch at 1/12, 0.25 points; |z| >= 2, the two-sided 5 % criterion of Myford &
    Wolfe 2004):

    >>> from scoring.stats import leniency_tier
    >>> leniency_tier(0.5, 4.0, 0.5, (1, 4)), leniency_tier(0.3, 4.0, 0.3, (1, 4))
    ('flag', 'watch')
    >>> leniency_tier(0.5, 1.5, 0.5, (1, 4)) is None  # not statistically clear
    True
    """
    th = Thresholds() if thresholds is None else thresholds
    return _tier(deviation, z, gap, th.z_min, th.points(scale))


def _tier(dev: float, z: float, gap: float, z_min: float,
          sizes: tuple[float, float]) -> str | None:
    if not (math.isfinite(dev) and math.isfinite(gap) and math.isfinite(z)) or dev == 0:
        return None
    sign = 1.0 if dev > 0 else -1.0
    size = min(abs(dev), abs(gap))
    if sign * z < z_min or sign * gap <= 0 or size < sizes[1]:
        return None
    return "flag" if size >= sizes[0] else "watch"


def _leniency(r: dict, th: Thresholds, sizes: tuple[float, float],
              rasch: tuple[float, float] | None) -> Flag | None:
    """Return the lenient/severe finding (tier flag or watch), or None."""
    dev, gap = r["deviation"], r["gap"]
    z = r["z"] if rasch is None else -rasch[0] / rasch[1]
    tier = _tier(dev, z, gap, th.z_min, sizes)
    if tier is None:
        return None
    flag_size, watch_size = sizes
    sign = 1.0 if dev > 0 else -1.0
    code = "lenient" if sign > 0 else "severe"
    fig = {"deviation": dev, "z": r["z"], "se": r["se"], "gap": gap, "z_min": th.z_min,
           "min_points": flag_size, "watch_points": watch_size}
    evidence = f"z = {z:.1f}"
    if rasch is not None:
        fig.update(rasch_measure=rasch[0], rasch_se=rasch[1], rasch_z=z)
        evidence = f"Rasch severity {rasch[0]:+.2f} logits, SE {rasch[1]:.2f}, z = {z:.1f}"
    where = "above" if sign > 0 else "below"
    reason = (f"scores {abs(dev):.2f} points {where} the other examiners on the same "
              f"candidates and criteria ({evidence})")
    if tier == "watch":
        reason += (f"; smaller than the {flag_size:.2f}-point flag size, but clear: worth "
                   "watching")
    return Flag(code, reason, _fig(fig), tier)


def _fig(d: dict) -> Mapping[str, float]:
    return MappingProxyType({key: float(v) for key, v in d.items()})
