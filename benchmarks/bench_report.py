"""Benchmark the chair's agreement report pages and PDF on synthetic sessions; prints one table.

Run:  .venv/bin/python benchmarks/bench_report.py [--repeats 5]

Data are written straight into a fresh SQLite database in a temporary instance (bulk inserts,
not the workflow verbs: we time the report, not the set-up): one panel of 200 candidates x 5
examiners x 9 criteria, and one session of 50 panels x 100 candidates x 5 examiners. Pages are
fetched through Flask's test client as the panel's chair / an administrator, so the timings
include the queries, scoring.stats, the SVG charts and the template; medians over repeats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {"panel page": 1.0, "session page": 3.0, "panel PDF": 3.0}


def _bulk(session_code: str, panels: int, candidates: int, examiners: int, seed: int) -> None:
    """Insert a session with ``panels`` panels of ``candidates`` scored candidates."""
    from sqlalchemy import insert

    from scoring.extensions import db
    from scoring.models import (
        Assignment,
        Candidate,
        Panel,
        PanelMember,
        Score,
        ScoreSheet,
        User,
        utcnow,
    )
    from scoring.paths import data_dir
    from scoring.rubrics import load_rubric
    from scoring.workflow import create_session

    rng = np.random.default_rng(seed)
    rubric = load_rubric(data_dir("rubrics") / "wawancara-kompetensi-asn.yaml")
    session = create_session(session_code, f"Bench {session_code}", dt.date(2025, 11, 28), rubric)
    session.status = "open"
    db.session.flush()
    now = utcnow()
    codes = rubric.codes
    for p in range(panels):
        chair = User(username=f"{session_code}-c{p}", full_name=f"Chair {p}", role="chair")
        members = [User(username=f"{session_code}-e{p}-{e}", full_name=f"Examiner {p}.{e}",
                        role="examiner") for e in range(examiners)]
        db.session.add_all([chair, *members])
        db.session.flush()
        panel = Panel(session_id=session.id, name=f"Panel {p + 1:03d}", chair_id=chair.id)
        db.session.add(panel)
        db.session.flush()
        db.session.add_all(PanelMember(panel_id=panel.id, user_id=u.id, position=i)
                           for i, u in enumerate(members))
        cands = [{"participant_number": f"{session_code}-{p:03d}-{c:04d}", "name": f"C {c}"}
                 for c in range(candidates)]
        db.session.execute(insert(Candidate), cands)
        cand_ids = [c.id for c in db.session.query(Candidate.id).filter(
            Candidate.participant_number.like(f"{session_code}-{p:03d}-%")).order_by(Candidate.id)]
        db.session.execute(insert(Assignment), [
            {"session_id": session.id, "panel_id": panel.id, "candidate_id": cid,
             "position": i + 1, "status": "pending"} for i, cid in enumerate(cand_ids)])
        a_ids = [a.id for a in db.session.query(Assignment.id).filter(
            Assignment.panel_id == panel.id).order_by(Assignment.position)]
        db.session.execute(insert(ScoreSheet), [
            {"session_id": session.id, "assignment_id": aid, "examiner_id": u.id,
             "status": "submitted", "rubric_hash": rubric.content_hash, "client_seq": 1,
             "created_at": now, "updated_at": now, "submitted_at": now}
            for aid in a_ids for u in members])
        sheets = db.session.query(ScoreSheet.id, ScoreSheet.assignment_id,
                                  ScoreSheet.examiner_id).filter(
            ScoreSheet.assignment_id.in_(a_ids)).all()
        ability = {aid: rng.normal(2.6, 0.55) for aid in a_ids}
        lenient = members[1].id
        rows = []
        for sid, aid, uid in sheets:
            levels = ability[aid] + rng.normal(0, 0.5, len(codes)) + (0.8 if uid == lenient else 0)
            for code, lv in zip(codes, np.clip(np.rint(levels), 1, 4).astype(int), strict=True):
                rows.append({"sheet_id": sid, "session_id": session.id, "criterion_code": code,
                             "level": int(lv), "note": "", "phase": "pre", "reason": "",
                             "updated_at": now})
        db.session.execute(insert(Score), rows)
    db.session.commit()


def _median(fn, repeats: int) -> float:
    fn()  # warm-up: imports, caches, the first WeasyPrint render
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def render_pdf(app, panel_id: int):
    """Return a call rendering the panel's report PDF as `scoring worker` does for a job."""
    def run():
        from scoring.documents.agreement_pdf import render_agreement_pdf
        from scoring.extensions import db
        from scoring.models import Panel

        with app.app_context():
            panel = db.session.get(Panel, panel_id)
            pdf = render_agreement_pdf("panel_report", panel.session, panel, panel.chair, 0.8,
                                       "id")
            assert pdf.startswith(b"%PDF")
            db.session.remove()
    return run


def main() -> None:
    """Build the data, time the pages and the PDF, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="bench-report-"))
    os.environ["SCORING_INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from scoring import create_app
    from scoring.extensions import db
    from scoring.models import InterviewSession, Panel
    from scoring.workflow import create_user

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/bench.sqlite",
                      "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    start = time.perf_counter()
    with app.app_context():
        upgrade(directory=str(ROOT / "scoring" / "migrations"))
        create_user("benchadmin", "Admin", "admin", "bench-password")
        db.session.commit()
        _bulk("BIG", 1, 200, 5, 1)
        _bulk("WIDE", 50, 100, 5, 2)
        big = db.session.query(Panel).join(InterviewSession).filter(
            InterviewSession.code == "BIG").one()
        wide = db.session.query(InterviewSession).filter_by(code="WIDE").one()
        big_id, wide_id, chair = big.id, wide.id, big.chair.username
        big.chair.set_password("bench-password")
        db.session.commit()
    setup = time.perf_counter() - start
    chair_client, admin_client = app.test_client(), app.test_client()
    chair_client.post("/auth/login", data={"username": chair, "password": "bench-password"})
    admin_client.post("/auth/login", data={"username": "benchadmin", "password": "bench-password"})

    def get(client, url, kind):
        def run():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            assert response.mimetype == kind
        return run

    cases = [
        ("panel page", "1 panel: 200 candidates x 5 examiners x 9 criteria",
         get(chair_client, f"/chair/panels/{big_id}/report", "text/html")),
        ("session page", "50 panels x 100 candidates x 5 examiners x 9 criteria",
         get(admin_client, f"/chair/sessions/{wide_id}/report", "text/html")),
        ("panel PDF", "1 panel: 200 candidates x 5 examiners x 9 criteria (worker)",
         render_pdf(app, big_id)),
        ("panel board JSON", "1 panel: 200 candidates (polled every 5 s)",
         get(chair_client, f"/chair/panels/{big_id}/state", "application/json")),
    ]
    print(f"bench_report.py: Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, SQLite; set-up {setup:.1f} s; median of {args.repeats}")
    print(f"| {'what':<17} | {'data':<55} | {'median':>8} | {'target':>6} | ok  |")
    print(f"|{'-' * 19}|{'-' * 57}|{'-' * 10}|{'-' * 8}|-----|")
    for name, data, fn in cases:
        seconds = _median(fn, args.repeats)
        target = TARGETS.get(name)
        ok = "yes" if target is None or seconds < target else "NO"
        target_s = f"{target:.1f} s" if target else "-"
        print(f"| {name:<17} | {data:<55} | {seconds:6.3f} s | {target_s:>6} | {ok:<3} |")


if __name__ == "__main__":
    main()
