"""scoring.stats._distributions (plain-Python F, chi-square, t and normal) against scipy.special.

The statistics command must not import scipy (a quarter of a second before any work), so
the few distribution functions it needs are written out; scipy is the oracle here.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import pytest
from scipy import special

from scoring.stats import _distributions as dist

SMALL_DF = [0.5, 1, 2, 3, 4.7, 5, 9, 10, 29, 30, 99, 1000, 4999, 9999]
LARGE_DF = [20_000, 199_996, 400_000]
F_VALUES = [0, 1e-8, 0.01, 0.3, 0.9, 1, 1.1, 2, 5, 20, 300, 1e6, math.inf]
LEVELS = [0.0001, 0.025, 0.5, 0.9, 0.95, 0.975, 0.995]


def _rel(ours: float, theirs: float) -> float:
    if (math.isnan(ours) and math.isnan(theirs)) or ours == theirs:
        return 0.0
    return abs(ours - theirs) / max(abs(theirs), 1e-300)


@pytest.mark.parametrize("dfs, tol", [(SMALL_DF, 1e-10), (SMALL_DF + LARGE_DF, 1e-8)])
def test_f_distribution_matches_scipy(dfs, tol):
    for d1, d2 in itertools.product(dfs, dfs):
        for f in F_VALUES:
            assert _rel(dist.fdtrc(d1, d2, f), float(special.fdtrc(d1, d2, f))) < tol, (d1, d2, f)
        for q in LEVELS:
            assert _rel(dist.fdtri(d1, d2, q), float(special.fdtri(d1, d2, q))) < tol, (d1, d2, q)


@pytest.mark.parametrize("dfs, tol", [(SMALL_DF, 1e-10), (SMALL_DF + LARGE_DF, 1e-8)])
def test_chi_square_and_t_match_scipy(dfs, tol):
    for d in dfs:
        for x in [0, 1e-6, 0.1, 1, d, d + 3 * math.sqrt(d), 2 * d + 10, 1e4, 1e6, math.inf]:
            assert _rel(dist.chdtrc(d, x), float(special.chdtrc(d, x))) < tol, (d, x)
        for t in [-math.inf, -50, -5, -2.1, -1, -0.1, 0, 0.3, 1.96, 4, 40, math.inf]:
            assert _rel(dist.stdtr(d, t), float(special.stdtr(d, t))) < tol, (d, t)


def test_normal_quantile_and_invalid_arguments_match_scipy():
    for p in [0, 1e-10, 0.025, 0.5, 0.975, 0.9999, 1]:
        assert _rel(dist.ndtri(p), float(special.ndtri(p))) < 1e-14
    for args in [(0, 3, 1.0), (-1, 3, 1.0), (2, math.nan, 1.0), (2, 3, math.nan)]:
        assert math.isnan(dist.fdtrc(*args)) and math.isnan(float(special.fdtrc(*args)))
        assert math.isnan(dist.fdtri(*args[:2], 0.5)) == math.isnan(
            float(special.fdtri(*args[:2], 0.5)))
    assert math.isnan(dist.chdtrc(0, 1.0)) and math.isnan(dist.stdtr(-1, 1.0))


def test_the_statistics_command_imports_no_scipy():
    code = ("import sys; from scoring.cli.stats_commands import stats_command; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
