"""Rater-agreement statistics for examiner panels: pure numpy/scipy, no app imports.

Input convention: ``ratings`` has shape (n_candidates, n_examiners), float, NaN where an
examiner did not score; multi-criterion functions take (n_candidates, n_examiners,
n_criteria). :func:`long_to_arrays`, :func:`read_long_csv` and :func:`read_long_frame` build
these from long records, a CSV file or a DataFrame.
"""

from .agreement import (
    ChanceCorrected,
    CohenKappa,
    PercentAgreement,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac,
    percent_agreement,
)
from .alpha import AlphaResult, krippendorff_alpha
from .effects import (
    FLAG_CODES,
    WATCH_CODES,
    ExaminerEffect,
    Flag,
    Thresholds,
    leniency_tier,
    rater_effects,
)
from .gstudy import DStudy, DStudyRow, GStudy, d_study, g_study
from .icc import ICCForm, ICCResult, icc
from .kendall import KendallW, kendall_w
from .longform import (
    LongArrays,
    LongFormatError,
    long_to_arrays,
    read_long_csv,
    read_long_frame,
)
from .mfrm import BiasTerm, FacetMeasures, MFRMResult, Subset, Threshold, mfrm
from .panel import SCHEMA, Coefficients, PanelAnalysis, panel_analysis

__all__ = [
    "FLAG_CODES",
    "SCHEMA",
    "WATCH_CODES",
    "AlphaResult",
    "BiasTerm",
    "ChanceCorrected",
    "Coefficients",
    "CohenKappa",
    "DStudy",
    "DStudyRow",
    "ExaminerEffect",
    "FacetMeasures",
    "Flag",
    "GStudy",
    "ICCForm",
    "ICCResult",
    "KendallW",
    "LongArrays",
    "LongFormatError",
    "MFRMResult",
    "PanelAnalysis",
    "PercentAgreement",
    "Subset",
    "Threshold",
    "Thresholds",
    "cohen_kappa",
    "d_study",
    "fleiss_kappa",
    "g_study",
    "gwet_ac",
    "icc",
    "kendall_w",
    "leniency_tier",
    "krippendorff_alpha",
    "long_to_arrays",
    "mfrm",
    "panel_analysis",
    "percent_agreement",
    "rater_effects",
    "read_long_csv",
    "read_long_frame",
]
