"""The ``scoring`` console script: ``scoring stats`` without the web stack, the rest through Flask.

``scoring stats`` needs only the pure statistics core; building the Flask application (and
importing Flask, SQLAlchemy and WeasyPrint) would cost more than the analysis itself and warn
about a missing SECRET_KEY. So the entry point looks at the first argument: ``stats`` runs the
click command of :mod:`scoring.cli.stats_commands` directly, everything else (including ``--help``,
which lists ``stats`` too) goes to the FlaskGroup in :mod:`scoring.cli`.
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
        from .group import cli

        cli.main(args, prog_name="scoring")
