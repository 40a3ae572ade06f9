"""The full panel analysis: coefficients per criterion and overall, examiner effects, G/D study."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np

from ._validate import as_ratings, check_scale
from .agreement import ChanceCorrected, PercentAgreement, categorical_summary
from .alpha import AlphaResult, krippendorff_alpha
from .effects import ExaminerEffect, Thresholds, rater_effects
from .gstudy import DStudy, GStudy, d_study, g_study
from .icc import ICCResult, icc
from .kendall import KendallW, kendall_w
from .mfrm import MFRMResult, mfrm

__all__ = ["Coefficients", "PanelAnalysis", "panel_analysis", "SCHEMA"]

SCHEMA = "scoring.stats.panel/1"


@dataclass(frozen=True)
class Coefficients:
    """Agreement coefficients for one criterion, or ``"overall"`` (mean over criteria).

    Categorical coefficients (exact/adjacent agreement, Fleiss, AC1, AC2) are None overall
    and when scores are not on an integer scale; ``kendall_w`` is given overall only.
    """

    label: str
    n_candidates: int
    icc: ICCResult
    alpha_interval: AlphaResult
    alpha_ordinal: AlphaResult
    exact_agreement: PercentAgreement | None = None
    adjacent_agreement: PercentAgreement | None = None
    fleiss_kappa: ChanceCorrected | None = None
    gwet_ac1: ChanceCorrected | None = None
    gwet_ac2_quadratic: ChanceCorrected | None = None
    kendall_w: KendallW | None = None

    def to_dict(self) -> dict:
        """Return plain JSON-able data (NaN as None)."""
        out: dict = {"label": self.label, "n_candidates": self.n_candidates,
                     "icc": _icc_dict(self.icc)}
        notes = {}
        for f in fields(self)[3:]:
            res = getattr(self, f.name)
            out[f.name] = None if res is None else _clean(getattr(res, "value", None)
                                                          if f.name != "kendall_w" else res.w)
            if res is not None and getattr(res, "reason", None):
                notes[f.name] = res.reason
        if self.icc.reason:
            notes["icc"] = self.icc.reason
        out["notes"] = notes
        return _clean(out)


@dataclass(frozen=True)
class PanelAnalysis:
    """Everything a chair needs about one panel; ``to_dict()`` is the stable plain form."""

    scale: tuple[float, float]
    examiners: tuple
    criteria: tuple
    n_candidates: int
    n_scores: int
    overall: Coefficients
    per_criterion: tuple[Coefficients, ...]
    examiner_effects: tuple[ExaminerEffect, ...]
    g_study: GStudy
    d_study: DStudy
    thresholds: Thresholds
    rasch: MFRMResult | None = None  # None when the scores are not whole scale points
    flag_evidence: str = "deviation"  # "rasch" when the Rasch severities decided leniency
    flag_evidence_note: str | None = None  # why the Rasch severities were not used

    def to_dict(self) -> dict:
        """Return plain JSON-able data with NaN as None; keys are stable (see SCHEMA)."""
        cells = self.n_candidates * len(self.examiners) * len(self.criteria)
        return _clean({
            "schema": SCHEMA,
            "scale": list(self.scale),
            "n_candidates": self.n_candidates,
            "n_examiners": len(self.examiners),
            "n_criteria": len(self.criteria),
            "n_scores": self.n_scores,
            "missing_share": 1 - self.n_scores / cells if cells else math.nan,
            "examiners": list(self.examiners),
            "criteria": list(self.criteria),
            "overall": self.overall.to_dict(),
            "per_criterion": [c.to_dict() for c in self.per_criterion],
            "examiner_effects": [_effect_dict(e) for e in self.examiner_effects],
            "g_study": _g_dict(self.g_study),
            "d_study": [asdict(r) for r in self.d_study.rows],
            "thresholds": asdict(self.thresholds),
            "rasch": None,
            "flag_evidence": {"source": self.flag_evidence, "note": self.flag_evidence_note},
        }) | {"rasch": None if self.rasch is None else _rasch_dict(self.rasch)}


def panel_analysis(ratings3d, scale: Sequence[float], examiners: Sequence | None = None,
                   criteria: Sequence | None = None, thresholds: Thresholds | None = None,
                   d_study_examiners=range(1, 9), severity: Sequence | None = None,
                   candidates: Sequence | None = None, rasch: bool = True) -> PanelAnalysis:
    """Run the full analysis of a panel's scores.

    Parameters
    ----------
    ratings3d : array_like, shape (n_candidates, n_examiners, n_criteria)
        Scores, NaN where missing.
    scale : (min, max)
        The rubric's score scale.
    examiners, criteria : sequence, optional
        Labels; indices when None.
    thresholds : Thresholds, optional
        Flag cut-offs for :func:`rater_effects`.
    d_study_examiners : iterable of int
        Panel sizes for the D study (1..8 by default), at the observed number of criteria.
    severity : sequence of (measure, se), optional
        Examiner severities in logits for the leniency evidence (see :func:`rater_effects`).
        When None (the default), the severities of the many-facet Rasch fit are used where
        the design allows it (:meth:`MFRMResult.severity_evidence`), else the deviations.
    candidates : sequence, optional
        Candidate labels for the Rasch measures; indices when None.
    rasch : bool
        Fit the many-facet Rasch model (the ``rasch`` block); False leaves it None.

    Returns
    -------
    PanelAnalysis

    Notes
    -----
    Per criterion: ICC (``missing="model"``, all six forms), Krippendorff's alpha (interval,
    ordinal), exact and adjacent (±1) pairwise agreement, Fleiss' kappa, Gwet's AC1 and
    quadratic AC2 on the full integer scale. Overall: the same continuous coefficients and
    Kendall's W on each examiner's mean over criteria, left missing when the examiner did
    not score every criterion for that candidate (a partial mean would mix criterion
    difficulty into the score). G study on candidates x examiners x criteria with every
    score (Henderson Method 1 when scores are missing), D study for ``d_study_examiners``.
    Many-facet Rasch measures (:func:`mfrm`) when the scores are whole scale points.

    Leniency/severity evidence: the Rasch severity and its SE (``z = -measure / se``) when
    the Rasch fit was estimated on a connected design, converged, and at least
    ``thresholds.min_candidates`` candidates have a non-extreme measure; otherwise (or for an
    examiner with an extreme score) the deviation's z. The size rule stays in score points.
    ``flag_evidence`` is ``"rasch"`` when any examiner's decision rested on the Rasch
    severity, and ``flag_evidence_note`` says why it did not.

    References
    ----------
    See the functions used: :func:`icc`, :func:`krippendorff_alpha`, :func:`fleiss_kappa`,
    :func:`gwet_ac`, :func:`percent_agreement`, :func:`kendall_w`, :func:`rater_effects`,
    :func:`g_study`.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2 (six targets, four judges, one criterion on 1-10):
    ICC(2,1) = .29 and ICC(3,1) = .71 as in their Table 4.

    >>> import numpy as np
    >>> from scoring.stats import panel_analysis
    >>> x = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...      [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> result = panel_analysis(np.array(x, dtype=float)[:, :, None], (1, 10))
    >>> forms = result.overall.icc.forms
    >>> round(forms["ICC(2,1)"].value, 2), round(forms["ICC(3,1)"].value, 2)
    (0.29, 0.71)
    >>> result.to_dict()["schema"]
    'scoring.stats.panel/1'
    """
    x = as_ratings(ratings3d, "ratings3d", ndim=3)
    low, high = check_scale(scale)
    n, k, c = x.shape
    ex = tuple(range(k)) if examiners is None else tuple(examiners)
    cr = tuple(range(c)) if criteria is None else tuple(criteria)
    if len(ex) != k:
        raise ValueError(f"examiners has {len(ex)} labels for {k} examiners in ratings3d")
    if len(cr) != c:
        raise ValueError(f"criteria has {len(cr)} labels for {c} criteria in ratings3d")
    th = Thresholds() if thresholds is None else thresholds
    if not isinstance(th, Thresholds):
        raise ValueError(f"thresholds must be a Thresholds instance; got {type(th).__name__}")
    obs = x[~np.isnan(x)]
    integer = bool(np.all(obs == np.round(obs))) and low == round(low) and high == round(high)
    measures = mfrm(x, (low, high), candidates, ex, cr) if rasch and integer else None
    note = None
    if severity is None:
        if measures is None:
            note = ("no Rasch measures: not requested" if not rasch else
                    "no Rasch measures: the scores are not whole scale points")
        else:
            severity, note = measures.severity_evidence(th.min_candidates)
    effects = rater_effects(x, (low, high), th, examiners=ex, severity=severity)
    evidence = "rasch" if any(e.evidence == "rasch" for e in effects) else "deviation"
    if evidence == "deviation" and note is None:
        note = "no examiner has a usable Rasch severity (extreme scores)"
    cats = np.arange(low, high + 1) if integer else None
    per = tuple(_coefficients(str(label), x[:, :, i], cats) for i, label in enumerate(cr))
    with np.errstate(invalid="ignore"):
        overall_x = x.mean(axis=2)  # NaN unless every criterion was scored
    overall = _coefficients("overall", overall_x, None, with_kendall=True)
    g = g_study(x, missing="model")
    d = d_study(g, d_study_examiners) if g.components else DStudy(g.design, ())
    return PanelAnalysis((low, high), ex, cr, int(n), int(obs.size), overall, per, effects, g,
                         d, th, measures, evidence, note)


def _coefficients(label: str, x: np.ndarray, cats, with_kendall: bool = False) -> Coefficients:
    n_pairable = int((np.sum(~np.isnan(x), axis=1) >= 2).sum())
    parts: dict = {
        "icc": icc(x, missing="model"),
        "alpha_interval": krippendorff_alpha(x, "interval"),
        "alpha_ordinal": krippendorff_alpha(x, "ordinal"),
    }
    if cats is not None:
        parts.update(categorical_summary(x, cats))
    if with_kendall:
        parts["kendall_w"] = kendall_w(x)
    return Coefficients(label, n_pairable, **parts)


def _icc_dict(r: ICCResult) -> dict:
    forms = {name: {"value": f.value, "ci_low": f.ci_low, "ci_high": f.ci_high, "f": f.f,
                    "df1": f.df1, "df2": f.df2, "p": f.p} for name, f in r.forms.items()}
    return {"forms": forms, "n_candidates": r.n_candidates, "n_examiners": r.n_examiners,
            "k": r.k, "missing": r.missing, "balanced": r.balanced,
            "components": dict(r.components)}


def _effect_dict(e: ExaminerEffect) -> dict:
    out = {f.name: getattr(e, f.name) for f in fields(e)
           if f.name not in ("flags", "flag_details", "watch", "watch_details")}
    ci = e.confidence_interval()
    out["ci_low"], out["ci_high"] = ci.low, ci.high
    out["flags"] = list(e.flags)
    out["flag_details"] = [d.to_dict() for d in e.flag_details]
    out["watch"] = list(e.watch)
    out["watch_details"] = [d.to_dict() for d in e.watch_details]
    return out


def _g_dict(g: GStudy) -> dict:
    return {"design": g.design, "method": g.method, "n_candidates": g.n_candidates,
            "n_examiners": g.n_examiners,
            "n_criteria": g.n_criteria, "n_dropped": g.n_dropped,
            "components": dict(g.components), "components_raw": dict(g.components_raw),
            "g": g.g, "phi": g.phi, "note": g.reason}


def _rasch_dict(rasch: MFRMResult) -> dict:
    """Return the ``rasch`` block cleaned; the element rows come clean (one per candidate)."""
    block = rasch.to_dict(clean_rows=True)
    rows = ("candidates", "examiners", "criteria")
    rest = _clean({k: v for k, v in block.items() if k not in rows})
    return {k: block[k] if k in rows else rest[k] for k in block}


def _clean(obj):
    """Return `obj` as JSON-able plain data: NaN/inf to None, numpy scalars to Python."""
    kind = type(obj)
    if kind is float:  # the common case first: the Rasch block has ~15 floats per element
        return obj if math.isfinite(obj) else None
    if kind is str or obj is None:
        return obj
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer | int):
        return int(obj)
    if isinstance(obj, np.floating | float):
        return float(obj) if math.isfinite(obj) else None
    return obj
