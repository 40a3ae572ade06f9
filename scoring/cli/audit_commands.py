"""`scoring audit checkpoint` and `scoring audit verify --against FILE...`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..extensions import db


@click.command("checkpoint")
@click.option("--output", type=click.Path(dir_okay=False),
              help="Where to write the sealed checkpoint (default: a dated file here).")
@with_appcontext
def audit_checkpoint_command(output) -> None:
    """Seal the audit chain's current head in a small signed PDF to keep off the server."""
    from ..models import utcnow
    from ..workflow import CLI, WorkflowError
    from ..workflow.anchors import checkpoint_name, make_checkpoint

    try:
        head, pdf = make_checkpoint(info=CLI)
    except WorkflowError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from exc
    target = Path(output or checkpoint_name(head, utcnow()))
    target.write_bytes(pdf)
    db.session.commit()
    click.echo(f"Checkpoint of event {head.event} ({head.hash}) written to {target}")


def verify_against_files(paths: list[str], as_json: bool) -> None:
    """Check the chain against sealed files; print the verdict and exit 1 on a contradiction."""
    from ..workflow import WorkflowError
    from ..workflow.anchors import verify_against

    try:
        check = verify_against([(p, Path(p).read_bytes()) for p in paths])
    except WorkflowError as exc:
        raise click.ClickException(str(exc.message)) from exc
    if as_json:
        click.echo(json.dumps(check.to_dict()))
    elif check.ok:
        click.echo(f"Audit trail intact: {check.events} events, consistent with "
                   f"{check.anchors} sealed file(s).")
    else:
        where = f" ({check.source})" if check.source else ""
        click.echo(f"Audit trail broken at event {check.first_bad_id}{where}: {check.problem}",
                   err=True)
    if not check.ok:
        sys.exit(1)
