"""Degenerate input gives NaN with a reason, or a ValueError naming the argument; no crash,
no warning (pytest turns warnings into errors), no silent wrong number."""

import math

import numpy as np
import pytest

from scoring.stats import (
    Thresholds,
    cohen_kappa,
    d_study,
    fleiss_kappa,
    g_study,
    gwet_ac,
    icc,
    kendall_w,
    krippendorff_alpha,
    long_to_arrays,
    panel_analysis,
    percent_agreement,
    rater_effects,
)

NAN = np.nan
DEGENERATE = {
    "one examiner": np.array([[1.0], [2.0], [3.0]]),
    "constant scores": np.full((5, 3), 3.0),
    "constant with a gap": np.where(np.eye(5, 3) > 0, NAN, 3.0),
    "all missing": np.full((5, 3), NAN),
    "one candidate": np.array([[1.0, 2.0, 3.0]]),
    "no candidates": np.zeros((0, 3)),
    "one score per candidate": np.array([[1, NAN], [NAN, 2], [3, NAN]]),
}

COEFFICIENTS = {
    "icc drop": lambda x: icc(x)["ICC(2,1)"],
    "icc model": lambda x: icc(x, missing="model")["ICC(2,1)"],
    "alpha interval": lambda x: krippendorff_alpha(x),
    "alpha nominal": lambda x: krippendorff_alpha(x, "nominal"),
    "alpha ordinal": lambda x: krippendorff_alpha(x, "ordinal"),
    "alpha ratio": lambda x: krippendorff_alpha(x, "ratio"),
    "fleiss": lambda x: fleiss_kappa(x),
    "ac1": lambda x: gwet_ac(x),
    "ac2": lambda x: gwet_ac(x, "quadratic"),
    "kendall": lambda x: kendall_w(x),
    "g study": lambda x: g_study(x),
    "g study model": lambda x: g_study(x, missing="model"),
}


def _value_and_reason(name, x):
    result = COEFFICIENTS[name](x)
    if name.startswith("icc"):
        whole = icc(x, missing=name.split()[1])
        return result.value, whole.reason
    if name == "kendall":
        return result.w, result.reason
    if name.startswith("g study"):
        return result.g, result.reason
    return result.value, result.reason


@pytest.mark.parametrize("case", DEGENERATE)
@pytest.mark.parametrize("name", COEFFICIENTS)
def test_degenerate_input_gives_nan_with_a_reason(case, name):
    value, reason = _value_and_reason(name, DEGENERATE[case])
    assert math.isnan(value), f"{name} on {case}: {value}"
    assert reason, f"{name} on {case}: NaN without a reason"


@pytest.mark.parametrize("case", DEGENERATE)
def test_degenerate_input_through_the_whole_panel(case):
    x = DEGENERATE[case][:, :, None] * np.ones((1, 1, 2))
    d = panel_analysis(x, (1, 5)).to_dict()
    assert d["overall"]["icc"]["forms"]["ICC(2,1)"]["value"] is None
    for effect in rater_effects(x, (1, 5)):
        assert effect.flags == ()


def test_percent_agreement_and_cohen_without_pairs():
    assert math.isnan(percent_agreement(DEGENERATE["one examiner"]).value)
    result = cohen_kappa([1, NAN], [NAN, 2])
    assert math.isnan(result.value) and "both" in result.reason
    single = cohen_kappa([2, 2, 2], [2, 2, 2])
    assert math.isnan(single.value) and single.reason


def test_perfect_fit_icc_explains_infinite_f():
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # examiner 2 = examiner 1 + 1
    result = icc(x)
    assert result["ICC(3,1)"].value == 1.0
    assert result["ICC(3,1)"].f == math.inf and result["ICC(3,1)"].p == 0.0
    assert "infinite" in result.reason


@pytest.mark.parametrize("call,argument", [
    (lambda: icc(np.ones(5)), "ratings"),
    (lambda: icc(np.ones((2, 2, 2))), "ratings"),
    (lambda: icc([["a", "b"], ["c", "d"]]), "ratings"),
    (lambda: icc([[1, np.inf], [2, 3]]), "ratings"),
    (lambda: icc(np.ones((3, 3)), missing="pairwise"), "missing"),
    (lambda: icc(np.ones((3, 3)), confidence_level=95), "confidence_level"),
    (lambda: krippendorff_alpha(np.ones((3, 3)), "likert"), "level"),
    (lambda: krippendorff_alpha([[1, 2], [3, 4]], values=[1, 2, 3]), "values"),
    (lambda: krippendorff_alpha([[-1, 2], [3, 4]], "ratio"), "ratings"),
    (lambda: fleiss_kappa([[1, 2], [3, 4]], categories=[1, 2, 3]), "categories"),
    (lambda: fleiss_kappa([[1, 2]], weights="cubic"), "weights"),
    (lambda: gwet_ac([[1, 2]], categories=[1, 1, 2]), "categories"),
    (lambda: cohen_kappa([1, 2], [1, 2, 3]), "a and b"),
    (lambda: cohen_kappa([[1, 2]], [1, 2]), "a"),
    (lambda: cohen_kappa([1, 2], [1, 2], weights="square"), "weights"),
    (lambda: percent_agreement([[1, 2]], tolerance=-1), "tolerance"),
    (lambda: percent_agreement([[1, 2]], tolerance="one"), "tolerance"),
    (lambda: kendall_w(np.ones(4)), "ratings"),
    (lambda: g_study(np.ones(4)), "ratings"),
    (lambda: g_study(np.ones((3, 3)), missing="pairwise"), "missing"),
    (lambda: d_study("g"), "g"),
    (lambda: d_study(g_study(np.eye(3) + 1), n_examiners=[0]), "n_examiners"),
    (lambda: d_study(g_study(np.eye(3) + 1), n_criteria=[2]), "n_criteria"),
    (lambda: rater_effects(np.ones((3, 3)), (1, 5), examiners=["a"]), "examiners"),
    (lambda: rater_effects(np.ones((3, 3, 2)), (5, 1)), "scale"),
    (lambda: rater_effects(np.ones((3, 3, 2)), "1-5"), "scale"),
    (lambda: rater_effects(np.full((3, 3, 2), 7.0), (1, 5)), "ratings3d"),
    (lambda: rater_effects(np.ones((3, 3, 2)), (1, 5), thresholds={"z_min": 2}), "thresholds"),
    (lambda: rater_effects(np.ones(3), (1, 5)), "ratings3d"),
    (lambda: panel_analysis(np.ones((3, 3)), (1, 5)), "ratings3d"),
    (lambda: panel_analysis(np.ones((3, 3, 2)), (1, 5), criteria=["x"]), "criteria"),
    (lambda: long_to_arrays([]), "no score records"),
    (lambda: long_to_arrays([("c", "e", "k", "x")]), "score"),
    (lambda: long_to_arrays([("c", "e", "k", 1), ("c", "e", "k", 2)]), "duplicate"),
    (lambda: long_to_arrays([("c", "", "k", 1)]), "examiner"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_thresholds_default_from_none():
    x = np.ones((12, 3, 2))
    assert rater_effects(x, (1, 5), Thresholds()) == rater_effects(x, (1, 5))


def test_examiner_without_any_score_is_ignored_by_icc():
    x = np.array([[1.0, 2.0, NAN], [3.0, 3.0, NAN], [4.0, 5.0, NAN], [2.0, 2.0, NAN]])
    result = icc(x)
    assert result.n_examiners == 2 and result.n_candidates == 4
    assert result["ICC(2,1)"].value == icc(x[:, :2])["ICC(2,1)"].value


def test_cohen_kappa_and_the_multi_rater_coefficients_share_one_result_class():
    from scoring.stats import ChanceCorrected, CohenKappa

    assert CohenKappa is ChanceCorrected  # the old name still works for callers
    result = cohen_kappa([1, 2, 2, 3], [1, 2, 3, 3])
    assert isinstance(result, ChanceCorrected) and isinstance(fleiss_kappa([[1, 2]]),
                                                              ChanceCorrected)
    assert result.n == result.n_candidates == 4
