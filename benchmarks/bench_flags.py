"""Detection simulation for the leniency/severity flags: how often a shifted examiner is found.

Run:  .venv/bin/python benchmarks/bench_flags.py [--panels 200] [--seed 17] [--markdown]

Each panel: N candidates x 4 examiners x 9 criteria on the 1-4 scale (the ASN competency
rubric's shape). A latent score is candidate ability + criterion difficulty + candidate x
criterion interaction + the examiner's own small severity (SD 0.1 level) + noise (SD 0.5),
rounded and clipped to 1-4. Examiner 0 is shifted by +0.3, +0.5 or +0.8 levels on the
latent scale; examiners 1-3 are not. For each design the table gives the share of panels
where examiner 0 is flagged (``lenient``) and where it is at least watched, and the share
of (panel, unshifted examiner) pairs with a lenient/severe flag or watch: false findings.
Thresholds are the defaults of ``scoring.stats.Thresholds`` (flag 1/8, watch 1/12 of the
scale range; |z| >= 2).

Evidence, as in ``panel_analysis``: ``--evidence rasch`` (the default, what the app does)
fits the many-facet Rasch model to each panel and uses each examiner's severity and SE as
the evidence where the design allows it (``MFRMResult.severity_evidence``), the deviation's
z otherwise; ``--evidence deviation`` uses the deviation's z for every panel.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scoring.stats import Thresholds, mfrm, rater_effects  # noqa: E402

SHIFTS = (0.3, 0.5, 0.8)
SIZES = (10, 20, 40)
SCALE = (1, 4)


def shifted_panel(rng: np.random.Generator, n: int, shift: float, k: int = 4, c: int = 9,
                  low: int = 1, high: int = 4) -> np.ndarray:
    """Return one simulated panel (n, k, c) with examiner 0 shifted by ``shift`` levels."""
    mid = (low + high) / 2
    ability = rng.normal(0.0, 0.8, (n, 1, 1))
    difficulty = rng.normal(0.0, 0.3, (1, 1, c))
    interaction = rng.normal(0.0, 0.4, (n, 1, c))
    severity = rng.normal(0.0, 0.1, (1, k, 1))
    severity[0, 0, 0] = shift
    latent = mid + ability + difficulty + interaction + severity + rng.normal(0.0, 0.5, (n, k, c))
    return np.clip(np.rint(latent), low, high)


def panel_effects(x: np.ndarray, thresholds: Thresholds | None = None,
                  evidence: str = "rasch"):
    """Return the examiner effects of one panel with the evidence panel_analysis would use."""
    severity = None
    if evidence == "rasch":
        th = Thresholds() if thresholds is None else thresholds
        severity, _ = mfrm(x, SCALE).severity_evidence(th.min_candidates)
    return rater_effects(x, SCALE, thresholds, severity=severity)


def detection(n: int, shift: float, panels: int, rng: np.random.Generator,
              thresholds: Thresholds | None = None, evidence: str = "rasch") -> dict:
    """Return detection and false-finding rates for one design (see the module docstring)."""
    flag = watch = false_flag = false_watch = rasch = 0
    for _ in range(panels):
        effects = panel_effects(shifted_panel(rng, n, shift), thresholds, evidence)
        rasch += effects[0].evidence == "rasch"
        target = effects[0]
        flag += "lenient" in target.flags
        watch += "lenient" in target.flags or "lenient" in target.watch
        for e in effects[1:]:
            false_flag += bool({"lenient", "severe"} & set(e.flags))
            false_watch += bool({"lenient", "severe"} & set(e.watch))
    others = panels * 3
    return {"n": n, "shift": shift, "panels": panels, "flag": flag / panels,
            "flag_or_watch": watch / panels, "false_flag": false_flag / others,
            "false_watch": false_watch / others, "rasch_share": rasch / panels}


def table(panels: int, seed: int, evidence: str = "rasch") -> list[dict]:
    """Return the rows of the simulation for every shift and panel size (fixed seed)."""
    rng = np.random.default_rng(seed)
    return [detection(n, shift, panels, rng, evidence=evidence)
            for shift in SHIFTS for n in SIZES]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panels", type=int, default=200)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--evidence", choices=("rasch", "deviation"), default="rasch",
                    help="rasch: Rasch severity where the design allows (as the app); "
                         "deviation: the deviation's z everywhere")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = table(args.panels, args.seed, args.evidence)
    flag_pts, watch_pts = Thresholds().points(SCALE)
    print(f"Leniency detection, 4 examiners x 9 criteria on 1-4, {args.panels} panels per "
          f"row, seed {args.seed}, evidence {args.evidence}; flag >= {flag_pts:.3f} points, "
          f"watch >= {watch_pts:.3f}, |z| >= 2 ({time.perf_counter() - t0:.1f} s)")
    header = ("shift", "candidates", "flagged", "flagged or watched", "false flag",
              "false watch", "Rasch evidence")
    body = [(f"{r['shift']:.1f}", str(r["n"]), f"{r['flag']:.0%}", f"{r['flag_or_watch']:.0%}",
             f"{r['false_flag']:.1%}", f"{r['false_watch']:.1%}", f"{r['rasch_share']:.0%}")
            for r in rows]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---:" for _ in header) + "|")
        for b in body:
            print("| " + " | ".join(b) + " |")
        return
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for b in body:
        print("  ".join(c.rjust(w) for c, w in zip(b, widths, strict=True)))


if __name__ == "__main__":
    main()
