"""``scoring candidate codes``: issue every candidate of a session an access code, as slips."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("candidate")
def candidate_group() -> None:
    """Candidates' access codes."""


@candidate_group.command("codes")
@click.option("--session", "session_ref", required=True, help="Session id or code.")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="The PDF.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
@click.option("--base-url", help="Public address the QR codes point to "
              "(default: PUBLIC_BASE_URL).")
@with_appcontext
def codes_command(session_ref, output, lang, base_url) -> None:
    """Issue new access codes (old ones stop working) and write the slips to a PDF."""
    from flask_babel import force_locale, gettext

    from ..cli.lookups import _commit_or_abort, find_session
    from ..documents.candidate_slips import candidate_slips_pdf
    from ..workflow import CLI
    from ..workflow.candidates import issue_codes
    from ..workflow.documents import verify_base_url

    session = find_session(session_ref)
    base = base_url or _commit_or_abort(verify_base_url)
    with force_locale(lang):
        where = f"{session.name} ({session.code})"
        title = gettext("Access codes: %(s)s", s=where)

    def issue_and_print():
        # The codes count only if the PDF was written: both in one transaction.
        slips = issue_codes(session, info=CLI)
        Path(output).write_bytes(candidate_slips_pdf(slips, base_url=base, title=title,
                                                     lang=lang))
        return slips

    slips = _commit_or_abort(issue_and_print)
    click.echo(f"Wrote {len(slips)} access code(s) to {output}")
