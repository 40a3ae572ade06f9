"""``scoring backup`` and ``scoring restore``: a consistent copy while serving; restore into an
empty instance."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("backup")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The backup file to write (must not exist yet).")
@with_appcontext
def backup_command(output: Path) -> None:
    """Copy the database consistently while the app serves (SQLite backup API / pg_dump)."""
    from ..extensions import db
    from ..ops.backup import BackupError, backup

    db.session.remove()
    try:
        result = backup(db.engine, output)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up the {result.kind} database to {result.path} "
               f"({result.size / 1e6:.1f} MB)")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Restore a backup made by `scoring backup` into this empty instance."""
    from ..extensions import db
    from ..ops.backup import BackupError, restore

    db.session.remove()
    try:
        kind = restore(db.engine, file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    db.engine.dispose()
    click.echo(f"Restored {file} into this {kind} instance; check it with "
               "`scoring audit verify`")
