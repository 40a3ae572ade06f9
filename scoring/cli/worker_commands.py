"""``scoring worker``: run the task queue's consumer (bulk exports) and the lease sweep."""

from __future__ import annotations

import logging
import threading

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Jobs run at once (threads; each export also uses EXPORT_WORKERS processes).")
@with_appcontext
def worker_command(workers: int) -> None:
    """Run background jobs (bulk exports) until stopped; re-queue jobs of dead workers."""
    from ..ops.tasks import get_huey, sweep

    app = current_app._get_current_object()
    if app.config.get("HUEY_IMMEDIATE"):
        raise click.ClickException("HUEY_IMMEDIATE is set: tasks run where they are queued, "
                                   "no worker is needed")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    huey = get_huey(app)
    lease = float(app.config["EXPORT_LEASE_SECONDS"])
    stop = threading.Event()

    def sweeper() -> None:
        while True:
            try:
                requeued, failed = sweep(app)
                if requeued or failed:
                    app.logger.warning("sweep: queued again %s, failed %s", requeued, failed)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the sweeps
                app.logger.exception("sweep failed")
            if stop.wait(max(1.0, lease / 3)):
                return

    threading.Thread(target=sweeper, name="export-sweep", daemon=True).start()
    consumer = huey.create_consumer(workers=workers, worker_type="thread")
    click.echo(f"scoring worker: {workers} worker(s) on {type(huey.storage).__name__}; "
               f"lease {lease:.0f} s", err=True)
    try:
        consumer.run()
    finally:
        stop.set()
