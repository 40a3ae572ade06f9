"""Several app servers (gunicorn) behind nginx, round-robin, on one database: the deployment
of the README's "Deploying on PostgreSQL behind several app servers", on this machine.

Each app server gets its own instance folder (as on its own machine: the same secret key and a
copy of the signing key), and all share one storage folder (``STORAGE_DIR``) and one task
queue. nginx is started without systemd, with ``deploy/nginx/scoring-proxy.conf`` included as
the README deploys it. Used by ``tests/test_scale_out.py`` and ``benchmarks/bench_exam_day.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROXY_SNIPPET = ROOT / "deploy" / "nginx" / "scoring-proxy.conf"
# The README's production command (its bind address is added per server).
PRODUCTION = ["--preload", "--worker-class", "gthread", "--workers", "2", "--threads", "4"]
SECRET = "cluster-secret"


def nginx_binary() -> str | None:
    """Return nginx's path (Debian puts it in /usr/sbin, often off a user's PATH), or None."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, timeout: float, proc: subprocess.Popen | None = None,
                 log: Path | None = None) -> None:
    """Wait until ``base``/healthz answers 200; raise with the log's tail otherwise."""
    deadline = time.monotonic() + timeout
    answer = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            answer = exc.read().decode(errors="replace")
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{base} is not healthy: {answer}\n{tail}")


def nginx_conf(folder: Path, listen: int, upstreams: list[str]) -> Path:
    """Write an nginx.conf that serves on ``listen`` and includes the deployed proxy snippet."""
    temp = folder / "nginx-temp"
    temp.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server {u} max_fails=3 fail_timeout=5s;" for u in upstreams)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the temp folders
    conf = folder / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
events {{ worker_connections 2048; }}
http {{
    access_log {folder}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    upstream scoring_app {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{listen};
        include {PROXY_SNIPPET};
    }}
}}
""")
    return conf


@dataclass
class Cluster:
    """What is running: the app servers' URLs and processes, the proxy's URL, the worker."""

    folder: Path
    env: dict
    servers: list[str] = field(default_factory=list)
    gunicorns: list[subprocess.Popen] = field(default_factory=list)
    proxy: str | None = None
    nginx: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None

    def start_worker(self) -> subprocess.Popen:
        """Start (or start again) one `scoring worker`, as its supervisor would."""
        with (self.folder / "worker.log").open("ab") as log:
            self.worker = subprocess.Popen(
                [sys.executable, "-c", "from scoring.cli.console import main; main()", "worker"],
                cwd=ROOT, env=self.server_env(0), stdout=log, stderr=subprocess.STDOUT)
        return self.worker

    def server_env(self, index: int) -> dict:
        """Return the environment of app server ``index`` (its own instance folder)."""
        return {**self.env, "SCORING_INSTANCE_PATH": str(self.folder / f"instance-{index}")}

    def stop(self) -> None:
        """Stop everything that was started, the proxy first."""
        for proc in [self.nginx, self.worker, *self.gunicorns]:
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGQUIT if proc is self.nginx else signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_cluster(database_url: str, folder: Path, *, servers: int = 2, proxy: bool = True,
                  worker: bool = True, gunicorn_args: list[str] | None = None,
                  env: dict | None = None, signing: Path | None = None, config: str = "",
                  boot_timeout: float = 120) -> Cluster:
    """Start ``servers`` gunicorns (and nginx in front, and a worker); return the Cluster.

    ``signing`` is a signing-key folder copied into every instance (as the README says);
    ``config`` is added to every instance's ``config.py``;
    the database must be migrated already. The caller stops the cluster (``Cluster.stop``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    storage = folder / "shared-storage"
    storage.mkdir(exist_ok=True)
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base_env.update(SCORING_DATABASE_URL=database_url, SECRET_KEY=SECRET,
                    STORAGE_DIR=str(storage), HUEY_SQLITE_PATH=str(storage / "huey.sqlite"),
                    PYTHONDONTWRITEBYTECODE="1",
                    PYTHONPATH=os.pathsep.join([str(ROOT / "tests"),
                                                os.environ.get("PYTHONPATH", "")]))
    base_env.update(env or {})
    cluster = Cluster(folder, base_env)
    ports = [free_port() for _ in range(servers)]
    listen = free_port()
    public = f"http://127.0.0.1:{listen}" if proxy else f"http://127.0.0.1:{ports[0]}"
    cluster.env["PUBLIC_BASE_URL"] = public
    try:
        for index, port in enumerate(ports):
            instance = folder / f"instance-{index}"
            instance.mkdir(exist_ok=True)
            (instance / "config.py").write_text(f"PROXY_HOPS = {1 if proxy else 0}\n{config}")
            if signing is not None and not (instance / "signing").exists():
                shutil.copytree(signing, instance / "signing")
            log = (folder / f"gunicorn-{index}.log").open("ab")
            cmd = [sys.executable, "-m", "gunicorn", *(gunicorn_args or PRODUCTION),
                   "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "3",
                   "--access-logfile", str(folder / f"access-{index}.log"),
                   "scoring.wsgi:app"]
            cluster.gunicorns.append(subprocess.Popen(
                cmd, cwd=ROOT, env=cluster.server_env(index), stdout=log,
                stderr=subprocess.STDOUT))
            log.close()
            cluster.servers.append(f"http://127.0.0.1:{port}")
        for index, (base, proc) in enumerate(zip(cluster.servers, cluster.gunicorns, strict=True)):
            wait_healthy(base, boot_timeout, proc, folder / f"gunicorn-{index}.log")
        if proxy:
            binary = nginx_binary()
            if binary is None:
                raise RuntimeError("nginx is not installed (apt-get install nginx)")
            conf = nginx_conf(folder, listen, [u.removeprefix("http://")
                                               for u in cluster.servers])
            with (folder / "nginx.log").open("ab") as log:
                cluster.nginx = subprocess.Popen(
                    [binary, "-e", str(folder / "nginx-error.log"), "-c", str(conf),
                     "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT)
            cluster.proxy = public
            wait_healthy(public, 30, cluster.nginx, folder / "nginx-error.log")
        if worker:
            cluster.start_worker()
    except BaseException:
        cluster.stop()
        raise
    return cluster
