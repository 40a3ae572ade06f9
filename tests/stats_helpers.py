"""Helpers for the statistics tests: reading the reference data and simulating panels."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).parent / "data" / "reference"

PLANTED = {0: "lenient", 1: "severe", 2: "central_tendency", 3: "inconsistent"}


def expected(dataset: str) -> dict:
    """Return {statistic: (value, decimals)} for one dataset of expected.json."""
    data = json.loads((REFERENCE / "expected.json").read_text())[dataset]
    return {e["statistic"]: (e["value"], e["decimals"]) for e in data["expected"]}


def tol(decimals: int) -> float:
    """Return the comparison tolerance for a value published with `decimals` decimals."""
    return 0.5 * 10.0**-decimals


def read_wide(name: str, row: str, col: str, value: str) -> np.ndarray:
    """Read a long reference CSV into a (rows, cols) array, NaN for absent cells."""
    with open(REFERENCE / name, newline="") as fh:
        recs = list(csv.DictReader(fh))
    rows = list(dict.fromkeys(r[row] for r in recs))
    cols = sorted(dict.fromkeys(r[col] for r in recs))
    out = np.full((len(rows), len(cols)), np.nan)
    for r in recs:
        out[rows.index(r[row]), cols.index(r[col])] = float(r[value])
    return out


def simulate_panel(rng: np.random.Generator, n: int = 300, k: int = 8, c: int = 4,
                   low: int = 1, high: int = 5) -> np.ndarray:
    """Simulate a rubric panel on an integer scale with four planted examiners.

    Candidate ability, criterion difficulty and candidate x criterion effects make a latent
    true score; every examiner adds a small personal severity and noise, and the score is
    rounded and clipped to the scale. Planted (see PLANTED): examiner 0 lenient by +0.8
    points, 1 severe by -0.8, 2 central tendency (pulls 60 % of the way to mid-scale),
    3 scores 60 % of the time uniformly at random. Examiners 4.. are normal.
    """
    mid = (low + high) / 2
    ability = rng.normal(0.0, 0.8, size=(n, 1, 1))
    difficulty = rng.normal(0.0, 0.3, size=(1, 1, c))
    interaction = rng.normal(0.0, 0.4, size=(n, 1, c))
    truth = mid + ability + difficulty + interaction
    severity = rng.normal(0.0, 0.1, size=(1, k, 1))
    severity[0, 0, 0], severity[0, 1, 0] = 0.8, -0.8
    noise = rng.normal(0.0, 0.5, size=(n, k, c))
    latent = truth + severity + noise
    latent[:, 2, :] = mid + 0.4 * (truth[:, 0, :] - mid) + 0.5 * noise[:, 2, :]
    scores = np.clip(np.rint(latent), low, high)
    random_cells = rng.random((n, c)) < 0.6
    scores[:, 3, :] = np.where(random_cells, rng.integers(low, high + 1, size=(n, c)),
                               scores[:, 3, :])
    return scores
