"""Independent implementations on random data: pingouin, krippendorff, statsmodels, scipy,
and direct transcriptions of the defining formulas (dev-only oracles; never shipped).

At least 200 random datasets per oracle, with and without missing scores where the oracle
supports them; agreement to 1e-9 wherever the definitions coincide.
"""

import itertools
import warnings

import numpy as np
import pytest
from scipy import stats

from scoring.stats import (
    cohen_kappa,
    fleiss_kappa,
    g_study,
    gwet_ac,
    icc,
    kendall_w,
    krippendorff_alpha,
    percent_agreement,
)

N_DATASETS = 200
ATOL = 1e-9


def _datasets(seed, missing=0.0, integer=True, low=1, high=5, min_n=3, max_n=40, max_k=7):
    """Yield random rating matrices with a true-score structure (so agreement varies)."""
    rng = np.random.default_rng(seed)
    for _ in range(N_DATASETS):
        n, k = int(rng.integers(min_n, max_n)), int(rng.integers(2, max_k))
        signal = rng.uniform(0, 2)
        x = (low + high) / 2 + signal * rng.normal(size=(n, 1)) + rng.normal(size=(n, k))
        x += rng.normal(0, 0.5, size=(1, k))
        if integer:
            x = np.clip(np.rint(x), low, high)
        if missing:
            x[rng.random(x.shape) < missing] = np.nan
        yield x


def _close(a, b, what, atol=ATOL):
    assert np.isclose(a, b, rtol=ATOL, atol=atol, equal_nan=True), f"{what}: {a!r} != {b!r}"


# ---------------------------------------------------------------- ICC vs pingouin

def _pingouin_icc(x):
    import pandas as pd
    import pingouin as pg

    n, k = x.shape
    df = pd.DataFrame({"t": np.repeat(np.arange(n), k), "r": np.tile(np.arange(k), n),
                       "s": x.ravel()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pg.intraclass_corr(df, targets="t", raters="r", ratings="s", nan_policy="omit")


PG_NAMES = {"ICC(1,1)": "ICC1", "ICC(2,1)": "ICC2", "ICC(3,1)": "ICC3",
            "ICC(1,k)": "ICC1k", "ICC(2,k)": "ICC2k", "ICC(3,k)": "ICC3k"}


@pytest.mark.parametrize("missing", [0.0, 0.1])
def test_icc_matches_pingouin(missing):
    checked = 0
    for x in _datasets(11 + int(missing * 100), missing, integer=False, min_n=6):
        complete = ~np.isnan(x).any(axis=1)
        if complete.sum() < 5:
            continue
        ours = icc(x, missing="drop")
        theirs = _pingouin_icc(x).set_index("Type")
        for name, pg_name in PG_NAMES.items():
            row = _pingouin_icc_row(theirs, pg_name)
            form = ours[name]
            _close(form.value, row["ICC"], f"{name} value")
            _close(form.f, row["F"], f"{name} F")
            _close(form.df1, row["df1"], f"{name} df1")
            _close(form.df2, row["df2"], f"{name} df2")
            _close(form.p, row["pval"], f"{name} p", atol=1e-12)
            # pingouin rounds its interval to 2 decimals
            low, high = row["CI95%"] if "CI95%" in row else row["CI95"]
            assert abs(form.ci_low - low) <= 0.005 + 1e-9, name
            assert abs(form.ci_high - high) <= 0.005 + 1e-9, name
        checked += 1
    assert checked >= N_DATASETS * 0.9


def _pingouin_icc_row(table, pg_name):
    aliases = {"ICC2": "ICC(A,1)", "ICC3": "ICC(C,1)", "ICC2k": "ICC(A,k)", "ICC3k": "ICC(C,k)",
               "ICC1": "ICC(1,1)", "ICC1k": "ICC(1,k)"}
    for key in (pg_name, aliases[pg_name]):
        if key in table.index:
            return table.loc[key]
    raise KeyError(pg_name)


# ---------------------------------------- unbalanced ICC vs brute-force Henderson Method 3

def _henderson3_bruteforce(x):
    """Henderson Method 3 from full dummy design matrices (Searle et al. 1992, sec. 5.5)."""
    rows, cols = np.nonzero(~np.isnan(x))
    y = x[rows, cols]
    n, k = x.shape
    big_n = y.size
    a = np.eye(n)[rows]
    b = np.eye(k)[cols]
    one = np.ones((big_n, 1))

    def reduction(design):
        beta, *_ = np.linalg.lstsq(design, y, rcond=None)
        return float(y @ design @ beta), np.linalg.matrix_rank(design)

    r_ab, rank_ab = reduction(np.hstack([one, a, b]))
    r_a, rank_a = reduction(np.hstack([one, a]))
    r_b, rank_b = reduction(np.hstack([one, b]))
    mse = (y @ y - r_ab) / (big_n - rank_ab)
    var_b = (r_ab - r_a - (rank_ab - rank_a) * mse) / (big_n - n)
    var_a = (r_ab - r_b - (rank_ab - rank_b) * mse) / (big_n - k)
    return var_a, var_b, mse


def test_icc_model_matches_bruteforce_henderson3():
    checked = 0
    for x in _datasets(21, missing=0.2, integer=False, min_n=6, max_k=6):
        x = x[(~np.isnan(x)).any(axis=1)]
        x = x[:, (~np.isnan(x)).any(axis=0)]
        if np.isnan(x).sum() == 0 or x.shape[1] < 2:
            continue
        ours = icc(x, missing="model")
        var_a, var_b, var_e = _henderson3_bruteforce(x)
        _close(ours.components["candidate"], var_a, "sigma2 candidate")
        _close(ours.components["examiner"], var_b, "sigma2 examiner")
        _close(ours.components["residual"], var_e, "sigma2 residual")
        _close(ours["ICC(2,1)"].value, var_a / (var_a + var_b + var_e), "ICC(2,1)")
        _close(ours["ICC(3,1)"].value, var_a / (var_a + var_e), "ICC(3,1)")
        checked += 1
    assert checked >= N_DATASETS * 0.9


def test_icc_model_equals_drop_on_complete_data():
    from scoring.stats.icc import _icc_unbalanced

    for x in _datasets(22, integer=False):
        drop = icc(x, missing="drop")
        generic = _icc_unbalanced(x, np.ones(x.shape, bool), 0.95)  # the unbalanced path
        assert icc(x, missing="model").forms == drop.forms
        for name in drop:
            _close(generic[name].value, drop[name].value, name)
            _close(generic[name].f, drop[name].f, name)
            _close(generic[name].df2, drop[name].df2, name)


# ------------------------------------------------------------ alpha vs krippendorff

@pytest.mark.parametrize("missing", [0.0, 0.2])
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_matches_krippendorff_package(level, missing):
    import krippendorff

    checked = 0
    for x in _datasets(31 + int(missing * 10), missing):
        if (np.sum(~np.isnan(x), axis=1) >= 2).sum() < 2 or np.unique(x[~np.isnan(x)]).size < 2:
            continue
        ours = krippendorff_alpha(x, level).value
        theirs = krippendorff.alpha(reliability_data=x.T, level_of_measurement=level)
        _close(ours, theirs, level)
        checked += 1
    assert checked >= N_DATASETS * 0.9


@pytest.mark.parametrize("level", ["ordinal", "interval", "ratio"])
def test_alpha_continuous_matches_krippendorff_package(level):
    import krippendorff

    for x in _datasets(41, 0.1, integer=False, max_n=25):
        x = np.abs(x)
        ours = krippendorff_alpha(x, level).value
        theirs = krippendorff.alpha(reliability_data=x.T, level_of_measurement=level)
        _close(ours, theirs, level)


# ------------------------------------------------------- Fleiss and Cohen vs statsmodels

def test_fleiss_matches_statsmodels_on_complete_data():
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    for x in _datasets(51):
        table, _ = aggregate_raters(x.astype(int))
        if table.shape[1] < 2:
            continue
        _close(fleiss_kappa(x).value, sm_fleiss(table, method="fleiss"), "fleiss")


def _sm_table(a, b, cats):
    q = len(cats)
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((q, q))
    for u, v in zip(a, b, strict=True):
        if not (np.isnan(u) or np.isnan(v)):
            table[index[u], index[v]] += 1
    return table


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
@pytest.mark.parametrize("missing", [0.0, 0.15])
@pytest.mark.parametrize("full_scale", [False, True])
def test_cohen_matches_statsmodels(weights, missing, full_scale):
    from statsmodels.stats.inter_rater import cohens_kappa

    checked = 0
    for x in _datasets(61 + int(missing * 100), missing, min_n=8):
        a, b = x[:, 0], x[:, 1]
        both = ~(np.isnan(a) | np.isnan(b))
        cats = [1.0, 2.0, 3.0, 4.0, 5.0] if full_scale else sorted(
            set(a[both]) | set(b[both]))
        if len(cats) < 2 or both.sum() < 2:
            continue
        table = _sm_table(a, b, cats)
        if (table.sum(axis=0) @ table.sum(axis=1)) / table.sum() ** 2 >= 1 - 1e-12:
            continue
        theirs = cohens_kappa(table, wt=weights, return_results=False) if weights else \
            cohens_kappa(table, return_results=False)
        ours = cohen_kappa(a, b, weights, categories=cats if full_scale else None).value
        _close(ours, theirs, f"cohen {weights}")
        checked += 1
    assert checked >= N_DATASETS * 0.9


# ------------------------------- Gwet's missing-data formulas, transcribed subject by subject

def _gwet_loop(x, cats, weights, kind):
    """irrCAC's fleiss.kappa.raw / gwet.ac1.raw / pa.coeff.raw, written as plain loops."""
    q = len(cats)
    w = np.eye(q)
    if weights:
        for i, j in itertools.product(range(q), range(q)):
            d = abs(i - j) / (q - 1)
            w[i, j] = 1 - (d if weights == "linear" else d * d)
    pa_terms, pi = [], np.zeros(q)
    n_any = 0
    for row in x:
        r = np.array([np.sum(row == c) for c in cats], float)
        ri = r.sum()
        if ri >= 1:
            n_any += 1
            pi += r / ri
        if ri >= 2:
            pa_terms.append(sum(r[kk] * (w[kk] @ r - 1) for kk in range(q)) / (ri * (ri - 1)))
    pa = float(np.mean(pa_terms))
    pi /= n_any
    if kind == "pa":
        return pa
    pe = float(pi @ w @ pi) if kind == "fleiss" else float(
        w.sum() * np.sum(pi * (1 - pi)) / (q * (q - 1)))
    return (pa - pe) / (1 - pe)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_gwet_generalisations_with_missing(weights):
    cats = [1.0, 2.0, 3.0, 4.0, 5.0]
    for x in _datasets(71, missing=0.25):
        if (np.sum(~np.isnan(x), axis=1) >= 2).sum() < 2:
            continue
        _close(gwet_ac(x, weights, categories=cats).value,
               _gwet_loop(x, cats, weights, "gwet"), "AC")
        kappa = fleiss_kappa(x, categories=cats, weights=weights)
        if kappa.reason is None:
            _close(kappa.value, _gwet_loop(x, cats, weights, "fleiss"), "fleiss")
        if weights is None:
            _close(percent_agreement(x).value, _gwet_loop(x, cats, None, "pa"), "pa")


def test_adjacent_agreement_bruteforce():
    for x in _datasets(72, missing=0.2):
        shares = []
        for row in x:
            v = row[~np.isnan(row)]
            if v.size >= 2:
                pairs = list(itertools.combinations(v, 2))
                shares.append(np.mean([abs(p - q) <= 1 for p, q in pairs]))
        if shares:
            _close(percent_agreement(x, tolerance=1).value, np.mean(shares), "adjacent")


# --------------------------------------------------------- Kendall's W vs scipy's Friedman

def test_kendall_w_matches_scipy_friedman():
    for x in _datasets(81, min_n=4):
        if np.all(np.ptp(x, axis=0) == 0):
            continue
        chi2, _ = stats.friedmanchisquare(*x)  # candidates are the "treatments"
        n, m = x.shape
        result = kendall_w(x)
        _close(result.w, chi2 / (m * (n - 1)), "W")
        _close(result.chi2, chi2, "chi2")


# -------------------------------------------------- G study (p x r) vs the ICC mean squares

def test_g_study_pxr_agrees_with_icc_average_forms():
    for x in _datasets(91, integer=False):
        g = g_study(x)
        r = icc(x)
        if min(g.components_raw.values()) < 0:
            continue  # truncation at 0 (Brennan) makes G/Phi differ from the raw ICC forms
        _close(g.g, r["ICC(3,k)"].value, "G = ICC(3,k)")
        _close(g.phi, r["ICC(2,k)"].value, "Phi = ICC(2,k)")


# ------------------------------------------ the panel's one-pass summary = the public functions

def test_categorical_summary_equals_the_public_functions():
    from scoring.stats.agreement import categorical_summary

    cats = [1.0, 2.0, 3.0, 4.0, 5.0]
    for x in _datasets(101, missing=0.2):
        s = categorical_summary(x, cats)
        _close(s["exact_agreement"].value, percent_agreement(x).value, "exact")
        _close(s["adjacent_agreement"].value, percent_agreement(x, 1).value, "adjacent")
        _close(s["fleiss_kappa"].value, fleiss_kappa(x, categories=cats).value, "fleiss")
        _close(s["gwet_ac1"].value, gwet_ac(x, categories=cats).value, "ac1")
        _close(s["gwet_ac2_quadratic"].value, gwet_ac(x, "quadratic", categories=cats).value,
               "ac2")


# ------------------------------- unbalanced G study (Henderson Method 1): ANOVA + unbiasedness

def test_g_study_henderson1_equals_anova_on_complete_data():
    from scoring.stats.gstudy import _FACETS, _g_unbalanced

    rng = np.random.default_rng(111)
    for _ in range(N_DATASETS):
        shape = (int(rng.integers(3, 15)), int(rng.integers(2, 6)))
        if rng.random() < 0.5:
            shape += (int(rng.integers(2, 5)),)
        x = rng.normal(size=shape) + rng.normal(size=shape[:1] + (1,) * (len(shape) - 1))
        anova = g_study(x)
        h1 = _g_unbalanced(x, np.ones(shape, bool), _FACETS[: x.ndim], anova.design,
                           anova.n_criteria)
        for name, value in anova.components_raw.items():
            _close(h1.components_raw[name], value, name)


def test_g_study_henderson1_is_unbiased_with_missing_scores():
    # Henderson's Method 1 estimators are unbiased: over 200 simulated p x r x c panels with
    # 20% of scores missing, the mean estimate lies within 4 standard errors of the truth.
    truth = {"candidate": 1.0, "examiner": 0.3, "criterion": 0.2, "candidate:examiner": 0.2,
             "candidate:criterion": 0.4, "examiner:criterion": 0.1, "residual": 0.5}
    rng = np.random.default_rng(112)
    n, k, c = 30, 5, 4
    shapes = {"candidate": (n, 1, 1), "examiner": (1, k, 1), "criterion": (1, 1, c),
              "candidate:examiner": (n, k, 1), "candidate:criterion": (n, 1, c),
              "examiner:criterion": (1, k, c), "residual": (n, k, c)}
    estimates = []
    for _ in range(N_DATASETS):
        x = sum(rng.normal(0, np.sqrt(v), shapes[name]) for name, v in truth.items())
        x[rng.random(x.shape) < 0.2] = np.nan
        g = g_study(x, missing="model")
        assert g.method == "henderson1"
        estimates.append([g.components_raw[name] for name in truth])
    est = np.array(estimates)
    mean, se = est.mean(axis=0), est.std(axis=0, ddof=1) / np.sqrt(len(est))
    for name, m, s, t in zip(truth, mean, se, truth.values(), strict=True):
        assert abs(m - t) <= 4 * s, f"{name}: mean {m:.3f} vs {t} (se {s:.3f})"
