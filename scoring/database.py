"""Engine set-up: SQLite in WAL mode, deferred reads and ``BEGIN IMMEDIATE`` writes.

Readers never wait for a writer: a read-only request (GET, HEAD, OPTIONS) opens a deferred
transaction, which in WAL mode reads a snapshot beside a running writer. A request or command
that writes opens ``BEGIN IMMEDIATE`` at its first statement, so read-then-write takes the write
lock before it reads and no concurrent update is lost. Slow work that ends in a write (render,
seal, parse) runs in a read transaction first and writes at the end in
:func:`write_transaction`, which holds the lock only for the write itself.

Writers queue at a :class:`WriterGate` before ``BEGIN IMMEDIATE``: SQLite's own busy handler
polls with sleeps that grow to 100 ms and favours newcomers, so under a day's load a waiting
save slept hundreds of milliseconds after the lock was free (p95 0.7 s with 200 tablets).
The gate wakes the next writer of this process at once (a thread lock) and the next process
within a millisecond (``flock`` on a file beside the database). It only orders writers; SQLite's
lock still decides, and a writer that cannot pass the gate in time goes on to SQLite's busy
handler as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from .ops.private_files import create_private, narrow

# Whether the next transaction of this thread (or task) takes the write lock at BEGIN. True
# outside requests (CLI commands and jobs write); a read-only request sets it False.
_write_lock: ContextVar[bool] = ContextVar("scoring_write_lock", default=True)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Whether ``workflow.perform`` runs its verb in a short write transaction of its own: set by
# :func:`writes_at_end` for the view it decorates.
_writes_late: ContextVar[bool] = ContextVar("scoring_writes_late", default=False)


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Set SQLite's PRAGMAs and open each transaction deferred or ``BEGIN IMMEDIATE``.

    pysqlite's own transaction handling starts transactions lazily and, under concurrent
    read-then-write, silently loses updates; this follows SQLAlchemy's documented recipe
    ("Serializable isolation / Savepoints / Transactional DDL" in the SQLite dialect docs),
    choosing the BEGIN from :data:`_write_lock`.

    Long because the listeners it installs share one state as closures (the database path,
    the writer gate and the connections that hold it); apart they would need an object built
    only to carry that state.
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

    gate = WriterGate(database + "-gate", busy_timeout_ms / 1000) if on_disk else None
    holders: set[int] = set()  # ids of the DBAPI connections that passed the gate
    dialect = engine.dialect

    def _release(dbapi_connection) -> None:
        raw = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
        if id(raw) in holders:
            holders.discard(id(raw))
            gate.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if not _write_lock.get():
            connection.exec_driver_sql("BEGIN")
            return
        raw = connection.connection.dbapi_connection
        if gate is not None and id(raw) not in holders and gate.acquire():
            holders.add(id(raw))
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(raw)
            raise

    if gate is not None:
        # Release after SQLite has committed or rolled back (also the pool's reset-on-return
        # and a connection closed or invalidated mid-transaction), never before.
        do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

        def _commit(dbapi_connection):
            try:
                do_commit(dbapi_connection)
            finally:
                _release(dbapi_connection)

        def _rollback(dbapi_connection):
            try:
                do_rollback(dbapi_connection)
            finally:
                _release(dbapi_connection)

        dialect.do_commit, dialect.do_rollback = _commit, _rollback

        @event.listens_for(engine, "close")
        def _on_close(dbapi_connection, _record):
            _release(dbapi_connection)

        @event.listens_for(engine, "invalidate")
        def _on_invalidate(dbapi_connection, _record, _exc):
            _release(dbapi_connection)


class WriterGate:
    """A queue for the writers of one SQLite database: a thread lock, then ``flock``.

    One thread per process waits on the file lock (polling every millisecond); the others
    wait on the thread lock, which wakes one of them as soon as it is released. ``acquire``
    gives up after ``timeout`` seconds and returns False (the caller then relies on SQLite's
    own busy handler). The file is opened per process: ``flock`` locks belong to an open file,
    which processes forked from one parent (gunicorn ``--preload``) would share.
    """

    def __init__(self, path: str, timeout: float):
        self.path, self.timeout = path, timeout
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None

    def _file(self) -> int:
        if self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> bool:
        """Wait for this database's writers before us; return whether the gate was passed."""
        deadline = time.monotonic() + self.timeout
        if not self._threads.acquire(timeout=self.timeout):
            return False
        try:
            fd = self._file()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(0.001)
        except OSError:
            pass  # no gate file (a read-only folder): SQLite's busy handler alone
        self._threads.release()
        return False

    def release(self) -> None:
        """Let the next writer through."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


def engine_options(config) -> dict:
    """Return the engine options: PostgreSQL pings a pooled connection before using it.

    A database server restarted (or a connection dropped by a firewall) leaves the pool with
    dead connections; without the ping, the next request on each of them fails with a 500.
    """
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        options.setdefault("pool_pre_ping", True)
    return options


def configure_postgresql(engine: Engine, reconnect_seconds: float) -> None:
    """Let a new connection wait up to ``reconnect_seconds`` for a restarting server.

    While PostgreSQL restarts (seconds), connecting is refused or told "the database system
    is starting up"; a request that arrives then waits and goes on instead of failing.
    """
    if engine.dialect.name != "postgresql" or reconnect_seconds <= 0:
        return

    @event.listens_for(engine, "do_connect")
    def _connect_patiently(dialect, _record, cargs, cparams):
        deadline = time.monotonic() + reconnect_seconds
        while True:
            try:
                return dialect.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)


def retry_if_disconnected(view):
    """Run ``view`` again when the database connection died under it (a server restart).

    Only for views that may run twice: reads, and the tablets' saves and submissions, which
    carry a client id and sequence number and are applied once (a retried save whose first
    commit did land answers "not applied", a retried submission the same receipt). The
    failed transaction is rolled back first; the retry takes a fresh connection.
    """
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        from flask import current_app

        from .extensions import db

        deadline = time.monotonic() + float(current_app.config["DATABASE_RECONNECT_SECONDS"])
        while True:
            try:
                return view(*args, **kwargs)
            except DBAPIError as exc:
                if not exc.connection_invalidated or time.monotonic() > deadline:
                    raise
                db.session.rollback()
                time.sleep(0.25)

    return wrapped


def writes_late() -> bool:
    """Return whether this view reads first and writes in one short transaction at its end."""
    return _writes_late.get()


def writes_locked() -> bool:
    """Return whether transactions begun now take the write lock at once."""
    return _write_lock.get()


@contextmanager
def read_only() -> Iterator[None]:
    """Open the transactions begun inside the block deferred (reads beside a writer)."""
    token = _write_lock.set(False)
    try:
        yield
    finally:
        _write_lock.reset(token)


def init_request_transactions(app) -> None:
    """Make read-only HTTP methods read deferred, and every other request a writer."""
    from flask import g, request

    from .extensions import db

    @app.before_request
    def _choose_begin():
        view = app.view_functions.get(request.endpoint)
        late = (getattr(view, "writes_at_end", False)  # see writes_at_end
                and db.engine.dialect.name == "sqlite")
        g._write_lock_token = _write_lock.set(request.method not in READ_METHODS and not late)
        g._writes_late_token = _writes_late.set(late)

    @app.teardown_request
    def _restore_begin(_exc):
        token = g.pop("_write_lock_token", None)
        if token is not None:
            _write_lock.reset(token)
        late = g.pop("_writes_late_token", None)
        if late is not None:
            _writes_late.reset(late)

    # Registered after Flask-SQLAlchemy's, so it runs first (teardowns run in reverse order).
    @app.teardown_appcontext
    def _end_session(_exc):
        from .extensions import db

        try:
            db.session.remove()
        except DBAPIError:
            # The connection died (a database restart) after the answer was made: the request
            # had committed or failed by then; ending it must not turn its answer into a 500.
            app.logger.warning("database connection lost while ending a request",
                               exc_info=True)
            try:
                db.session.remove()  # ends what the first try left; a dead connection is
            except DBAPIError:       # replaced by the pool
                db.session.registry.clear()


def writes_at_end(view):
    """Let a writing view read deferred and write in one short transaction at its end.

    For exam day's hot paths (a tablet's declaration, draft save and submission): the login,
    the look-ups and the request's checks read beside other writers, and only the verb, run by
    ``workflow.perform`` in :func:`write_transaction`, holds SQLite's write lock. The verb's
    own reads happen under the lock (what was read before is expired and reloads), so the
    lost-update protection is the same; the lock is held for the write, not the request.
    Only a mark: the request's hook (:func:`init_request_transactions`) reads it before the
    login is loaded, so the login is read deferred too. On PostgreSQL, which locks rows and
    not the database, the mark changes nothing.
    """
    view.writes_at_end = True
    return view


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run the block in one short write transaction and commit it at the end.

    Inside a transaction that already holds the write lock (a POST request, a CLI command)
    the block joins it and the caller commits. Otherwise the read transaction is ended first
    (it must hold no unsaved change), ``BEGIN IMMEDIATE`` is taken, and the block is committed,
    or rolled back on an exception. Objects read before are expired and reload under the lock,
    so the block's own reads are current.
    """
    from .extensions import db

    session = db.session()  # the Session itself (the scoped proxy lacks in_transaction)
    if _write_lock.get() and session.in_transaction():
        yield
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("write_transaction() entered with unsaved changes in a read "
                           "transaction: make every change inside the block")
    session.commit()  # end the read snapshot: a deferred one cannot be upgraded safely
    token = _write_lock.set(True)
    try:
        session.connection()  # BEGIN IMMEDIATE: wait for the lock here, before any read
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _write_lock.reset(token)


def applied_revisions() -> set[str]:
    """Return the migration revision(s) the database is at; roll back and re-raise on error."""
    from sqlalchemy import text

    from .extensions import db

    try:
        return set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception:
        db.session.rollback()
        raise
