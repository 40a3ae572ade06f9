"""`scoring stats FILE.csv`: the full panel analysis of a long score CSV (no app needed)."""

from __future__ import annotations

import json
import math

import click

from ..stats import panel_analysis, read_long_csv
from ..stats.longform import LongFormatError

__all__ = ["stats_command", "format_report", "json_text"]


@click.command("stats")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
@click.option("--phase", type=click.Choice(["pre", "post"]), default="pre", show_default=True,
              help="Rows of this phase are used when the CSV has a 'phase' column.")
@click.option("--scale", nargs=2, type=float, default=None, metavar="MIN MAX",
              help="Score scale; inferred from the data (lowest and highest integer) if omitted.")
def stats_command(file: str, as_json: bool, phase: str, scale) -> None:
    """Analyse examiner agreement in a long CSV (candidate, examiner, criterion, score)."""
    try:
        data = read_long_csv(file, phase=phase)
    except LongFormatError as exc:
        raise click.ClickException(f"{click.format_filename(file)}: {exc}") from None
    if scale is None:
        scale = _infer_scale(data.ratings)
    try:
        result = panel_analysis(data.ratings, scale, examiners=data.examiners,
                                criteria=data.criteria, candidates=data.candidates)
    except ValueError as exc:
        raise click.ClickException(f"{click.format_filename(file)}: {exc}") from None
    if as_json:
        payload = result.to_dict()
        payload["source"] = {"file": click.format_filename(file), "phase": phase}
        click.echo(json_text(payload))
    else:
        click.echo(format_report(result.to_dict(), title=f"{click.format_filename(file)} "
                                 f"(phase {phase})"))


def json_text(data, indent: str = "  ", level: int = 0) -> str:
    """Return ``data`` as JSON, objects indented; each list of scalars or objects on lines.

    A list of scalars takes one line, a list of objects one line per object (the Rasch
    block lists every candidate): those are written by the json module's C encoder, which
    ``json.dumps(indent=...)`` cannot use (its pure-Python encoder took about as long as the
    whole analysis on 10,000 candidates). The text parses to the same data.

    >>> print(json_text({"a": [1, 2], "rows": [{"id": "x", "v": None}], "n": {"k": 1.5}}))
    {
      "a": [1, 2],
      "rows": [
        {"id": "x", "v": null}
      ],
      "n": {
        "k": 1.5
      }
    }
    """
    pad, inner = indent * level, indent * (level + 1)
    if isinstance(data, dict) and data:
        items = [f"{inner}{_ENCODE(str(k))}: {json_text(v, indent, level + 1)}"
                 for k, v in data.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        # one C encoder call for the whole list; a raw NUL can only be a separator (the
        # encoder escapes it inside strings), so the rows are split where it joins them
        body = _ENCODE_MARKED(data)[1:-1].replace("},\0{", f"}},\n{inner}{{")
        return f"[\n{inner}" + body.replace(",\0", ", ") + f"\n{pad}]"
    if isinstance(data, list) and any(isinstance(v, dict | list) for v in data):
        return "[\n" + ",\n".join(inner + json_text(v, indent, level + 1)
                                   for v in data) + f"\n{pad}]"
    return _ENCODE(data)


_ENCODE = json.JSONEncoder(allow_nan=False).encode
_ENCODE_MARKED = json.JSONEncoder(allow_nan=False, separators=(",\0", ": ")).encode


def _infer_scale(ratings) -> tuple[float, float]:
    import numpy as np

    obs = ratings[~np.isnan(ratings)]
    if obs.size == 0:
        raise click.ClickException("no scores to analyse")
    low, high = math.floor(float(obs.min())), math.ceil(float(obs.max()))
    if high <= low:
        raise click.ClickException(
            f"cannot infer the scale: every score is {low}; give --scale MIN MAX")
    return float(low), float(high)


def _num(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _coef_row(label: str, c: dict) -> str:
    form = c["icc"]["forms"]["ICC(2,1)"]
    ci = ("" if form["ci_low"] is None
          else f"[{_num(form['ci_low'])}, {_num(form['ci_high'])}]")
    cells = [f"{label[:18]:<18}", f"{c['n_candidates']:>6}", f"{_num(form['value']):>8}",
             f"{ci:<14}", f"{_num(c['icc']['forms']['ICC(2,k)']['value']):>8}",
             f"{_num(c['alpha_interval']):>7}", f"{_num(c['alpha_ordinal']):>7}",
             f"{_num(c.get('exact_agreement')):>6}", f"{_num(c.get('adjacent_agreement')):>6}",
             f"{_num(c.get('fleiss_kappa')):>7}", f"{_num(c.get('gwet_ac1')):>6}"]
    return " ".join(cells)


def format_report(d: dict, title: str = "") -> str:
    """Return the readable text report of a ``PanelAnalysis.to_dict()``."""
    lines = [f"Panel analysis {title}".rstrip(),
             f"{d['n_candidates']} candidates, {d['n_examiners']} examiners, "
             f"{d['n_criteria']} criteria; {d['n_scores']} scores "
             f"({_num(100 * (d['missing_share'] or 0), 1)}% missing); "
             f"scale {d['scale'][0]:g}-{d['scale'][1]:g}", "",
             "Agreement (ICC: two-way random, absolute; CI blank when unbalanced)",
             f"{'':<18} {'n':>6} {'ICC(2,1)':>8} {'95% CI':<14} {'ICC(2,k)':>8} "
             f"{'a(int)':>7} {'a(ord)':>7} {'exact':>6} {'adj':>6} {'Fleiss':>7} {'AC1':>6}",
             _coef_row("overall (mean)", d["overall"])]
    lines += [_coef_row(c["label"], c) for c in d["per_criterion"]]
    kw = d["overall"].get("kendall_w")
    lines.append(f"Kendall's W (overall ranking): {_num(kw)}")
    return "\n".join(lines + _examiner_lines(d) + _g_lines(d))


def _examiner_lines(d: dict) -> list[str]:
    """Return the examiner table, the reasons for the flags and the evidence used."""
    lines = ["", "Examiners (deviation in points vs the other examiners; + lenient, - severe)",
             f"{'examiner':<14} {'n':>5} {'dev':>6} {'z':>6} {'rest r':>6} {'slope':>6} "
             f"{'sd rat':>6} {'middle':>6} {'halo':>5} {'fit':>5}  flags"]
    for e in d["examiner_effects"]:
        lines.append(
            f"{str(e['examiner'])[:14]:<14} {e['n']:>5} {_num(e['deviation']):>6} "
            f"{_num(e['z'], 1):>6} {_num(e['rest_correlation']):>6} {_num(e['slope']):>6} "
            f"{_num(e['sd_ratio']):>6} {_num(e['middle_share']):>6} {_num(e['halo']):>5} "
            f"{_num(e['fit']):>5}  "
            f"{', '.join(e['flags'] + [f'watch {w}' for w in e.get('watch', [])]) or '-'}")
    reasons = [f"  {e['examiner']}: {'watch ' if f.get('tier') == 'watch' else ''}"
               f"{f['code']}: {f['reason']}"
               for e in d["examiner_effects"]
               for f in e["flag_details"] + e.get("watch_details", [])]
    notes = [f"  {e['examiner']}: {e['note']}" for e in d["examiner_effects"] if e["note"]]
    if reasons or notes:
        lines += ["", "Why flagged (flags inform; no score is adjusted)"] + reasons + notes
    evidence = d.get("flag_evidence") or {}
    lines.append("Leniency/severity evidence: " + (
        "the Rasch severity and its SE" if evidence.get("source") == "rasch"
        else f"the deviation's z ({evidence.get('note') or 'Rasch severities not given'})"))
    return lines


def _g_lines(d: dict) -> list[str]:
    """Return the G study and D study lines."""
    g = d["g_study"]
    method = ("ANOVA" if g["method"] == "anova"
              else "Henderson Method 1, all scores (some are missing)")
    dropped = f", {g['n_dropped']} incomplete left out" if g["n_dropped"] else ""
    lines = ["", f"G study ({g['design']}, {g['n_candidates']} candidates{dropped}; {method}; "
             "negative components shown as 0)"]
    comps = g["components"]
    total = sum(v for v in comps.values() if v is not None) or math.nan
    for name, value in comps.items():
        share = "" if value is None or not total > 0 else f" ({100 * value / total:.0f}%)"
        lines.append(f"  {name:<22} {_num(value, 4)}{share}")
    if g.get("note"):
        lines.append(f"  note: {g['note']}")
    lines.append(f"  G = {_num(g['g'])}, Phi = {_num(g['phi'])}")
    if d["d_study"]:
        lines += ["", "D study: examiners  " + " ".join(f"{r['n_examiners']:>5}"
                                                   for r in d["d_study"]),
                  "         G          " + " ".join(f"{_num(r['g']):>5}" for r in d["d_study"]),
                  "         Phi        " + " ".join(f"{_num(r['phi']):>5}"
                                                   for r in d["d_study"])]
    return lines
