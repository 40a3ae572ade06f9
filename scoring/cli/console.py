"""The ``scoring`` console script: ``scoring stats`` without the web stack, the rest through Flask.

``scoring stats`` needs only the pure statistics core; building the Flask application (and
importing Flask, SQLAlchemy and WeasyPrint) would cost more than the analysis itself and warn
about a missing SECRET_KEY. So the entry point looks at the first argument: ``stats`` runs the
click command of :mod:`scoring.cli.stats_commands` directly, everything else (including ``--help``,
which lists ``stats`` too) goes to a FlaskGroup that builds the application, whose factory
adds the commands of :mod:`scoring.cli.group`.
"""

from __future__ import annotations

import sys

PURE_COMMANDS = ("stats",)


def main(argv: list[str] | None = None) -> None:
    """Run the ``scoring`` command line."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args and args[0] in PURE_COMMANDS:
        from .stats_commands import stats_command

        stats_command.main(args[1:], prog_name="scoring stats")
    else:
        flask_group().main(args, prog_name="scoring")


def flask_group():
    """Return the FlaskGroup of the ``scoring`` command (the factory adds every command)."""
    from flask.cli import FlaskGroup

    from .. import create_app

    return FlaskGroup(name="scoring", create_app=create_app, add_version_option=False,
                      load_dotenv=False, set_debug_flag=False,
                      help="Structured-interview scoring: set-up, demo data, imports, exports "
                           "and checks.")
