"""``scoring examiner history USERNAME [--json]``: one examiner's record across sessions."""

from __future__ import annotations

import json
import math

import click
from flask.cli import with_appcontext

from ..extensions import db


@click.group("examiner")
def examiner_group() -> None:
    """Examiners' records."""


def _f(value, digits: int = 2, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@examiner_group.command("history")
@click.argument("username")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@click.option("--as", "as_user", help="Read as this user (default: the administrator's view).")
@with_appcontext
def history_command(username, as_json, as_user) -> None:
    """Print an examiner's deviation, consistency and flags per session, calibration and shadow."""
    from ..examiners.queries import examiner_record, find_examiner
    from .lookups import find_viewer

    user = find_examiner(username)
    if user is None:
        raise click.BadParameter(f"no user {username!r}", param_hint="USERNAME")
    record = examiner_record(user, find_viewer(as_user))
    db.session.rollback()
    if as_json:
        click.echo(json.dumps(record.to_json(), indent=2, ensure_ascii=False))
        return
    click.echo(f"{user.username} ({user.full_name})")
    _section("sessions (pre-discussion scores; deviation in points, + = lenient):", [
        f"{s.held_on} {s.session:<18} {s.panel:<8} deviation {_f(s.deviation, signed=True)} "
        f"[{_f(s.ci_low, signed=True)}; {_f(s.ci_high, signed=True)}]  consistency "
        f"{_f(s.consistency)}  flags {', '.join(s.flags) or '-'}" for s in record.sessions])
    _section("calibration:", [
        f"{c['at'][:10]} {c['set']:<14} exact {_pct(c['exact'])} adjacent {_pct(c['adjacent'])}"
        f" mean deviation {_f(c['mean_deviation'], signed=True)}"
        f"  {'passed' if c['passed'] else 'not passed'}" for c in record.calibration])
    _section("shadow:", [
        f"{s['session']:<18} {s['panel']:<8} exact {_pct(s['exact'])} adjacent "
        f"{_pct(s['adjacent'])}" for s in record.shadow])


def _section(title: str, lines: list[str]) -> None:
    """Print a titled block of indented lines, or ``none`` when it is empty."""
    click.echo(title)
    for line in lines or ["none"]:
        click.echo(f"  {line}")
