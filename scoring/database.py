"""Engine set-up: SQLite in WAL mode with BEGIN IMMEDIATE; PostgreSQL as it comes."""

import contextlib
import os

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .private_files import create_private, narrow


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Make every SQLite transaction take the write lock up front (BEGIN IMMEDIATE).

    pysqlite's own transaction handling starts transactions lazily and, under concurrent
    read-then-write, silently loses updates; this follows SQLAlchemy's documented recipe
    ("Serializable isolation / Savepoints / Transactional DDL" in the SQLite dialect docs).
    """
    if engine.dialect.name != "sqlite":
        return

    database = engine.url.database
    on_disk = database not in (None, "", ":memory:") and not database.startswith("file:")

    @event.listens_for(engine, "do_connect")
    def _before_connect(_dialect, _record, _cargs, _cparams):
        # Create the database file 0600 before SQLite does (with the umask's 0644); SQLite
        # gives its -wal and -shm files the database file's mode.
        if on_disk and not os.path.exists(database):
            with contextlib.suppress(OSError):  # a missing folder: let SQLite report it
                create_private(database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        if on_disk:
            for suffix in ("", "-wal", "-shm"):
                narrow(database + suffix)
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
