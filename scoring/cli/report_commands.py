"""`scoring report` and `scoring export scores`: the agreement report and the raw long scores.

Both read the same functions as the web pages (:mod:`scoring.chair.agreement_report`,
:mod:`scoring.chair.queries`), so the numbers printed here are the numbers on the page.
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

__all__ = ["report_command", "export_scores_command"]


@click.command("report")
@click.option("--session", "session_ref", required=True, help="Session id or code.")
@click.option("--panel", "panel_ref", help="Only this panel (id or name).")
@click.option("--json", "as_json", is_flag=True, help="Print the report's content as JSON.")
@click.option("--target", type=click.FloatRange(0.5, 0.99), default=0.80, show_default=True,
              help="Target reliability for the D study.")
@click.option("--as", "as_user", metavar="USER", help="Report only on candidates this user may "
              "see (default: the administrator's context: every sheet in).")
@with_appcontext
def report_command(session_ref, panel_ref, as_json, target, as_user) -> None:
    """Print the agreement report (pre-discussion scores) of a session or one panel."""
    from ..chair.agreement_report import json_view, session_report
    from .lookups import find_panel, find_session, find_viewer

    session = find_session(session_ref)
    panels = [find_panel(session, panel_ref)] if panel_ref else None
    report = json_view(session_report(session, target, panels=panels, with_drift=True,
                                      viewer=find_viewer(as_user)))
    if as_json:
        click.echo(json.dumps(report, indent=2, allow_nan=False, ensure_ascii=False))
        return
    click.echo(format_report(report))


def _num(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_report(report: dict) -> str:
    """Return a short text form of the session report."""
    s = report["session"]
    lines = [f"Agreement report: {s['name']} ({s['code']}), pre-discussion scores, "
             f"target reliability {report['target']:.2f}"]
    for p in report["panels"]:
        lines += ["", f"{p['panel']['name']}: {p['n_candidates']} candidates, "
                      f"{p['n_examiners']} examiners"]
        if p.get("overall") is None:
            lines.append("  too few finished candidates or examiners for statistics")
            continue
        lines.append(f"  {'criterion':<10} {'ICC(2,1)':>8} {'95% CI':<14} {'ICC(2,k)':>8} "
                     f"{'a(int)':>7} {'a(ord)':>7} {'exact':>6} {'adj':>6}")
        for c in [*p["per_criterion"], p["overall"]]:
            i1 = c["icc21"]
            ci = "" if i1["ci_low"] is None else f"[{_num(i1['ci_low'])}, {_num(i1['ci_high'])}]"
            lines.append(f"  {c['label'][:10]:<10} {_num(i1['value']):>8} {ci:<14} "
                         f"{_num(c['icc2k']['value']):>8} {_num(c['alpha_interval'], 3):>7} "
                         f"{_num(c['alpha_ordinal'], 3):>7} {_num(c['exact_agreement']):>6} "
                         f"{_num(c['adjacent_agreement']):>6}")
        for e in p["examiners"]:
            lines.append(f"  {e['examiner']:<14} deviation {_num(e['deviation']):>6} "
                         f"[{_num(e['ci_low'])}, {_num(e['ci_high'])}] z {_num(e['z'], 1):>5}  "
                         f"{', '.join(e['flags'] + [f'watch {w}' for w in e['watch']]) or '-'}")
            lines += [f"    {f['code']}: {f['reason']}" for f in e["flag_details"]]
            lines += [f"    watch {f['code']}: {f['reason']}" for f in e["watch_details"]]
        d = p["d_study"]
        lines.append("  D study (Phi): " + " ".join(
            f"{r['n_examiners']}:{_num(r['phi'])}" for r in d["rows"]) +
            f"; examiners for {d['target']:.2f}: {d['needed_phi'] or '> 8'}")
    return "\n".join(lines)


@click.command("scores")
@click.option("--session", "session_ref", required=True, help="Session id or code.")
@click.option("--panel", "panel_ref", help="Only this panel (id or name).")
@click.option("--output", type=click.Path(dir_okay=False), help="File (.csv or .xlsx); "
              "default: CSV on standard output.")
@click.option("--as", "as_user", metavar="USER", help="Export only what this user may see "
              "(default: the administrator's context: every sheet in).")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the file: id (';', decimal comma, Indonesian column names) or "
              "en (',', decimal point); `scoring stats` reads both.")
@with_appcontext
def export_scores_command(session_ref, panel_ref, output, as_user, lang) -> None:
    """Export raw scores in long format: candidate, examiner, criterion, score, phase, state."""
    from flask_babel import force_locale

    from ..chair.queries import LONG_HEADER, long_score_rows
    from ..documents.tables import long_rows
    from .lookups import find_panel, find_session, find_viewer, write_table

    session = find_session(session_ref)
    panel = find_panel(session, panel_ref) if panel_ref else None
    with force_locale(lang):
        rows = long_rows(long_score_rows(session, panel, viewer=find_viewer(as_user)))
    write_table(LONG_HEADER, rows, output, "scores", lang=lang, session=session, panel=panel)
