"""``scoring calibration import FILE`` and ``scoring calibration export SET --output FILE``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..extensions import db


@click.group("calibration")
def calibration_group() -> None:
    """Calibration sets: practice cases with reference levels."""


@calibration_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the error messages.")
@with_appcontext
def import_set_command(file, lang) -> None:
    """Validate a set file (media beside it) and store it; every error as file:line."""
    from ..calibration.sets import CalibrationError
    from ..calibration.transfer import read_set_file
    from ..i18n import catalogue
    from ..workflow import CLI
    from ..workflow.calibration import import_set
    from .lookups import _commit_or_abort

    try:
        parsed = read_set_file(file)
    except CalibrationError as exc:
        translate = catalogue(lang)
        for error in getattr(exc, "all", [exc]):
            where = error.source if error.line is None else f"{error.source}:{error.line}"
            click.echo(f"{where}: {error.localised(translate)}", err=True)
        sys.exit(1)
    from pathlib import Path

    cal_set = _commit_or_abort(lambda: import_set(parsed, Path(file).parent, info=CLI))
    click.echo(f"imported {cal_set.code}: {len(cal_set.cases)} cases for "
               f"{cal_set.rubric_id} {cal_set.rubric_version}")


@calibration_group.command("export")
@click.argument("set_ref", metavar="SET")
@click.option("--output", required=True, type=click.Path(dir_okay=False),
              help="The YAML file to write; media are written beside it.")
@with_appcontext
def export_set_command(set_ref, output) -> None:
    """Write a set as one YAML file plus its media files beside it."""
    from ..calibration.queries import set_by_code
    from ..calibration.transfer import export_set

    cal_set = set_by_code(set_ref)
    if cal_set is None:
        raise click.BadParameter(f"no calibration set with code or id {set_ref!r}",
                                 param_hint="SET")
    files = export_set(cal_set, output)
    db.session.rollback()
    click.echo(f"wrote {len(files)} file(s): " + ", ".join(str(f) for f in files))
