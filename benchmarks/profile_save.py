"""Profile the exam-day hot path: draft save, submit, declaration and board, per request.

    .venv/bin/python benchmarks/profile_save.py [--panels 50] [--requests 200] [--top 25]
        [--sort tottime|cumulative] [--only page,declare,state,save,resave,submit,board]
        [--database-url URL]

Builds a demo of ``--panels`` panels (``load_demo``: a chair and three examiners each, ten
candidates per panel, the last three not yet interviewed) in a temporary SQLite instance (or in
the empty database ``--database-url`` names, e.g. a new PostgreSQL database), and
sends the requests through the Flask test client with the app's real middleware: the login
cookie and its idle check, CSRF, security headers, the audit chain, visibility and rubric
loading. For each kind it prints the mean CPU time per request (no profiler; and the wall
time), then the profile's top entries in milliseconds per request. No network, no gunicorn:
this is the server's own CPU per request.

``save`` is a sheet's first save (every score inserted); ``resave`` saves the same sheet again
with one level changed, as a tablet does every few seconds on exam day (one score updated).
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KINDS = ("page", "declare", "state", "save", "resave", "submit", "board")


def build(folder: Path, panels: int, database_url: str | None = None):
    """Create the app and the demo in ``folder``; return the app and the open sheets."""
    from sqlalchemy import select

    from scoring.extensions import db
    from scoring.models import InterviewSession
    from scoring.ops.builders import unsubmitted
    from scoring.ops.demo_instance import demo_instance
    from scoring.workflow import session_rubric

    app, logins = demo_instance(folder, panels=panels, candidates_per_panel=10, secret="profile",
                                database_url=database_url)
    with app.app_context():
        session = db.session.scalar(select(InterviewSession).order_by(InterviewSession.id))
        passwords = {login.username: login.password for login in logins}
        # (username, assignment id) without a sheet: to declare, save, submit
        open_pairs = [(user.username, assignment.id)
                      for user, assignment, sheet in unsubmitted(session) if sheet is None]
        rubric = session_rubric(session)
        boards = [(p.chair.username, p.id) for p in session.panels]
        facts = {"passwords": passwords, "open": open_pairs, "boards": boards,
                 "codes": list(rubric.codes), "lo": rubric.scale.min, "hi": rubric.scale.max,
                 "evidence": {lv: rubric.requires_evidence(lv)
                              for lv in range(rubric.scale.min, rubric.scale.max + 1)}}
        db.session.remove()
    return app, facts


def login(app, username: str, password: str):
    """Return a test client logged in as ``username`` and its CSRF token."""
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"username": username, "password": password,
                                     "csrf_token": token})
    return client, token


def scores(facts: dict, n: int) -> dict:
    """Return a full sheet state (every criterion, notes where the level needs one)."""
    out = {}
    for i, code in enumerate(facts["codes"]):
        level = facts["lo"] + (n + i) % (facts["hi"] - facts["lo"] + 1)
        out[code] = {"level": level,
                     "note": "Contoh perilaku konkret." if facts["evidence"][level] else ""}
    return out


def one_changed(facts: dict, n: int) -> dict:
    """Return the state of :func:`scores` with the first criterion's level moved by one."""
    out = scores(facts, n)
    first = out[facts["codes"][0]]
    level = first["level"] + 1 if first["level"] < facts["hi"] else first["level"] - 1
    first.update(level=level, note="Contoh perilaku konkret." if facts["evidence"][level] else "")
    return out


def plan(app, facts: dict, count: int) -> dict[str, list]:
    """Log the users in and return, per kind, ``count`` ready-to-send requests."""
    from scoring.ops.demo import _signature

    clients: dict[str, tuple] = {}

    def client_of(username):
        if username not in clients:
            clients[username] = login(app, username, facts["passwords"][username])
        return clients[username]

    pairs = facts["open"][:count]
    signature = "data:image/png;base64," + base64.b64encode(_signature(7)).decode()
    json_headers = lambda token: {"X-CSRFToken": token, "Accept": "application/json"}  # noqa: E731
    requests: dict[str, list] = {k: [] for k in KINDS}
    for n, (username, aid) in enumerate(pairs):
        client, token = client_of(username)
        requests["page"].append(lambda c=client, a=aid: c.get(f"/examine/{a}/declare"))
        requests["state"].append(lambda c=client, a=aid: c.get(f"/api/examine/{a}/state"))
        requests["declare"].append(lambda c=client, t=token, a=aid: c.post(
            f"/examine/{a}/declare", data={"relationship": "none", "csrf_token": t}))
        requests["save"].append(lambda c=client, t=token, a=aid, n=n, u=username: c.post(
            f"/api/examine/{a}/draft", headers=json_headers(t),
            json={"client_id": f"p-{u}-{a}", "seq": 1, "scores": scores(facts, n)}))
        requests["resave"].append(lambda c=client, t=token, a=aid, n=n, u=username: c.post(
            f"/api/examine/{a}/draft", headers=json_headers(t),
            json={"client_id": f"p-{u}-{a}", "seq": 2, "scores": one_changed(facts, n)}))
        requests["submit"].append(lambda c=client, t=token, a=aid, n=n, u=username: c.post(
            f"/api/examine/{a}/submit", headers=json_headers(t),
            json={"client_id": f"p-{u}-{a}", "seq": 3, "scores": scores(facts, n + 1),
                  "signature": signature}))
    for chair, panel_id in (facts["boards"] * (count // len(facts["boards"]) + 1))[:count]:
        client, token = client_of(chair)
        requests["board"].append(lambda c=client, p=panel_id: c.get(
            f"/chair/panels/{p}/state", headers={"Accept": "application/json"}))
    return requests


def main() -> None:
    """Build, plan, then time and profile every kind of request in the day's order."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--panels", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--only", default=",".join(KINDS))
    parser.add_argument("--sql", action="store_true",
                        help="also print the SQL statements of one request of each kind")
    parser.add_argument("--database-url", help="an empty database to build the demo in "
                                               "(default: a new SQLite file)")
    args = parser.parse_args()
    only = args.only.split(",")
    with tempfile.TemporaryDirectory(prefix="profile-save-") as tmp:
        app, facts = build(Path(tmp), args.panels, args.database_url)
        count = min(args.requests, len(facts["open"]) // 2)
        # Half the open sheets are timed without the profiler, the other half profiled.
        timed = plan(app, {**facts, "open": facts["open"][:count]}, count)
        profiled = plan(app, {**facts, "open": facts["open"][count:2 * count]}, count)
        print(f"{args.panels} panels, {count} requests of each kind, {os.cpu_count()} CPUs")
        for kind in KINDS:
            if args.sql:
                print(f"--- SQL of one {kind} request ---")
                print_sql(app, timed[kind].pop())
            # CPU time of this (single-threaded) process: robust on a machine shared with
            # other work, where the wall time per request is mostly waiting for a core.
            started, wall = time.process_time(), time.perf_counter()
            statuses = [send().status_code for send in timed[kind]]
            ms = 1000 * (time.process_time() - started) / len(statuses)
            wall_ms = 1000 * (time.perf_counter() - wall) / len(statuses)
            bad = [s for s in statuses if s >= 400]
            profile = cProfile.Profile()
            profile.enable()
            for send in profiled[kind]:
                send()
            profile.disable()
            if kind not in only:
                print(f"{kind}: {ms:.2f} ms CPU/request, {wall_ms:.2f} ms wall "
                      f"(statuses >= 400: {len(bad)})")
                continue
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.sort_stats(args.sort).print_stats(args.top)
            print(f"\n=== {kind}: {ms:.2f} ms CPU/request ({wall_ms:.2f} ms wall) without the "
                  f"profiler (statuses >= 400: {len(bad)}); profile in ms per request ===")
            print(per_request(out.getvalue(), count))


def print_sql(app, send) -> None:
    """Send one request and print every SQL statement it ran, shortened."""
    from sqlalchemy import event

    from scoring.extensions import db

    with app.app_context():
        engine = db.engine
    statements = []

    def before(_conn, _cursor, statement, _params, _context, _many):
        statements.append(" ".join(statement.split())[:160])

    event.listen(engine, "before_cursor_execute", before)
    try:
        send()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    for n, statement in enumerate(statements, 1):
        print(f"{n:3} {statement}")


def per_request(text: str, count: int) -> str:
    """Rewrite pstats' seconds columns as milliseconds per request."""
    lines = []
    for line in text.splitlines():
        parts = line.split(None, 5)
        if len(parts) == 6 and re.fullmatch(r"[\d/]+", parts[0]):
            try:
                tot, cum = float(parts[1]), float(parts[3])
            except ValueError:
                lines.append(line)
                continue
            lines.append(f"{parts[0]:>10} {1000 * tot / count:8.3f} {1000 * cum / count:8.3f}  "
                         f"{parts[5]}")
        elif "ncalls" in line:
            lines.append(f"{'ncalls':>10} {'tot ms':>8} {'cum ms':>8}  function")
        elif line.strip() and not line.startswith(("   Ordered", "         ")):
            continue
    return "\n".join(lines)


if __name__ == "__main__":
    main()
