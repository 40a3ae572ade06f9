"""``scoring backup`` under load, ``scoring restore`` into an empty instance, audit verify."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from scoring import create_app
from scoring.extensions import db
from scoring.models import AuditEvent
from scoring.workflow import record

THREADS = 4


def _empty_database(database_url: str, tmp_path) -> str:
    """Return the URL of a second, empty, migrated database of the same kind."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    else:
        name = f"{url.database}_restore"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        target = url.set(database=name).render_as_string(hide_password=False)
    app = _app(target, tmp_path / "restored-instance")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
    return target


def _app(url: str, instance):
    instance.mkdir(exist_ok=True)
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
    app.instance_path = str(instance)
    return app


def test_backup_taken_under_load_restores_and_verifies(app, runner, database_url, tmp_path):
    stop = threading.Event()
    errors: list[str] = []
    written = [0] * THREADS

    def writer(n: int) -> None:
        with app.app_context():
            while not stop.is_set():
                try:
                    record("test.load", None, None, {"thread": n, "i": written[n]})
                    db.session.commit()
                    written[n] += 1
                except Exception as exc:  # noqa: BLE001 - asserted below
                    db.session.rollback()
                    errors.append(repr(exc))
            db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    try:
        while sum(written) < 40:  # writers are busy before the backup starts
            threading.Event().wait(0.02)
        before = sum(written)
        output = tmp_path / "backups" / "scoring.ops.backup"
        result = runner.invoke(args=["backup", "--output", str(output)])
        after_backup = sum(written)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert result.exit_code == 0, result.output
    assert errors == []
    assert after_backup > before  # the writers kept writing while the backup ran
    again = runner.invoke(args=["backup", "--output", str(output)])
    assert again.exit_code == 1 and "already exists" in again.output

    target = _empty_database(database_url, tmp_path)
    restored = _app(target, tmp_path / "restored-instance")
    cli = restored.test_cli_runner()
    result = cli.invoke(args=["restore", str(output)])
    assert result.exit_code == 0, result.output
    check = cli.invoke(args=["audit", "verify", "--json"])
    assert check.exit_code == 0, check.output
    report = json.loads(check.output)
    assert report["ok"] is True
    with restored.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()
        db.engine.dispose()
    assert before <= count <= sum(written)

    # The restored instance is no longer empty: a second restore is refused, clearly.
    result = cli.invoke(args=["restore", str(output)])
    assert result.exit_code == 1
    assert "not empty" in result.output and "empty instance" in result.output
    with restored.app_context():
        db.engine.dispose()


def test_restore_refuses_a_file_that_is_no_backup(runner, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    result = runner.invoke(args=["restore", str(junk)])
    assert result.exit_code == 1 and "not a backup made by `scoring backup`" in result.output
    result = runner.invoke(args=["restore", str(tmp_path / "missing.backup")])
    assert result.exit_code == 1 and "no such file" in result.output


@pytest.mark.parametrize("kind", ["sqlite"])
def test_restore_refuses_a_backup_of_the_other_kind(app, runner, database_url, tmp_path, kind):
    if make_url(database_url).get_backend_name() == "sqlite":
        pytest.skip("needs a PostgreSQL instance to refuse a SQLite backup")
    fake = tmp_path / "other.backup"
    fake.write_bytes(b"SQLite format 3\x00" + bytes(100))
    result = runner.invoke(args=["restore", str(fake)])
    assert result.exit_code == 1 and "is a sqlite backup" in result.output
