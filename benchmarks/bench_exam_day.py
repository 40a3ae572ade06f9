"""Exam day under load and faults: 200 tablets, chairs' boards, a bulk export, killed servers.

    .venv/bin/python benchmarks/bench_exam_day.py [--tablets 200] [--seconds 90]
        [--rows sqlite,postgresql,sqlite-kills,postgresql-kills] [--save-every 3]

Builds the demo with the real commands (``scoring init``, ``scoring demo --panels 50
--candidates-per-panel 3``), then runs each row with Locust (headless, as a library) on a fresh
copy of it:

- ``sqlite``: one gunicorn with the README's production command (``--preload``, gthread,
  2 workers x 4 threads) on SQLite, and one ``scoring worker``;
- ``postgresql``: two such gunicorns behind nginx (round-robin, ``deploy/nginx``), one worker,
  one PostgreSQL server (a private cluster this script makes with ``initdb`` and starts with
  ``pg_ctl``, so that restarting it disturbs nobody else on the machine);
- ``...-kills``: the same, with one gunicorn worker process (the master restarts it) and the
  ``scoring worker`` with its sealing processes (restarted here after a second, as systemd
  would) SIGKILLed at 1/4, 1/2 and 3/4 of the run; on PostgreSQL the database server is also
  restarted once (``pg_ctl restart -m fast``, at 3/5 of the run).

The load: every examiner and chair of the panels taken (``--tablets``, 4 per panel) on its own
tablet works through its open candidates of the day, spread over the run. Each panel begins
within the first ``--start-spread`` seconds and its interviews end at its own phase of the slot
(its four tablets together), as panels in separate rooms do; ``--lockstep`` makes every panel
begin and change candidate at the same moments instead (the worst case: 200 tablets within a few
seconds). Each tablet reads its sheet's state, declares (no conflict) where it has not yet,
saves its full draft every ``--save-every`` seconds (random levels, notes where the rubric asks,
increasing client sequence numbers), then signs and submits; a failed request is sent again, as
the tablet's outbox does. Each panel's chair also watches the board on a laptop
(``/chair/panels/<id>/state`` every 5 s); an administrator starts a bulk export of the whole
session at half time (when the first candidates' sheets are all in: before, there is nothing the
administrator may export) and polls its progress. Afterwards every sheet a tablet was
acknowledged is compared with the database: *lost* (the database has an older state, or none),
*altered* (its state, or the submitted sheet's receipt hash, differs from what the tablet sent
under that sequence number).

It prints ONE table: per row the requests, 5xx answers, failed connections (reset or refused:
a killed process), p50/p95/p99 of draft save, submit and board (ms), and the acknowledged
sheets lost or altered. Server, database and load generator share the machine.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import gevent
import gevent.event
import psutil
from locust import FastHttpUser, constant, events, task
from locust.env import Environment

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
ROWS = ("sqlite", "postgresql", "sqlite-kills", "postgresql-kills")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')


# ---------------------------------------------------------------- the demo and the databases

def scoring_cli(env: dict, *args: str) -> str:
    """Run the ``scoring`` command with ``env``; return its output (raise on failure)."""
    done = subprocess.run([sys.executable, "-c", "from scoring.cli.console import main; main()",
                           *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"scoring {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_demo(instance: Path, database_url: str, panels: int, per_panel: int) -> None:
    """``scoring init`` then ``scoring demo`` into ``instance`` and ``database_url``."""
    env = {**os.environ, "SCORING_INSTANCE_PATH": str(instance),
           "SCORING_DATABASE_URL": database_url}
    scoring_cli(env, "init")
    scoring_cli(env, "demo", "--panels", str(panels), "--candidates-per-panel", str(per_panel))


class PostgresServer:
    """A private PostgreSQL cluster in a temporary folder (initdb, pg_ctl), trust auth on
    127.0.0.1 only; run as the ``postgres`` user when this script runs as root."""

    def __init__(self, folder: Path):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                      key=lambda p: int(p.parent.parent.name))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.bin = bins[-1].parent
        self.data = folder / "pgdata"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        folder.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "scoring", "--auth=trust",
                  "--no-sync", "-E", "UTF8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{folder}'\nmax_connections = 200\n"
                       # what to read in the kept log (--keep) when a run stalls
                       "log_checkpoints = on\nlog_autovacuum_min_duration = 0\n"
                       "log_lock_waits = on\n")
        self.log = folder / "postgres.log"

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "start")

    def restart(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w",
                  "restart")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://scoring@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(statement))
        engine.dispose()


def _free_port() -> int:
    from live_cluster import free_port

    return free_port()


def demo_facts(database_url: str, panels: int) -> dict:
    """Return what the simulated users need: their passwords, open candidates, the rubric."""
    from sqlalchemy import select

    from scoring import create_app
    from scoring.extensions import db
    from scoring.models import Assignment, InterviewSession, PanelMember, ScoreSheet
    from scoring.ops.demo import demo_logins
    from scoring.workflow import session_rubric

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        session = db.session.scalar(select(InterviewSession))
        rubric = session_rubric(session)
        sheets = {(s.assignment_id, s.examiner_id): s.status
                  for s in db.session.scalars(select(ScoreSheet))}
        work: dict[str, list[int]] = {}
        panel_ids = {}
        for panel in sorted(session.panels, key=lambda p: int(p.name.split()[-1])):
            panel_ids[panel.name] = panel.id
            members = db.session.scalars(select(PanelMember).where(
                PanelMember.panel_id == panel.id).order_by(PanelMember.position)).all()
            assignments = db.session.scalars(select(Assignment).where(
                Assignment.panel_id == panel.id).order_by(Assignment.position)).all()
            for member in members:
                work[member.user.username] = [
                    a.id for a in assignments
                    if sheets.get((a.id, member.user_id)) != "submitted"]
        facts = {"session_id": session.id, "codes": list(rubric.codes),
                 "levels": list(rubric.scale.values),
                 "evidence": [lv for lv in rubric.scale.values if rubric.requires_evidence(lv)],
                 "passwords": {lg.username: lg.password for lg in demo_logins(panels)},
                 "work": work, "panels": list(panel_ids.values())}
        db.session.remove()
        db.engine.dispose()
    return facts


# ---------------------------------------------------------------- the simulated users

@dataclass
class Ledger:
    """What the tablets were acknowledged, and every state they sent, per (user, assignment)."""

    sent: dict = field(default_factory=dict)       # (user, aid) -> {seq: state}
    acked: dict = field(default_factory=dict)      # (user, aid) -> highest acknowledged seq
    receipts: dict = field(default_factory=dict)   # (user, aid) -> (seq, state, content_hash)
    errors: list = field(default_factory=list)


class Shared:
    """The state of one row's run, shared by every simulated user (one process, gevent)."""

    facts: dict = {}
    tablets: list = []
    boards: list = []
    ledger = Ledger()
    started = gevent.event.Event()
    t0 = 0.0
    seconds = 60.0
    save_every = 3.0
    panel_of: dict = {}  # username -> panel number
    lockstep = False
    start_spread = 10.0
    logged_in = 0
    signature = ""
    export: dict = {}
    export_span: list = []  # [started, finished] (time.monotonic()) of the bulk export


def _token(html: str) -> str:
    found = CSRF.search(html)
    return (found.group(1) or found.group(2)) if found else ""


class Browser(FastHttpUser):
    """Common steps: log in (the form's CSRF token), keep the token for JSON calls."""

    abstract = True
    wait_time = constant(1)
    network_timeout = 60.0
    connection_timeout = 30.0
    csrf = ""

    def log_in(self, username: str) -> None:
        while True:
            page = self.client.get("/auth/login", name="login page")
            done = self.form_post("/auth/login", {
                "username": username, "password": Shared.facts["passwords"][username],
                "csrf_token": _token(page.text or "")}, "login")
            if done.status_code == 302:
                Shared.logged_in += 1
                return
            gevent.sleep(1 + random.random())

    def form_post(self, path: str, fields: dict, name: str):
        return self.client.post(path, data=urlencode(fields), name=name, allow_redirects=False,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})

    def json_post(self, path: str, body: dict, name: str):
        return self.client.post(path, data=json.dumps(body), name=name, headers={
            "Content-Type": "application/json", "Accept": "application/json",
            "X-CSRFToken": self.csrf})

    def refresh_token(self) -> None:
        """Load the queue page (as the tablet does) and keep its CSRF token; retry until then."""
        self.csrf = ""
        while not self.csrf:
            self.csrf = _token(self.client.get("/examine/", name="queue").text or "")
            if not self.csrf:
                gevent.sleep(1)

    def until(self, moment: float) -> None:
        gevent.sleep(max(0.0, moment - time.monotonic()))


def panel_schedule(panel: int) -> tuple[float, float]:
    """A panel's own start (seconds after the run's start, within ``--start-spread``) and
    phase (the shift of its interviews' ends, a fraction of a slot in [-0.5, 0.5)); both 0
    with ``--lockstep``. The same for every run, so rows compare."""
    if Shared.lockstep:
        return 0.0, 0.0
    rng = random.Random(f"panel-{panel}")
    return rng.uniform(0, Shared.start_spread), rng.uniform(-0.5, 0.5)


def slot_ends(candidates: int, seconds: float, phase: float) -> list[float]:
    """When a panel's interviews end, in seconds after the start: every ``seconds /
    candidates``, each but the last shifted by ``phase`` (a fraction of a slot, the panel's
    own), the last at the end of the run. A panel's four tablets share it."""
    slot = seconds / max(1, candidates)
    return [(k + 1 + (phase if k < candidates - 1 else 0.0)) * slot for k in range(candidates)]


class Tablet(Browser):
    """An examiner (or a chair who scores) on a tablet, through the day's open candidates."""

    @task
    def day(self) -> None:
        username = Shared.tablets.pop()
        self.log_in(username)
        self.refresh_token()
        Shared.started.wait()
        work = Shared.facts["work"][username]
        start, phase = panel_schedule(Shared.panel_of[username])
        ends = slot_ends(len(work), Shared.seconds, phase)
        rng = random.Random(username)
        self.until(Shared.t0 + start + rng.uniform(0, Shared.save_every))
        for aid, end in zip(work, ends, strict=True):
            self.candidate(username, aid, Shared.t0 + end, rng)
        self.until(Shared.t0 + Shared.seconds + 3600)  # done for the day

    def candidate(self, username: str, aid: int, slot_end: float, rng: random.Random) -> None:
        key = (username, aid)
        sent = Shared.ledger.sent.setdefault(key, {})
        seq = 0
        while time.monotonic() < slot_end:  # read the sheet's state (the page does)
            state = self.client.get(f"/api/examine/{aid}/state", name="state")
            if state.status_code == 200:
                body = json.loads(state.text)
                seq = body["seq"]
                if body["status"] == "submitted":
                    return
                if body["status"] == "not_started":
                    self.declare(aid)
                    continue
                break
            gevent.sleep(1)
        facts = Shared.facts
        last = None
        while time.monotonic() < slot_end - Shared.save_every:
            seq += 1
            levels = {c: rng.choice(facts["levels"]) for c in facts["codes"]}
            last = {c: {"level": lv, "note": "Contoh perilaku konkret." if lv in
                        facts["evidence"] else ""} for c, lv in levels.items()}
            sent[seq] = last
            saved = self.json_post(f"/api/examine/{aid}/draft", {
                "client_id": f"tablet-{username}", "seq": seq, "scores": last}, "draft save")
            if saved.status_code == 200:
                Shared.ledger.acked[key] = max(Shared.ledger.acked.get(key, 0), seq)
            elif saved.status_code == 400 and "csrf" in (saved.text or ""):
                self.refresh_token()  # the page would be reloaded
            gevent.sleep(rng.uniform(0.8, 1.2) * Shared.save_every)
        if last is None:
            return
        seq += 1
        sent[seq] = last
        body = {"client_id": f"tablet-{username}", "seq": seq, "scores": last,
                "signature": Shared.signature}
        while time.monotonic() < Shared.t0 + Shared.seconds + 30:  # resent until received
            answer = self.json_post(f"/api/examine/{aid}/submit", body, "submit")
            if answer.status_code == 200:
                Shared.ledger.receipts[key] = (seq, last, json.loads(answer.text)["content_hash"])
                return
            if answer.status_code == 400 and "csrf" in (answer.text or ""):
                self.refresh_token()
                continue
            if 400 <= answer.status_code < 500:
                Shared.ledger.errors.append((key, answer.status_code, answer.text[:200]))
                return
            gevent.sleep(1)

    def declare(self, aid: int) -> None:
        page = self.client.get(f"/examine/{aid}/declare", name="declaration page")
        token = _token(page.text or "") or self.csrf
        self.form_post(f"/examine/{aid}/declare", {"relationship": "none", "csrf_token": token},
                       "declare")


class Board(Browser):
    """A chair's laptop watching the panel's live board (it refreshes every 5 s)."""

    @task
    def watch(self) -> None:
        username, panel_id = Shared.boards.pop()
        self.log_in(username)
        Shared.started.wait()
        gevent.sleep(random.uniform(0, 5))
        while True:
            self.client.get(f"/chair/panels/{panel_id}/state", name="board")
            gevent.sleep(5)


class Administrator(Browser):
    """Starts a bulk export of the whole session and follows its progress."""

    @task
    def export(self) -> None:
        self.log_in("admin")
        Shared.started.wait()
        self.until(Shared.t0 + Shared.seconds / 2)
        sid = Shared.facts["session_id"]
        while True:  # until the first candidates' sheets are all in (nothing to export before)
            page = self.client.get(f"/documents/session/{sid}", name="export page")
            started = self.form_post(f"/documents/session/{sid}", {
                "panel": 0, "csrf_token": _token(page.text or "")}, "export start")
            location = started.headers.get("Location", "") if started.headers else ""
            if started.status_code == 302 and "/exports/" in location:
                break
            Shared.export.update(status=f"not started ({started.status_code})")
            gevent.sleep(3)
        token = location.rstrip("/").rsplit("/", 1)[-1]
        Shared.export_span[:] = [time.monotonic()]
        while True:
            answer = self.client.get(f"/documents/exports/{token}/progress",
                                     name="export progress")
            if answer.status_code == 200:
                Shared.export.update(json.loads(answer.text))
                if Shared.export.get("status") in ("done", "failed") \
                        and len(Shared.export_span) == 1:
                    Shared.export_span.append(time.monotonic())
            gevent.sleep(3)


# ---------------------------------------------------------------- one row

@dataclass
class Row:
    label: str
    requests: int = 0
    status5xx: int = 0
    failed: int = 0
    times: dict = field(default_factory=dict)
    lost: int = 0
    altered: int = 0
    acked: int = 0
    submitted: int = 0
    export: str = ""
    during_export: list = field(default_factory=list)  # draft-save ms while it ran
    notes: list = field(default_factory=list)
    log: list = field(default_factory=list)  # (when, name, ms, status) of every request


def record_requests(row: Row):
    """Return a Locust request listener that counts answers and keeps latencies."""
    def listener(request_type, name, response_time, response_length, response=None,
                 exception=None, **_kw):
        row.requests += 1
        status = getattr(response, "status_code", 0) or 0
        row.log.append((time.monotonic(), name, response_time, status))
        if status >= 500:
            row.status5xx += 1
            row.notes.append(f"{status} {name}")
        elif status == 0:
            row.failed += 1
        elif status < 400:
            row.times.setdefault(name, []).append(response_time)
    return listener


def kill_app_worker(master: subprocess.Popen) -> str:
    """SIGKILL one of a gunicorn master's worker processes (the master starts another)."""
    children = psutil.Process(master.pid).children()
    if not children:
        return "no worker to kill"
    victim = random.choice(children)
    victim.send_signal(signal.SIGKILL)
    return f"gunicorn worker {victim.pid}"


def kill_task_worker(cluster) -> str:
    """SIGKILL ``scoring worker`` with its sealing processes; start it again after 1 s."""
    proc = psutil.Process(cluster.worker.pid)
    for p in [*proc.children(recursive=True), proc]:
        with suppress(psutil.NoSuchProcess):
            p.send_signal(signal.SIGKILL)
    cluster.worker.wait()
    gevent.sleep(1)
    cluster.start_worker()
    return "scoring worker"


def run_row(label: str, cluster, facts: dict, args, postgres: PostgresServer | None,
            database_url: str) -> Row:
    """Run the simulated day against ``cluster``; return the row's figures."""
    row = Row(label)
    base = cluster.proxy or cluster.servers[0]
    panels = facts["panels"][:max(1, args.tablets // 4)]
    Shared.panel_of = {u: p for p in range(1, len(panels) + 1)  # username -> panel number
                       for u in [f"ketua{p}"] + [f"penguji{(p - 1) * 3 + e}" for e in (1, 2, 3)]}
    usernames = list(Shared.panel_of)[:args.tablets]
    Shared.lockstep, Shared.start_spread = args.lockstep, args.start_spread
    Shared.facts, Shared.ledger, Shared.export, Shared.export_span = facts, Ledger(), {}, []
    Shared.tablets = list(reversed(usernames))
    Shared.boards = list(reversed([(f"ketua{i + 1}", pid) for i, pid in enumerate(panels)]))
    Shared.started, Shared.logged_in = gevent.event.Event(), 0
    Shared.seconds, Shared.save_every = args.seconds, args.save_every
    Tablet.fixed_count, Board.fixed_count, Administrator.fixed_count = (
        len(usernames), len(panels), 1)
    env = Environment(user_classes=[Tablet, Board, Administrator], host=base,
                      events=events)
    listener = record_requests(row)
    env.events.request.add_listener(listener)
    runner = env.create_local_runner()
    total = len(usernames) + len(panels) + 1
    runner.start(total, spawn_rate=args.spawn_rate)
    deadline = time.monotonic() + 600
    while Shared.logged_in < total and time.monotonic() < deadline:
        gevent.sleep(0.5)
    Shared.t0 = time.monotonic()
    row.requests = row.status5xx = row.failed = 0  # logins are the warm-up, not the day
    row.times.clear()
    row.log.clear()
    row.notes.clear()
    Shared.started.set()
    faults = []
    if label.endswith("kills"):
        masters = cluster.gunicorns
        for i, share in enumerate((0.25, 0.5, 0.75)):
            faults.append(gevent.spawn_later(
                share * args.seconds, lambda m=masters[i % len(masters)]: (
                    row.notes.append("killed " + kill_app_worker(m)),
                    row.notes.append("killed " + kill_task_worker(cluster)))))
        if postgres is not None:
            faults.append(gevent.spawn_later(
                0.6 * args.seconds, lambda: (postgres.restart(),
                                             row.notes.append("restarted PostgreSQL"))))
    gevent.sleep(args.seconds + 15)  # the last submissions, sent again if they failed
    runner.quit()
    gevent.joinall(faults, timeout=60)
    env.events.request.remove_listener(listener)
    export = Shared.export
    row.export = (f"{export.get('status')} {export.get('done')}/{export.get('total')}"
                  if "done" in export else str(export.get("status", "-")))
    if Shared.export_span:
        start, end = Shared.export_span[0], (Shared.export_span[1:] or [float("inf")])[0]
        row.export += f" in {end - start:.0f} s" if end < float("inf") else ""
        row.during_export = [ms for when, name, ms, status in row.log
                             if name == "draft save" and 0 < status < 400
                             and start <= when <= end]
    check_ledger(row, database_url)
    if args.timeline:
        with open(args.timeline, "a", encoding="utf-8") as out:
            out.writelines(f"{row.label},{when - Shared.t0:.3f},{name},{ms:.1f},{status}\n"
                           for when, name, ms, status in row.log)
    return row


def check_ledger(row: Row, database_url: str) -> None:
    """Compare every acknowledged draft and submission with the database."""
    from sqlalchemy import select

    from scoring import create_app
    from scoring.extensions import db
    from scoring.models import ScoreSheet, User
    from scoring.workflow import sheet_state

    ledger = Shared.ledger
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        ids = dict(db.session.execute(select(User.username, User.id)).all())
        for key in set(ledger.acked) | set(ledger.receipts):
            username, aid = key
            row.acked += 1
            sheet = db.session.scalar(select(ScoreSheet).where(
                ScoreSheet.assignment_id == aid, ScoreSheet.examiner_id == ids[username]))
            if key in ledger.receipts:
                seq, state, content_hash = ledger.receipts[key]
                row.submitted += 1
                if sheet is None or sheet.status != "submitted":
                    row.lost += 1
                elif sheet.content_hash != content_hash or sheet_state(sheet) != state:
                    row.altered += 1
                continue
            acked = ledger.acked[key]
            if sheet is None or sheet.client_seq < acked:
                row.lost += 1
                continue
            stored = ledger.sent[key].get(sheet.client_seq)
            if stored is not None and sheet_state(sheet) != stored:
                row.altered += 1
        db.session.remove()
        db.engine.dispose()
    if ledger.errors:
        row.notes.append(f"{len(ledger.errors)} submissions refused: {ledger.errors[:2]}")


# ---------------------------------------------------------------- main

def percentile(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]:.0f}"


def signature_png() -> str:
    """Return a small drawn signature as the pad sends it (a data URL)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("LA", (360, 120), (255, 0))
    ImageDraw.Draw(image).line([(20, 80), (120, 30), (200, 90), (340, 40)], fill=(20, 255),
                               width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def render_nice_arg(value: str):
    """``--render-nice``: ``idle`` or a whole number 0-19, as the app's ``RENDER_NICE``."""
    from scoring.documents.sealing import render_nice

    try:
        return render_nice(value if value == "idle" else int(value))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"idle or a whole number from 0 to 19, not {value!r}") from None


def main() -> None:
    """Build the demo, run every row, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tablets", type=int, default=200, help="4 per panel (default 200)")
    parser.add_argument("--seconds", type=float, default=90, help="length of the day's run")
    parser.add_argument("--save-every", type=float, default=3.0,
                        help="seconds between a tablet's full-draft saves")
    parser.add_argument("--candidates-per-panel", type=int, default=3)
    parser.add_argument("--start-spread", type=float, default=10.0, metavar="S",
                        help="the panels begin their first interview within the first S "
                             "seconds (default 10), each at its own moment")
    parser.add_argument("--lockstep", action="store_true",
                        help="every panel begins and ends its interviews at the same moments "
                             "(the worst case: 200 tablets change candidate within the same "
                             "few seconds); by default each panel has its own start and its "
                             "interviews end at its own phase of the slot")
    parser.add_argument("--spawn-rate", type=float, default=8, help="logins per second")
    parser.add_argument("--rows", default=",".join(ROWS))
    parser.add_argument("--render-nice", type=render_nice_arg, default=None, metavar="N",
                        help="RENDER_NICE of the export's sealing processes: idle or 0-19 "
                             "(default: the app's, idle)")
    parser.add_argument("--gunicorn", metavar="ARGS",
                        help="gunicorn options instead of the README's production command "
                             "(e.g. \"--preload --worker-class gthread --workers 1 --threads 8\")")
    parser.add_argument("--timeline", metavar="CSV",
                        help="append every request of the day to CSV: row, seconds since "
                             "the start, name, ms, status (0: no answer)")
    parser.add_argument("--keep", metavar="DIR",
                        help="work in DIR (new) and keep it: logs of every server, databases")
    args = parser.parse_args()
    rows = [r for r in args.rows.split(",") if r]
    unknown = set(rows) - set(ROWS)
    if unknown:
        parser.error(f"unknown rows {sorted(unknown)}; choose from {', '.join(ROWS)}")
    panels = max(1, -(-args.tablets // 4))
    Shared.signature = signature_png()
    main_greenlet = gevent.getcurrent()
    for signum in (signal.SIGINT, signal.SIGTERM):  # stop the servers on the way out
        gevent.signal_handler(signum, gevent.kill, main_greenlet, KeyboardInterrupt)
    from live_cluster import start_cluster

    results = []
    if args.keep:
        Path(args.keep).mkdir(parents=True)
    with (nullcontext(args.keep) if args.keep
          else tempfile.TemporaryDirectory(prefix="bench-exam-day-")) as tmp:
        folder = Path(tmp).resolve()
        os.chmod(folder, 0o755)  # the private PostgreSQL (user postgres) lives below it
        postgres = None
        sqlite_template = folder / "demo-sqlite"
        if any(r.startswith("sqlite") for r in rows):
            build_demo(sqlite_template, f"sqlite:///{sqlite_template}/scoring.sqlite", panels,
                       args.candidates_per_panel)
        if any(r.startswith("postgresql") for r in rows):
            postgres = PostgresServer(folder / "pg")
            postgres.start()
            postgres.sql("CREATE DATABASE demo")
            build_demo(folder / "demo-pg", postgres.url("demo"), panels,
                       args.candidates_per_panel)
        print(f"demo: {panels} panels x {args.candidates_per_panel} candidates; "
              f"{args.tablets} tablets, {args.seconds:.0f} s, a full draft every "
              f"{args.save_every:g} s; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
              flush=True)
        try:
            for n, label in enumerate(rows):
                run_folder = folder / f"run-{n}-{label}"
                run_folder.mkdir()
                if label.startswith("sqlite"):
                    db_path = run_folder / "scoring.sqlite"
                    with closing(sqlite3.connect(sqlite_template / "scoring.sqlite")) as src, \
                            closing(sqlite3.connect(db_path)) as dst:
                        src.backup(dst)
                    url, servers, proxy, template = f"sqlite:///{db_path}", 1, False, \
                        sqlite_template
                else:
                    postgres.sql(f"CREATE DATABASE run{n} TEMPLATE demo")
                    url, servers, proxy, template = postgres.url(f"run{n}"), 2, True, \
                        folder / "demo-pg"
                facts = demo_facts(url, panels)
                cluster = start_cluster(url, run_folder, servers=servers, proxy=proxy,
                                        signing=template / "signing", boot_timeout=300,
                                        gunicorn_args=args.gunicorn.split() if args.gunicorn
                                        else None,
                                        config="EXPORT_LEASE_SECONDS = 15\n"
                                               "EXPORT_MAX_ATTEMPTS = 5\n" + (
                                                   "" if args.render_nice is None else
                                                   f"RENDER_NICE = {args.render_nice!r}\n"))
                try:
                    row = run_row(label, cluster, facts, args, postgres
                                  if label.startswith("postgresql") else None, url)
                finally:
                    cluster.stop()
                results.append(row)
                print(f"  {label}: {row.requests} requests, {row.status5xx} 5xx, "
                      f"{row.failed} failed, lost {row.lost}, altered {row.altered}, "
                      f"export {row.export}; {'; '.join(row.notes[:8])}", flush=True)
        finally:
            if postgres is not None:
                postgres.stop()
    print()
    print("| setup | requests | 5xx | failed | draft save p50/p95/p99 ms | submit p50/p95/p99 ms "
          "| board p50/p95/p99 ms | draft save p95 during the export | acknowledged sheets "
          "| lost | altered | export at end |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in results:
        cells = ["/".join(percentile(row.times.get(name, []), q) for q in (50, 95, 99))
                 for name in ("draft save", "submit", "board")]
        print(f"| {row.label} | {row.requests} | {row.status5xx} | {row.failed} | "
              f"{' | '.join(cells)} | {percentile(row.during_export, 95)} | "
              f"{row.acked} ({row.submitted} submitted) | {row.lost} | "
              f"{row.altered} | {row.export} |")


if __name__ == "__main__":
    main()
