"""Run the application in a real server process (gunicorn) for browser and concurrency tests."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"  # screenshots and PDFs for people to look at (git-ignored)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jakarta_today() -> dt.date:
    """Return today's date in Pariaman's time zone (the queue's notion of "today")."""
    return dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()


@contextmanager
def live_server(database_url: str, tmp_path: Path, *, workers: int = 2, threads: int = 4,
                app: str = "scoring.wsgi:app", env: dict | None = None,
                worker: bool = False):
    """Serve the app with gunicorn on a free port; yield its base URL; stop it afterwards.

    ``app`` is gunicorn's application spec (modules in tests/ can be named: it is on the path);
    ``env`` adds environment variables; ``worker`` also runs `scoring worker` beside it (the
    task queue that bulk exports go to), as the README's deployment does.
    """
    extra_env = env or {}
    port = free_port()
    instance = tmp_path / "live-instance"
    instance.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(SCORING_DATABASE_URL=database_url, SECRET_KEY="live-server-secret",
               SCORING_INSTANCE_PATH=str(instance), PYTHONDONTWRITEBYTECODE="1",
               PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
               PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]))
    env.update(extra_env)
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2", app],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    consumer = None
    if worker:
        consumer = subprocess.Popen(
            [sys.executable, "-c", "from scoring.cli.console import main; main()", "worker"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60  # a loaded 2-core machine can take a while
        while True:
            try:
                with urllib.request.urlopen(base + "/auth/login", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError("server did not start:\n"
                                   + (tmp_path / "gunicorn.log").read_text()[-3000:])
            time.sleep(0.1)
        yield base
    finally:
        for running in (proc, consumer):
            if running is None:
                continue
            running.terminate()
            try:
                running.wait(10)
            except subprocess.TimeoutExpired:
                running.kill()
                running.wait()
        log.close()
