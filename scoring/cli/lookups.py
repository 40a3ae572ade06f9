"""What the command groups share: finding sessions, panels, viewers; writing tables; one
transaction.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from ..extensions import db
from ..models import InterviewSession, Panel


def _commit_or_abort(action):
    """Run ``action`` in one transaction; roll back and exit non-zero on a workflow error."""
    from ..workflow import WorkflowError, perform

    try:
        return perform(action)
    except WorkflowError as exc:
        raise click.ClickException(str(exc.message)) from exc


def find_session(ref: str) -> InterviewSession:
    """Return the session with id or code ``ref`` or exit with a clear message."""
    session = None
    if ref.isascii() and ref.isdigit():
        session = db.session.get(InterviewSession, int(ref))
    if session is None:
        session = db.session.scalar(select(InterviewSession).where(InterviewSession.code == ref))
    if session is None:
        raise click.BadParameter(f"no session with id or code {ref!r}", param_hint="--session")
    return session


def find_panel(session: InterviewSession, ref: str) -> Panel:
    """Return the panel of ``session`` with id or name ``ref``."""
    for panel in session.panels:
        if str(panel.id) == ref or panel.name == ref:
            return panel
    raise click.BadParameter(f"no panel {ref!r} in session {session.code}", param_hint="--panel")


def find_viewer(username: str | None):
    """Return the user named by ``--as`` (None: the administrator's context)."""
    from ..models import User
    from ..rules.visibility import ADMIN

    if username is None:
        return ADMIN
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.BadParameter(f"no user named {username!r}", param_hint="--as")
    return user


AS_HELP = ("Export only what this user may see (default: the administrator's context, "
           "which still waits for every panel member's sheet).")


def write_table(keys, rows, output: str | None, what: str, *, lang: str, session,
                panel=None) -> None:
    """Write an export of ``session`` to ``output`` (.xlsx by its suffix, else CSV) or as
    CSV to stdout, in ``lang`` (CSV style, column names, the title row)."""
    from flask_babel import force_locale

    from ..documents.tables import session_table

    fmt = "xlsx" if output and output.lower().endswith(".xlsx") else "csv"
    with force_locale(lang):
        data = session_table(keys, rows, fmt, lang, session, panel)
    if output:
        Path(output).write_bytes(data)
        click.echo(f"Wrote {len(rows)} {what} to {output}", err=True)
    else:
        sys.stdout.buffer.write(data.removeprefix("\ufeff".encode()))
