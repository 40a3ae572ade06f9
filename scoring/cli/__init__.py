"""The ``scoring`` command, one module per command group.

``console`` is the entry point (``python -c "from scoring.cli.console import main; main()"``);
``group`` holds the commands the application factory adds; ``stats_commands`` runs without
the web stack, so this package's face imports nothing.
"""


def register(app) -> None:
    """Add the commands to ``app.cli`` (so both `scoring` and `flask` see them)."""
    from .group import register as register_commands

    register_commands(app)
