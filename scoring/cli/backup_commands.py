"""``scoring backup`` and ``scoring restore``: a consistent copy while serving; restore into an
empty instance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext


@contextmanager
def _engine() -> Iterator:
    """Yield the engine with this command's session released; a BackupError ends the command."""
    from ..extensions import db
    from ..ops.backup import BackupError

    db.session.remove()
    try:
        yield db.engine
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("backup")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The backup file to write (must not exist yet).")
@with_appcontext
def backup_command(output: Path) -> None:
    """Copy the database consistently while the app serves (SQLite backup API / pg_dump)."""
    from ..ops.backup import backup

    with _engine() as engine:
        result = backup(engine, output)
    click.echo(f"Backed up the {result.kind} database to {result.path} "
               f"({result.size / 1e6:.1f} MB)")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Restore a backup made by `scoring backup` into this empty instance."""
    from ..ops.backup import restore

    with _engine() as engine:
        kind = restore(engine, file)
    engine.dispose()
    click.echo(f"Restored {file} into this {kind} instance; check it with "
               "`scoring audit verify`")
