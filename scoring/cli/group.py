"""The ``scoring`` commands: set-up, demo, imports, users, exports, checks.

Every command that changes data calls the same workflow verbs the web views call. The
application factory adds them to ``app.cli`` (:func:`register`); the console script
(:mod:`scoring.cli.console`) builds the application, so nothing here imports the factory.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import User
from .lookups import AS_HELP, _commit_or_abort, find_panel, find_session, find_viewer, write_table
from .report_commands import export_scores_command, report_command
from .stats_commands import stats_command


def register(app) -> None:
    """Add the commands to ``app.cli`` (so both `scoring` and `flask` see them)."""
    for command in COMMANDS:
        app.cli.add_command(command)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create instance/, a secret key and a demo signing key; apply migrations."""
    from flask_migrate import upgrade

    from ..ops.keys import ensure_secret_key, ensure_signing_key
    from ..ops.private_files import private_dir

    instance = private_dir(current_app.instance_path)
    if ensure_secret_key(instance):
        click.echo(f"Created {instance / 'secret_key'}")
    from ..ops.instance_config import ensure_instance_config

    if ensure_instance_config(instance):
        click.echo(f"Created {instance / 'config.py'} (set PUBLIC_BASE_URL there)")
    if current_app.config.get("SIGNING_PKCS12"):
        click.echo(f"Signing with {current_app.config['SIGNING_PKCS12']} (PKCS#12)")
    elif ensure_signing_key(instance / current_app.config["SIGNING_DIR"]):
        click.echo(f"Created a self-signed demo signing key in {instance / 'signing'}")
    upgrade(directory=str(Path(__file__).parents[1] / "migrations"))
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("demo")
@click.option("--panels", type=click.IntRange(min=1), default=3, show_default=True,
              help="Panels of a chair and three examiners (3: the classic demo).")
@click.option("--candidates-per-panel", type=click.IntRange(min=1), default=20,
              show_default=True, help="Candidates per panel (the last ~30% not yet scored).")
@with_appcontext
def demo_command(panels: int, candidates_per_panel: int) -> None:
    """Load the demo session (reproducible) and print the logins."""
    from ..examiners.demo import history_loaded, history_logins, load_demo_history
    from ..ops.demo import demo_exists, demo_logins, demo_panel_count, load_demo

    # The examiners' history (issue 15) comes with the classic demo only: a load-sized demo
    # keeps exactly the shape asked for.
    history = (panels, candidates_per_panel) == (3, 20)
    if demo_exists():
        click.echo("The demo data is already loaded.")
        logins = demo_logins(demo_panel_count())
        logins += history_logins() if history_loaded() else []
    else:
        logins = _commit_or_abort(lambda: load_demo(
            panels=panels, candidates_per_panel=candidates_per_panel)
            + (load_demo_history() if history else []))
        click.echo(f"Loaded the demo: 1 session, {panels} panels of 4 examiners, "
                   f"{panels * candidates_per_panel} candidates"
                   + (", and two earlier, closed sessions for the examiners' records."
                      if history else "."))
    click.echo("\nLogins (username / password):")
    for login in logins:
        click.echo(f"  {login.username:<10} {login.password:<18} {login.role:<9} {login.note}")


@click.group("rubric")
def rubric_group() -> None:
    """Rubric files."""


@rubric_group.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the error messages.")
def rubric_check_command(paths, lang) -> None:
    """Validate rubric files; exit 1 if any is invalid."""
    from ..i18n import catalogue
    from ..rubrics import check_rubrics

    results = check_rubrics(paths)
    translate = catalogue(lang)
    failed = 0
    for source, rubric, errors in results:
        if errors:
            failed += 1
            for error in errors:
                where = source if error.line is None else f"{source}:{error.line}"
                click.echo(f"{where}: {error.localised(translate)}", err=True)
        else:
            click.echo(f"{source}: ok ({rubric.id} {rubric.version}, {len(rubric.criteria)} "
                       f"criteria, sha256 {rubric.content_hash[:12]})")
    if failed:
        click.echo(f"{failed} of {len(results)} rubric file(s) invalid", err=True)
        sys.exit(1)


@click.command("import")
@click.argument("kind", type=click.Choice(["candidates", "examiners"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--session", "session_ref", help="Session id or code (for panel/order columns).")
@with_appcontext
def import_command(kind, file, dry_run, session_ref) -> None:
    """Import candidates or examiners from CSV or XLSX: every row valid, or nothing written."""
    from ..manage.import_files import (
        ImportFileError,
        limits_from_config,
        parse_candidates,
        parse_examiners,
    )
    from ..workflow import CLI, import_candidates, import_examiners

    data = Path(file).read_bytes()
    parse = parse_candidates if kind == "candidates" else parse_examiners
    try:
        parsed = parse(data, file, limits_from_config(current_app.config))
    except ImportFileError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    if kind == "candidates":
        session = find_session(session_ref) if session_ref else None
        report = import_candidates(parsed, session=session, dry_run=dry_run, info=CLI)
    else:
        report = import_examiners(parsed, dry_run=dry_run, info=CLI)
    if not report.ok:
        db.session.rollback()
        for problem in report.problems:
            click.echo(f"{file}: {problem}", err=True)
        click.echo(f"{len(report.problems)} problem(s); nothing was written.", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would be" if dry_run else "were"
    click.echo(f"{report.created} {verb} created, {report.updated} updated, "
               f"{report.unchanged} unchanged" +
               (f", {report.assigned} assigned to panels" if report.assigned else "") +
               (" (dry run: nothing written)" if dry_run else ""))


@click.group("user")
def user_group() -> None:
    """User accounts."""


def _password(given: str | None) -> str:
    if given:
        return given
    if os.environ.get("SCORING_PASSWORD"):
        return os.environ["SCORING_PASSWORD"]
    if not sys.stdin.isatty():
        raise click.UsageError("give --password or SCORING_PASSWORD (no terminal to ask on)")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat: "):
        raise click.ClickException("the passwords differ")
    return first


@user_group.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--role", type=click.Choice(["admin", "chair", "examiner"]), required=True)
@click.option("--password", help="Password (else SCORING_PASSWORD, else asked).")
@with_appcontext
def user_add_command(username, full_name, role, password) -> None:
    """Create a user."""
    from ..workflow import CLI, create_user

    secret = _password(password)
    _commit_or_abort(lambda: create_user(username, full_name, role, secret, info=CLI))
    click.echo(f"Created {role} {username}")


@user_group.command("set-password")
@click.argument("username")
@click.option("--password", help="New password (else SCORING_PASSWORD, else asked).")
@with_appcontext
def user_set_password_command(username, password) -> None:
    """Set a user's password."""
    from ..workflow import CLI, set_password

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.BadParameter(f"no user {username!r}", param_hint="USERNAME")
    secret = _password(password)
    _commit_or_abort(lambda: set_password(user, secret, info=CLI))
    click.echo(f"Password of {username} changed")


@user_group.command("reset-codes")
@click.option("--role", type=click.Choice(["examiner", "chair"]), help="Everyone of this role.")
@click.option("--session", "session_ref", help="With --panel: the session (id or code).")
@click.option("--panel", "panel_ref", help="Everyone on this panel (id or name).")
@click.option("--output", type=click.Path(dir_okay=False), required=True, help="The PDF.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
@with_appcontext
def user_reset_codes_command(role, session_ref, panel_ref, output, lang) -> None:
    """Print one-time password reset codes for a role or a panel as a PDF of slips."""
    from flask_babel import force_locale, gettext

    from ..documents.reset_slips import reset_slips_pdf
    from ..workflow import CLI, issue_reset_codes, reset_targets
    from ..workflow.documents import verify_base_url

    if bool(role) == bool(panel_ref):
        raise click.UsageError("give either --role or --panel (with --session)")
    panel = None
    if panel_ref:
        if not session_ref:
            raise click.UsageError("--panel needs --session")
        panel = find_panel(find_session(session_ref), panel_ref)
    base = verify_base_url()
    where = f"{panel.session.code} · {panel.name}" if panel else ""
    with force_locale(lang):
        who = {"examiner": gettext("Every examiner"), "chair": gettext("Every panel chair")
               }.get(role) or gettext("Panel %(p)s", p=where)
        title = gettext("Password reset codes: %(who)s", who=who)

    def issue_and_print():
        # The codes count only if the PDF was written: both in one transaction.
        slips = issue_reset_codes(reset_targets(role=role, panel=panel), info=CLI)
        Path(output).write_bytes(reset_slips_pdf(slips, base_url=base, title=title, lang=lang))
        return slips

    slips = _commit_or_abort(issue_and_print)
    click.echo(f"Wrote {len(slips)} reset code(s) to {output}")


LANG_HELP = ("Language of the file: id (';' between fields, decimal comma, Indonesian column "
             "names) or en (',' and a decimal point); `scoring stats` reads both.")


@click.group("export")
def export_group() -> None:
    """Exports."""


@export_group.command("results")
@click.option("--session", "session_ref", required=True, help="Session id or code.")
@click.option("--panel", "panel_ref", help="Only this panel (id or name).")
@click.option("--output", type=click.Path(dir_okay=False), help="File (.csv or .xlsx); "
              "default: CSV on standard output.")
@click.option("--as", "as_user", metavar="USER", help=AS_HELP)
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help=LANG_HELP)
@with_appcontext
def export_results_command(session_ref, panel_ref, output, as_user, lang) -> None:
    """Export the session's results by position (formasi) with the formula's inputs."""
    from flask_babel import force_locale

    from ..documents.tables import results_table
    from ..rules.visible_results import visible_results
    from ..workflow import session_rubric

    session = find_session(session_ref)
    panel = find_panel(session, panel_ref) if panel_ref else None
    results = visible_results(session, find_viewer(as_user), panel)
    with force_locale(lang):
        keys, rows = results_table(results, session_rubric(session).codes, lang)
    write_table(keys, rows, output, "candidates", lang=lang, session=session, panel=panel)


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True)
@click.option("--against", "against", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A sealed document or checkpoint to check the chain against (repeatable).")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def audit_verify_command(as_json, against, files) -> None:
    """Recompute the audit hash chain; name the first edited, deleted or inserted event.

    With ``--against FILE...`` also compare it with sealed documents and checkpoints, which
    hold the chain's head when they were made, and name the first contradiction.
    """
    from ..workflow import verify_chain

    if against or files:
        from .audit_commands import verify_against_files

        verify_against_files([*against, *files], as_json)
        return
    check = verify_chain()
    if as_json:
        click.echo(json.dumps({"ok": check.ok, "events": check.events,
                               "first_bad_id": check.first_bad_id, "problem": check.problem}))
    elif check.ok:
        click.echo(f"Audit trail intact: {check.events} events.")
    else:
        click.echo(f"Audit trail broken at event {check.first_bad_id}: {check.problem}", err=True)
    if not check.ok:
        sys.exit(1)


from .audit_commands import audit_checkpoint_command  # noqa: E402
from .document_commands import export_sheets_command  # noqa: E402  (needs export_group)

audit_group.add_command(audit_checkpoint_command)


export_group.add_command(export_sheets_command)


export_group.add_command(export_scores_command)


from ..candidates.cli import candidate_group  # noqa: E402
from .backup_commands import backup_command, restore_command  # noqa: E402
from .calibration_commands import calibration_group  # noqa: E402
from .examiner_commands import examiner_group  # noqa: E402
from .worker_commands import worker_command  # noqa: E402

COMMANDS = (init_command, demo_command, rubric_group, import_command, user_group, export_group,
            audit_group, stats_command, report_command, backup_command, restore_command,
            worker_command, candidate_group, calibration_group, examiner_group)
