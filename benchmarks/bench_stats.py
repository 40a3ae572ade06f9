"""Benchmark scoring.stats against its peers; prints one table (medians over repeats).

Run:  .venv/bin/python benchmarks/bench_stats.py [--pingouin-50k] [--quick] [--command-only]

pingouin's intraclass_corr takes ~40 s at 50,000 x 5, so by default it runs at 5,000 x 5
only (``--pingouin-50k`` adds the large run). krippendorff.alpha on continuous scores would
need units x distinct-values² memory; it is run in a subprocess under an address-space
limit (resource.setrlimit) so its failure is shown without endangering the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scoring.stats import icc, krippendorff_alpha, mfrm, panel_analysis  # noqa: E402


def median_time(fn, repeats: int, warmup: int = 1) -> float:
    """Return the median wall time of `fn()` in seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def numpy_two_way_anova(x: np.ndarray):
    """Reference single-pass numpy two-way ANOVA (mean squares of rows, columns, error).

    Written as fast as plain numpy allows (einsum for the row/column sums and the sums of
    squares; ``x.mean(axis=1)`` on a short axis is ~4x slower), so the ratio is not
    flattered by a slow baseline. Only the mean squares: no validation, no F, p or CI.
    """
    n, k = x.shape
    dev = x - x.mean()
    rm = np.einsum("ij->i", dev) / k
    cm = np.einsum("ij->j", dev) / n
    ss_t = np.einsum("ij,ij->", dev, dev)
    ss_r = k * np.einsum("i,i->", rm, rm)
    ss_c = n * np.einsum("j,j->", cm, cm)
    ss_e = ss_t - ss_r - ss_c
    return ss_r / (n - 1), ss_c / (k - 1), ss_e / ((n - 1) * (k - 1))


def pingouin_icc(x: np.ndarray):
    import pandas as pd
    import pingouin as pg

    n, k = x.shape
    df = pd.DataFrame({"t": np.repeat(np.arange(n), k), "r": np.tile(np.arange(k), n),
                       "s": x.ravel()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pg.intraclass_corr(df, targets="t", raters="r", ratings="s")


def panel_data(rng, n=10_000, k=5, c=8):
    truth = 3 + rng.normal(0, 0.8, (n, 1, 1)) + rng.normal(0, 0.4, (n, 1, c))
    return np.clip(np.rint(truth + rng.normal(0, 0.5, (n, k, c))), 1, 5)


SUBPROCESS_KRIPP = textwrap.dedent("""
    import resource, sys, json, time
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import numpy as np, krippendorff
    x = np.random.default_rng(1).normal(size=(1000, 5))
    t0 = time.perf_counter()
    try:
        krippendorff.alpha(reliability_data=x.T, level_of_measurement="interval")
        out = {"ok": True}
    except MemoryError as exc:
        out = {"ok": False, "error": "MemoryError: " + str(exc)[:80]}
    out["seconds"] = time.perf_counter() - t0
    print(json.dumps(out))
""")

SUBPROCESS_PANEL = textwrap.dedent("""
    import json, resource, sys, time, tracemalloc
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    from scoring.stats import mfrm, panel_analysis
    rng = np.random.default_rng(3)
    n, k, c = 10_000, 5, 8
    truth = 3 + rng.normal(0, 0.8, (n, 1, 1)) + rng.normal(0, 0.4, (n, 1, c))
    x = np.clip(np.rint(truth + rng.normal(0, 0.5, (n, k, c))), 1, 5)
    tracemalloc.start()
    if sys.argv[2] == "mfrm":
        mfrm(x, (1, 5))
    else:
        panel_analysis(x, (1, 5), rasch=False).to_dict()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"tracemalloc_peak": peak, "max_rss": rss}))
""")


PANDAS_READ = "import sys, pandas; pandas.read_csv(sys.argv[1])"
SCORING_STATS = "from scoring.cli.console import main; main()"  # the `scoring` console script


def write_long_csv(path: Path, n: int = 10_000, k: int = 5, c: int = 8) -> int:
    """Write a long score CSV (candidate, examiner, criterion, score, phase); return rows."""
    x = panel_data(np.random.default_rng(7), n, k, c).astype(int)
    cand = np.repeat([f"P{i:06d}" for i in range(n)], k * c)
    exam = np.tile(np.repeat([f"examiner{j}" for j in range(k)], c), n)
    crit = np.tile([f"K{q}" for q in range(c)], n * k)
    lines = [f"{a},{b},{q},{s},pre" for a, b, q, s in zip(cand, exam, crit, x.ravel(),
                                                          strict=True)]
    path.write_text("candidate,examiner,criterion,score,phase\n" + "\n".join(lines) + "\n")
    return len(lines)


def command_row(repeats: int) -> tuple:
    """Time `scoring stats FILE --json` as a whole process beside pandas reading the file."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scores.csv"
        rows = write_long_csv(path)
        ours = [sys.executable, "-c", SCORING_STATS, "stats", str(path), "--json"]
        peer = [sys.executable, "-c", PANDAS_READ, str(path)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t_ours, t_peer = [], []
        for _ in range(repeats):  # interleaved, so both see the same machine load
            for cmd, times in ((ours, t_ours), (peer, t_peer)):
                t0 = time.perf_counter()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=tmp)
                times.append(time.perf_counter() - t0)
    a, b = statistics.median(t_ours), statistics.median(t_peer)
    return ("scoring stats FILE --json", f"{rows:,} scores (CSV)", a,
            "python: import pandas; read_csv", b, f"{a / b:.2f}x of peer", "<= 4x peer",
            a <= 4 * b)
def _memory(what: str) -> dict:
    """Return the peak allocation and max RSS of `what` run alone in a fresh process."""
    proc = subprocess.run([sys.executable, "-c", SUBPROCESS_PANEL, str(ROOT), what],
                          capture_output=True, text=True, timeout=300)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _memory_row(label: str, mem: dict) -> tuple:
    peak_mb, rss_mb = mem["tracemalloc_peak"] / 1e6, mem["max_rss"] / 1e6
    return (label, "10,000 x 5 x 8", float("nan"),
            f"peak alloc {peak_mb:,.0f} MB; process max RSS {rss_mb:,.0f} MB",
            float("nan"), "-", "< 500 MB", max(peak_mb, rss_mb) < 500)


def fmt_t(seconds: float) -> str:
    if seconds != seconds:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pingouin-50k", action="store_true",
                    help="also run pingouin at 50,000 x 5 (about 40 s per call)")
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--command-only", action="store_true",
                    help="only the `scoring stats` command row")
    args = ap.parse_args()
    if args.command_only:
        print_table([command_row(3 if args.quick else 7)], 3 if args.quick else 7, args.quick)
        return
    reps = 5 if args.quick else 21
    rng = np.random.default_rng(2024)
    rows = []

    # ICC at 50,000 x 5 vs the single-pass numpy two-way ANOVA
    x50 = 3 + rng.normal(size=(50_000, 1)) + rng.normal(size=(50_000, 5))
    t_ours = median_time(lambda: icc(x50), reps)
    t_np = median_time(lambda: numpy_two_way_anova(x50), reps)
    rows.append(("icc (6 forms, F, p, CI)", "50,000 x 5", t_ours, "numpy 2-way ANOVA (ref)",
                 t_np, f"{t_ours / t_np:.2f}x of ref", "<= 3x ref", t_ours <= 3 * t_np))

    # ICC vs pingouin at 5,000 x 5 (and optionally 50,000 x 5)
    x5 = x50[:5_000]
    t_ours5 = median_time(lambda: icc(x5), reps)
    t_pg5 = median_time(lambda: pingouin_icc(x5), 1 if args.quick else 3)
    rows.append(("icc", "5,000 x 5", t_ours5, "pingouin.intraclass_corr", t_pg5,
                 f"{t_pg5 / t_ours5:,.0f}x faster", "-", None))
    if args.pingouin_50k:
        t_pg50 = median_time(lambda: pingouin_icc(x50), 1, warmup=0)
        rows.append(("icc", "50,000 x 5", t_ours, "pingouin.intraclass_corr", t_pg50,
                     f"{t_pg50 / t_ours:,.0f}x faster", "-", None))
    else:
        rows.append(("icc", "50,000 x 5", t_ours, "pingouin (skipped; --pingouin-50k)",
                     float("nan"), "-", "-", None))

    # unbalanced ICC (Henderson III), ours only: pingouin cannot do this
    xm = x50.copy()
    xm[rng.random(xm.shape) < 0.05] = np.nan
    t_model = median_time(lambda: icc(xm, missing="model"), reps)
    rows.append(("icc missing='model'", "50,000 x 5, 5% NaN", t_model, "(no peer)",
                 float("nan"), "-", "-", None))

    # Krippendorff interval at 50,000 x 5 with 5% missing, integer scores
    import krippendorff

    xi = np.clip(np.rint(xm), 0, 6)
    t_ka = median_time(lambda: krippendorff_alpha(xi, "interval"), reps)
    t_kp = median_time(lambda: krippendorff.alpha(reliability_data=xi.T,
                                                  level_of_measurement="interval"),
                       3 if args.quick else 7)
    a1 = krippendorff_alpha(xi, "interval").value
    a2 = krippendorff.alpha(reliability_data=xi.T, level_of_measurement="interval")
    assert abs(a1 - a2) < 1e-9, (a1, a2)
    rows.append(("alpha interval", "50,000 x 5, 5% NaN", t_ka, "krippendorff.alpha", t_kp,
                 f"{t_kp / t_ka:,.1f}x faster", ">= 5x faster", t_kp / t_ka >= 5))

    # continuous scores: ours vs the package under a 4 GB address-space limit
    xc = np.random.default_rng(1).normal(size=(1000, 5))
    t_kc = median_time(lambda: krippendorff_alpha(xc, "interval"), reps)
    distinct = np.unique(xc).size
    need = 1000 * distinct**2 * 8
    limit = 4 * 1024**3
    proc = subprocess.run([sys.executable, "-c", SUBPROCESS_KRIPP, str(limit)],
                          capture_output=True, text=True, timeout=300)
    try:
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        peer = "fails: " + ("ran" if res["ok"] else res["error"].split(":")[0])
    except (IndexError, ValueError):
        peer = f"fails: exit {proc.returncode}"
    rows.append(("alpha interval, continuous", f"1,000 x 5, {distinct:,} values", t_kc,
                 f"krippendorff.alpha {peer}", float("nan"),
                 f"peer needs ~{need / 1e9:,.0f} GB", "< 50 ms", t_kc < 0.05))

    # full panel analysis (without the Rasch model, timed on its own below): time
    # in-process, memory in a fresh subprocess
    xp = panel_data(rng)
    t_panel = median_time(lambda: panel_analysis(xp, (1, 5), rasch=False).to_dict(),
                          5 if args.quick else 9)
    mem = _memory("panel")
    rows.append(("panel_analysis (no mfrm)", "10,000 x 5 x 8", t_panel, "(no peer)",
                 float("nan"), "-", "< 0.5 s", t_panel < 0.5))
    rows.append(_memory_row("panel_analysis memory", mem))
    # many-facet Rasch model: 400,000 scores, JMLE to FACETS-style convergence and beyond
    t_mfrm = median_time(lambda: mfrm(xp, (1, 5)), 3 if args.quick else 5)
    rows.append(("mfrm", "10,000 x 5 x 8", t_mfrm, "(FACETS: Windows only)", float("nan"),
                 "-", "< 2 s", t_mfrm < 2.0))
    rows.append(_memory_row("mfrm memory", _memory("mfrm")))

    # the statistics command as a whole process, against a process reading the same file
    rows.append(command_row(3 if args.quick else 7))

    print_table(rows, reps, args.quick)


def print_table(rows, reps, quick) -> None:
    header = ("task", "size", "ours", "peer", "peer time", "ratio", "target", "ok")
    body = [(r[0], r[1], fmt_t(r[2]) if r[0] != "panel_analysis memory" else "-", r[3],
             fmt_t(r[4]), r[5], r[6], "" if r[7] is None else ("PASS" if r[7] else "FAIL"))
            for r in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    cpu = os.cpu_count()
    print(f"scoring.stats benchmark — Python {platform.python_version()}, numpy "
          f"{np.__version__}, {cpu} CPUs; medians over {reps} repeats (pingouin "
          f"{1 if quick else 3}, krippendorff {3 if quick else 7}, panel {5 if quick else 9}, "
          f"command {3 if quick else 7}; "
          "pingouin at 50,000 x 5 once, only with --pingouin-50k)")
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for b in body:
        print(line.format(*b))


if __name__ == "__main__":
    main()
