"""The ``scoring`` command, one module per command group.

``console`` is the entry point; ``group`` the FlaskGroup; ``stats_commands`` runs without
the web stack, so this package's face imports nothing.
"""


def register(app) -> None:
    """Add the commands to ``app.cli`` (so both `scoring` and `flask` see them)."""
    from .group import register as register_commands

    register_commands(app)


def main() -> None:
    """Run the ``scoring`` command line (``python -c "from scoring.cli import main; main()"``)."""
    from .group import main as run

    run()
