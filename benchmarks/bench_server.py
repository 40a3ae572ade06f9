"""Choose gunicorn's worker class, threads and counts: tablets saving drafts beside PDF downloads.

    .venv/bin/python benchmarks/bench_server.py [--tablets 40] [--seconds 20] [--runs 3]
        [--pdf-clients 2] [--configs sync:2:1,gthread:2:4,...]

Builds one SQLite demo (``scoring demo``-style data, ``--panels`` panels of a chair and three
examiners, every unscored candidate declared), then for each gunicorn configuration serves a
fresh copy of it with the flags of the README's production command (``--preload``, the given
``--worker-class``, ``--workers``, ``--threads``) and runs, for ``--seconds``:

- ``--tablets`` simulated tablets, each logged in as one panel member and saving a full draft
  of its candidates about once a second (random 0.5-1.5 s), with increasing sequence numbers;
- ``--pdf-clients`` administrators asking for the session's agreement report PDF and the panel
  reports' PDFs in a loop (rendered by ``scoring worker`` since they are background jobs: the
  request only queues one; no worker runs here, so only the asking is measured).

It prints, per configuration, the median over ``--runs`` runs of each run's p50/p95/p99 draft
save latency, the draft saves per second, the PDF downloads and the 5xx/failed requests.
Server and clients share the machine; read the figures relative to each other.
"""

from __future__ import annotations

import argparse
import base64
import http.cookiejar
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_CONFIGS = "sync:2:1,gthread:2:4,gthread:4:4"


def build_demo(folder: Path, panels: int, per_panel: int,
               declare: bool = True) -> tuple[Path, dict]:
    """Create the demo database in ``folder``; return its path and what the clients need.

    With ``declare`` False the open candidates stay undeclared: the tablets declare them.
    """
    from sqlalchemy import select

    from scoring.extensions import db
    from scoring.models import InterviewSession
    from scoring.ops.builders import unsubmitted
    from scoring.ops.demo_instance import demo_instance
    from scoring.workflow import declare_conflict, session_rubric

    app, logins = demo_instance(folder, panels=panels, candidates_per_panel=per_panel,
                                secret="bench")
    with app.app_context():
        session = db.session.scalar(select(InterviewSession).order_by(InterviewSession.id))
        rubric = session_rubric(session)
        passwords = {login.username: login.password for login in logins}
        tablets = []
        for user, assignment, sheet in unsubmitted(session):
            if sheet is None and declare:
                declare_conflict(assignment, user, "none")
            if sheet is None or declare:
                tablets.append((user.username, assignment.id))
        db.session.commit()
        facts = {"session_id": session.id, "codes": list(rubric.codes),
                 "levels": [rubric.scale.min, rubric.scale.max],
                 "passwords": passwords, "tablets": tablets,
                 "panel_ids": [p.id for p in session.panels],
                 "boards": [(p.chair.username, p.id) for p in session.panels],
                 "evidence": {lv: rubric.requires_evidence(lv)
                              for lv in range(rubric.scale.min, rubric.scale.max + 1)}}
        db.session.remove()
        db.engine.dispose()
    return folder / "scoring.sqlite", facts


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One logged-in user with a cookie jar and the page's CSRF token."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(jar)
        self.no_redirect = urllib.request.build_opener(jar, _NoRedirect)
        page = self.opener.open(base + "/auth/login", timeout=60).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token}).encode()
        home = self.opener.open(base + "/auth/login", form, timeout=60).read().decode()
        found = re.search(r'name="csrf-token" content="([^"]+)"', home) or re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', home)
        self.csrf = found.group(1) if found else token

    def form(self, path: str, fields: dict) -> tuple[int, float]:
        """POST a form with the CSRF token (redirects not followed); return status, seconds."""
        data = urllib.parse.urlencode({**fields, "csrf_token": self.csrf}).encode()
        req = urllib.request.Request(self.base + path, data, method="POST")
        started = time.perf_counter()
        try:
            with self.no_redirect.open(req, timeout=30) as response:
                response.read()
                return response.status, time.perf_counter() - started
        except urllib.error.HTTPError as exc:
            exc.read()
            return (200 if exc.code in (302, 303) else exc.code), time.perf_counter() - started
        except OSError:
            return 0, time.perf_counter() - started

    def request(self, path: str, body: dict | None = None) -> tuple[int, float, int]:
        """Send a GET (or a JSON POST); return status, seconds and response size."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json",
                                              "Accept": "application/json",
                                              "X-CSRFToken": self.csrf})
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=30) as response:
                size = len(response.read())
                return response.status, time.perf_counter() - started, size
        except urllib.error.HTTPError as exc:
            exc.read()
            return exc.code, time.perf_counter() - started, 0
        except OSError:
            return 0, time.perf_counter() - started, 0  # refused, reset or timed out


def serve(db_path: Path, folder: Path, worker_class: str, workers: int, threads: int):
    """Start gunicorn as the README's production command would; return (process, base URL)."""
    port = free_port()
    env = {**os.environ, "SCORING_DATABASE_URL": f"sqlite:///{db_path}",
           "SCORING_INSTANCE_PATH": str(folder), "SECRET_KEY": "bench-secret"}
    cmd = [sys.executable, "-m", "gunicorn", "--preload", "--worker-class", worker_class,
           "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "120",
           "--graceful-timeout", "3", "scoring.wsgi:app"]
    if worker_class == "gthread":
        cmd[cmd.index("--bind"):cmd.index("--bind")] = ["--threads", str(threads)]
    log_dir = Path(os.environ.get("BENCH_LOG_DIR") or folder)  # keep the logs: BENCH_LOG_DIR
    log = open(log_dir / f"gunicorn-{worker_class}-{workers}-{threads}.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240  # a busy machine can take minutes to boot the workers
    answer = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return proc, base
        except urllib.error.HTTPError as exc:
            answer = exc.read().decode(errors="replace")
            time.sleep(0.2)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    log.close()
    tail = Path(log.name).read_text(errors="replace")[-2000:]
    raise RuntimeError(f"gunicorn did not start: {answer}\n{tail}")


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (nearest rank) of ``values`` in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _scores(facts: dict, r: random.Random) -> dict:
    lo, hi = facts["levels"]
    scores = {}
    for code in facts["codes"]:
        level = r.randint(lo, hi)
        note = "Contoh perilaku konkret." if facts["evidence"][level] else ""
        scores[code] = {"level": level, "note": note}
    return scores


def _summary(records: dict[str, list[tuple[int, float]]], seconds: float) -> dict:
    """Return p50/p95/p99 per kind (200 answers), saves per second, 5xx and failures."""
    out: dict = {}
    for kind, rows in records.items():
        ok = [took for status, took in rows if status < 400]
        out[kind] = {"n": len(rows), "p50": percentile(ok, 50), "p95": percentile(ok, 95),
                     "p99": percentile(ok, 99)}
    every = [s for rows in records.values() for s, _ in rows]
    out["saves_s"] = sum(1 for s, _ in records.get("save", []) if s < 400) / seconds
    out["requests"] = len(every)
    out["5xx"] = sum(1 for s in every if s >= 500)
    out["failed"] = sum(1 for s in every if s == 0)
    out["4xx"] = sum(1 for s in every if 400 <= s < 500)
    return out


def one_run(base: str, facts: dict, tablets: int, pdf_clients: int, seconds: float,
            seed: int) -> dict:
    """Run the tablets and the PDF downloaders against ``base``; return the figures."""
    rng = random.Random(seed)
    chosen = rng.sample(facts["tablets"], min(tablets, len(facts["tablets"])))
    by_user: dict[str, list[int]] = {}
    for username, aid in chosen:
        by_user.setdefault(username, []).append(aid)
    clients = {u: Client(base, u, facts["passwords"][u]) for u in by_user}
    admin = Client(base, "admin", facts["passwords"]["admin"])
    pdf_paths = [f"/chair/sessions/{facts['session_id']}/report.pdf"] + [
        f"/chair/panels/{p}/report.pdf" for p in facts["panel_ids"]]
    saves: list[tuple[int, float]] = []
    pdfs: list[tuple[int, float]] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def tablet(username: str, aid: int, n: int) -> None:
        r = random.Random(seed * 1000 + n)
        client = clients[username]
        seq = 0
        time.sleep(r.uniform(0, 1))
        while time.monotonic() < stop:
            seq += 1
            status, took, _ = client.request(f"/api/examine/{aid}/draft", {
                "client_id": f"bench-{username}-{aid}", "seq": seq,
                "scores": _scores(facts, r)})
            with lock:
                saves.append((status, took))
            time.sleep(max(0.0, r.uniform(0.5, 1.5) - took))

    def downloader(n: int) -> None:
        i = n
        while time.monotonic() < stop:
            # A report PDF is a background job: the request queues it and answers at once.
            status, took = admin.form(pdf_paths[i % len(pdf_paths)] + f"?r={i}", {})
            with lock:
                pdfs.append((status, took))
            i += 1

    threads = [threading.Thread(target=tablet, args=(u, a, n))
               for n, (u, a) in enumerate(chosen)]
    threads += [threading.Thread(target=downloader, args=(n,)) for n in range(pdf_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [took for status, took in saves if status == 200]
    return {"p50": percentile(ok, 50), "p95": percentile(ok, 95), "p99": percentile(ok, 99),
            "saves_s": len(ok) / seconds, "pdfs": sum(1 for s, _ in pdfs if s == 200),
            "pdf_p50": percentile([t for s, t in pdfs if s == 200], 50),
            "bad": sum(1 for s, _ in saves + pdfs if s >= 500 or s == 0),
            "non200": sum(1 for s, _ in saves + pdfs if s != 200)}


def day_run(base: str, facts: dict, tablets: int, seconds: float, interval: float,
            board_interval: float, seed: int, server_pid: int) -> dict:
    """Exam day: each tablet declares, drafts every ``interval`` s and submits its candidates.

    One tablet per panel member (up to ``tablets``), each with its open candidates (three in
    ``load_demo(candidates_per_panel=10)``); the saves per sheet are spread so that the
    candidates fill ``seconds``. Every panel's chair also polls the board every
    ``board_interval`` s, as static/js/board.js does.
    """
    from scoring.ops.demo import _signature

    rng = random.Random(seed)
    by_user: dict[str, list[int]] = {}
    for username, aid in facts["tablets"]:
        by_user.setdefault(username, []).append(aid)
    users = sorted(by_user)
    rng.shuffle(users)
    users = users[:tablets]
    per_sheet = max(1, round(seconds / interval / max(len(a) for a in by_user.values())))
    clients = {}
    for u in users + sorted({c for c, _ in facts["boards"]} - set(users)):
        clients[u] = Client(base, u, facts["passwords"][u])
    signature = "data:image/png;base64," + base64.b64encode(_signature(seed)).decode()
    records: dict[str, list[tuple[int, float]]] = {k: [] for k in
                                                    ("declare", "save", "submit", "board")}
    lock = threading.Lock()
    cpu_before = _cpu_seconds(server_pid)  # after the logins (scrypt), before the day
    started = time.monotonic()
    stop = started + seconds

    def note(kind: str, status: int, took: float) -> None:
        with lock:
            records[kind].append((status, took))

    def tablet(username: str, n: int) -> None:
        r = random.Random(seed * 1000 + n)
        client = clients[username]
        time.sleep(r.uniform(0, interval))
        for aid in by_user[username]:
            if time.monotonic() >= stop:
                return
            note("declare", *client.form(f"/examine/{aid}/declare", {"relationship": "none"}))
            client_id = f"bench-{username}-{aid}"
            seq = 0
            for _ in range(per_sheet):
                time.sleep(max(0.0, r.uniform(0.5, 1.5) * interval))
                if time.monotonic() >= stop:
                    return
                seq += 1
                status, took, _ = client.request(f"/api/examine/{aid}/draft", {
                    "client_id": client_id, "seq": seq, "scores": _scores(facts, r)})
                note("save", status, took)
            seq += 1
            status, took, _ = client.request(f"/api/examine/{aid}/submit", {
                "client_id": client_id, "seq": seq, "scores": _scores(facts, r),
                "signature": signature})
            note("submit", status, took)

    def board(chair: str, panel_id: int, n: int) -> None:
        r = random.Random(seed * 7919 + n)
        client = clients[chair]
        time.sleep(r.uniform(0, board_interval))
        while time.monotonic() < stop:
            status, took, _ = client.request(f"/chair/panels/{panel_id}/state")
            note("board", status, took)
            time.sleep(max(0.0, board_interval - took))

    threads = [threading.Thread(target=tablet, args=(u, n)) for n, u in enumerate(users)]
    threads += [threading.Thread(target=board, args=(c, p, n))
                for n, (c, p) in enumerate(facts["boards"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = _summary(records, time.monotonic() - started)
    out["server_cpu_ms"] = 1000 * (_cpu_seconds(server_pid) - cpu_before) / max(1, out["requests"])
    return out


def _demo(args, folder: Path) -> tuple[Path, dict]:
    """Build the demo, or reuse the one kept in BENCH_DEMO_CACHE for the same options."""
    cache = os.environ.get("BENCH_DEMO_CACHE")
    schema = sorted(p.name for p in (ROOT / "scoring" / "migrations" / "versions").glob("*.py"))
    key = (f"{args.panels}-{args.candidates_per_panel}-{'day' if args.day else 'drafts'}-"
           f"{schema[-1].split('_')[0] if schema else 'none'}-{len(schema)}")
    if cache:
        db_file, facts_file = Path(cache) / f"{key}.sqlite", Path(cache) / f"{key}.json"
        if db_file.is_file() and facts_file.is_file():
            os.environ["SCORING_INSTANCE_PATH"] = str(folder)
            from scoring.ops.keys import ensure_signing_key

            ensure_signing_key(folder / "signing")
            facts = json.loads(facts_file.read_text())
            facts["tablets"] = [tuple(t) for t in facts["tablets"]]
            facts["evidence"] = {int(k): v for k, v in facts["evidence"].items()}
            return db_file, facts
    source, facts = build_demo(folder, args.panels, args.candidates_per_panel,
                               declare=not args.day)
    if cache:
        Path(cache).mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(source)) as src, \
                closing(sqlite3.connect(db_file)) as dst:
            src.backup(dst)
        facts_file.write_text(json.dumps(facts))
    return source, facts


def _fresh_copy(source: Path, folder: Path) -> Path:
    db_path = folder / "run.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(db_path)) as dst:
        src.backup(dst)  # a fresh copy of the demo for every run
    return db_path


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _label(worker_class: str, workers: int, threads: int) -> str:
    return (f"{worker_class} {workers}w" if worker_class != "gthread"
            else f"{worker_class} {workers}w x {threads}t")


def main() -> None:
    """Parse the options, build the demo once, measure every configuration."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tablets", type=int, default=40)
    parser.add_argument("--pdf-clients", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--panels", type=int, default=10)
    parser.add_argument("--candidates-per-panel", type=int, default=6)
    parser.add_argument("--configs", default=DEFAULT_CONFIGS,
                        help="comma-separated worker_class:workers:threads")
    parser.add_argument("--day", action="store_true",
                        help="exam day: tablets declare, draft and submit; chairs poll boards")
    parser.add_argument("--interval", type=float, default=2.0,
                        help="--day: mean seconds between a tablet's draft saves")
    parser.add_argument("--board-interval", type=float, default=5.0,
                        help="--day: seconds between a chair's board polls")
    args = parser.parse_args()
    configs = [(c.split(":")[0], int(c.split(":")[1]), int(c.split(":")[2]))
               for c in args.configs.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        folder = Path(tmp)
        source, facts = _demo(args, folder)
        if args.day:
            print(f"{len(facts['tablets'])} open candidate sheets, {args.tablets} tablets saving "
                  f"every {args.interval:g} s, {len(facts['boards'])} boards every "
                  f"{args.board_interval:g} s, {args.seconds:.0f} s x {args.runs} runs, "
                  f"{os.cpu_count()} CPUs", flush=True)
            _day(args, configs, folder, source, facts)
            return
        print(f"{len(facts['tablets'])} open sheets; {args.tablets} tablets, "
              f"{args.pdf_clients} PDF clients, {args.seconds:.0f} s x {args.runs} runs, "
              f"{os.cpu_count()} CPUs", flush=True)
        rows = []
        for worker_class, workers, threads in configs:
            runs = []
            for run in range(args.runs):
                proc, base = serve(_fresh_copy(source, folder), folder, worker_class, workers,
                                   threads)
                try:
                    runs.append(one_run(base, facts, args.tablets, args.pdf_clients,
                                        args.seconds, seed=run + 1))
                finally:
                    _stop(proc)
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            label = _label(worker_class, workers, threads)
            rows.append((label, med, [r["bad"] for r in runs]))
            print(f"  {label}: p95 {med['p95']:.0f} ms, {med['saves_s']:.1f} saves/s, "
                  f"{med['pdfs']:.0f} PDFs, 5xx+failed {[r['bad'] for r in runs]}", flush=True)
    print()
    print("| gunicorn | draft p50 ms | p95 ms | p99 ms | saves/s | PDFs | PDF p50 ms "
          "| 5xx+failed per run |")
    print("|---|---|---|---|---|---|---|---|")
    for label, med, bad in rows:
        print(f"| {label} | {med['p50']:.0f} | {med['p95']:.0f} | {med['p99']:.0f} | "
              f"{med['saves_s']:.1f} | {med['pdfs']:.0f} | {med['pdf_p50']:.0f} | "
              f"{', '.join(map(str, bad))} |")


def _day(args, configs, folder: Path, source: Path, facts: dict) -> None:
    """Measure every configuration on the exam-day load; print one table of medians."""
    rows = []
    for worker_class, workers, threads in configs:
        runs = []
        for run in range(args.runs):
            proc, base = serve(_fresh_copy(source, folder), folder, worker_class, workers,
                               threads)
            try:
                runs.append(day_run(base, facts, args.tablets, args.seconds, args.interval,
                                    args.board_interval, seed=run + 1, server_pid=proc.pid))
            finally:
                _stop(proc)
            r = runs[-1]
            print(f"  {_label(worker_class, workers, threads)} run {run + 1}: "
                  f"save p95 {r['save']['p95']:.0f} ms, submit p95 {r['submit']['p95']:.0f}, "
                  f"board p95 {r['board']['p95']:.0f}, declare p95 {r['declare']['p95']:.0f}, "
                  f"{r['saves_s']:.1f} saves/s, {r['requests']} requests, 5xx {r['5xx']}, "
                  f"failed {r['failed']}, 4xx {r['4xx']}, "
                  f"server CPU {r['server_cpu_ms']:.1f} ms/request", flush=True)
        med = {}
        for kind in ("save", "submit", "board", "declare"):
            for q in ("p50", "p95", "p99"):
                # A kind with no answer in a run (no tablet got to submit) has no percentile.
                values = [r[kind][q] for r in runs if r[kind][q] == r[kind][q]]
                med[f"{kind}_{q}"] = statistics.median(values) if values else float("nan")
        for key in ("saves_s", "requests", "server_cpu_ms"):
            med[key] = statistics.median(r[key] for r in runs)
        rows.append((_label(worker_class, workers, threads), med,
                     [f"{r['5xx']}/{r['failed']}" for r in runs]))
    print()
    print("| gunicorn | save p50 | save p95 | save p99 | submit p95 | board p95 | declare p95 "
          "| saves/s | requests | server CPU ms/req | 5xx/failed per run |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, m, bad in rows:
        print(f"| {label} | {m['save_p50']:.0f} | {m['save_p95']:.0f} | {m['save_p99']:.0f} | "
              f"{m['submit_p95']:.0f} | {m['board_p95']:.0f} | {m['declare_p95']:.0f} | "
              f"{m['saves_s']:.1f} | {m['requests']:.0f} | {m['server_cpu_ms']:.1f} | "
              f"{', '.join(bad)} |")


def _cpu_seconds(pid: int) -> float:
    """Return the user+system CPU seconds of ``pid`` and its children (gunicorn's workers)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


if __name__ == "__main__":
    main()
