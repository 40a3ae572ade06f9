"""``scoring export sheets``: every signed sheet of a session (or panel) as one ZIP."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("sheets")
@click.option("--session", "session_ref", required=True, help="Session id or code.")
@click.option("--panel", "panel_ref", help="Only this panel (id or name).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The ZIP file to write.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the sheets.")
@click.option("--base-url", help="Public address the QR codes point to "
              "(default: PUBLIC_BASE_URL; without either, nothing is sealed).")
@click.option("--workers", type=click.IntRange(min=1), help="Processes that render and seal "
              "(default: EXPORT_WORKERS, else up to 2 cores; 1: this process).")
@click.option("--as", "as_user", metavar="USER", help="Export only the sheets this user may "
              "see (default: the administrator's context: candidates with every sheet in).")
@with_appcontext
def export_sheets_command(session_ref, panel_ref, output, lang, base_url, workers,
                          as_user) -> None:
    """Seal every visible submitted sheet (reusing stored ones) and write them to one ZIP."""
    from ..workflow import CLI, WorkflowError
    from ..workflow.document_export import export_sheet_ids, write_sheets_zip
    from .lookups import find_panel, find_session, find_viewer

    session = find_session(session_ref)
    panel = find_panel(session, panel_ref) if panel_ref else None
    viewer = find_viewer(as_user)
    total = len(export_sheet_ids(session, panel, viewer))
    if total == 0:
        raise click.ClickException("no submitted sheet to export")
    with click.progressbar(length=total, label="Sealing sheets", file=sys.stderr,
                           show_pos=True, show_eta=True) as bar:
        last = [0]

        def progress(done: int, _total: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        try:
            written = write_sheets_zip(session, panel, Path(output), lang=lang,
                                       base_url=base_url, info=CLI, progress=progress,
                                       workers=workers, viewer=viewer)
        except WorkflowError as exc:
            raise click.ClickException(str(exc.message)) from exc
    click.echo(f"Wrote {written} signed sheets to {output}", err=True)
