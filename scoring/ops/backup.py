"""Consistent backups while the app serves, and restore into an empty instance.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
page by page while other connections keep writing (WAL). PostgreSQL: ``pg_dump`` in its custom
format (one consistent snapshot, without blocking writers) and ``pg_restore``. The file's first
bytes tell the two apart, so ``scoring restore`` needs no option.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Tables whose rows a freshly initialised instance already has.
BOOKKEEPING = {"alembic_version", "audit_head"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    """What was written: the file, its size and the kind of database it holds."""

    path: Path
    size: int
    kind: str


def backup(engine: Engine, output: Path) -> BackupResult:
    """Write a consistent copy of the database behind ``engine`` to ``output``."""
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} already exists; choose a new file name")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".part")
    partial.unlink(missing_ok=True)
    kind = engine.dialect.name
    try:
        if kind == "sqlite":
            _sqlite_backup(engine.url.database, partial)
        elif kind == "postgresql":
            _run(_pg_tool("pg_dump"), ["--format=custom", "--no-owner", "--file", str(partial)],
                 engine)
        else:
            raise BackupError(f"backups of {kind} databases are not supported")
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(output, output.stat().st_size, kind)


def _sqlite_backup(database: str | None, target: Path) -> None:
    if database in (None, "", ":memory:"):
        raise BackupError("an in-memory SQLite database has nothing to back up")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # a consistent snapshot, even while others write
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()


def is_empty(engine: Engine) -> bool:
    """Return whether the database holds no data (no tables, or only a fresh schema)."""
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        for table in sorted(tables - BOOKKEEPING):
            quoted = conn.dialect.identifier_preparer.quote(table)
            if conn.execute(select(text("1")).select_from(text(quoted)).limit(1)).first():
                return False
    return True


def restore(engine: Engine, source: Path) -> str:
    """Restore the backup file ``source`` into the empty database behind ``engine``."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    with source.open("rb") as handle:
        head = handle.read(16)
    kind = engine.dialect.name
    found = ("sqlite" if head.startswith(SQLITE_MAGIC)
             else "postgresql" if head.startswith(PGDUMP_MAGIC) else None)
    if found is None:
        raise BackupError(f"{source}: not a backup made by `scoring backup` "
                          "(neither a SQLite database nor a pg_dump custom-format file)")
    if found != kind:
        raise BackupError(f"{source} is a {found} backup but this instance uses {kind}; "
                          f"restore it into a {found} instance")
    if not is_empty(engine):
        raise BackupError(
            "the database of this instance is not empty; restore only into an empty instance "
            f"({engine.url.render_as_string(hide_password=True)})")
    engine.dispose()
    if kind == "sqlite":
        _sqlite_restore(source, engine.url.database)
    else:
        _run(_pg_tool("pg_restore"), ["--clean", "--if-exists", "--no-owner",
                                      "--exit-on-error", "--single-transaction", str(source)],
             engine, database_flag="--dbname")
    return kind


def _sqlite_restore(source: Path, database: str | None) -> None:
    if database in (None, "", ":memory:"):
        raise BackupError("cannot restore into an in-memory SQLite database")
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = sqlite3.connect(database, timeout=30)
    try:
        check = backup_file.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{source}: the backup is damaged ({check})")
        backup_file.backup(target)
        target.execute("PRAGMA journal_mode = WAL")
    finally:
        target.close()
        backup_file.close()


def _pg_tool(name: str) -> str:
    """Return the newest installed ``pg_dump``/``pg_restore`` (Debian keeps them per version)."""
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")

    def version(path: str) -> float:
        found = re.search(r"/postgresql/(\d+(?:\.\d+)?)/", path)
        return float(found.group(1)) if found else 0.0

    if candidates:
        return max(candidates, key=version)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _run(tool: str, args: list[str], engine: Engine, database_flag: str = "--dbname") -> None:
    """Run a PostgreSQL client tool against the engine's database; the password goes by env."""
    url = make_url(engine.url)
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    done = subprocess.run([tool, f"{database_flag}={conninfo}", *args], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(tool).name} failed: {done.stderr.strip()[-1500:]}")
