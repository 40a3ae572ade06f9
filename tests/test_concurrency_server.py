"""50 simultaneous draft saves and submissions against a real server process (gunicorn, 2
workers x 4 threads), plus the same submission sent twice at once: no error, no lost or
duplicated row. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

from factories import PASSWORD, full_state, make_world
from live_server import live_server
from sqlalchemy import func, select
from test_access_examine import PNG

from scoring.extensions import db
from scoring.models import AuditEvent, Score, ScoreSheet
from scoring.workflow import declare_conflict, verify_chain

SHEETS = 50


class Browser:
    """One logged-in user: a cookie jar and the CSRF token of their pages."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(base + "/auth/login").read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                       "csrf_token": token}).encode()
        self.opener.open(base + "/auth/login", form).read()
        queue = self.opener.open(base + "/examine/").read().decode()
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', queue).group(1)

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path, json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "X-CSRFToken": self.csrf})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")


def _fire(jobs) -> list:
    """Run every job in its own thread, all released at once; return their results."""
    results = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = (0, {"exception": repr(exc)})

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_fifty_saves_and_submissions_at_once(app, tmp_path):
    with app.app_context():
        world = make_world(candidates_per_panel=9)  # 2 panels x 9 candidates x 3 members
        pairs = []
        for panel, members in enumerate(world.examiners):
            for assignment in world.assignments[panel]:
                for member in members:
                    pairs.append((member.username, assignment.id))
        pairs, spare = pairs[:SHEETS], pairs[SHEETS]
        users = {u.username: u for members in world.examiners for u in members}
        from scoring.models import Assignment

        for username, aid in [*pairs, spare]:
            declare_conflict(db.session.get(Assignment, aid), users[username], "none")
        db.session.commit()
        rubric = world.rubric
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    draft = full_state(rubric, 3)
    final = full_state(rubric, 4)
    with live_server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as base:
        browsers = {name: Browser(base, name) for name in {u for u, _ in pairs}}
        saves = _fire([
            (lambda u=u, a=a: browsers[u].post(f"/api/examine/{a}/draft",
                                               {"client_id": f"d{a}{u}", "seq": 1,
                                                "scores": draft}))
            for u, a in pairs])
        assert [s for s, _ in saves] == [200] * SHEETS, saves
        submits = _fire([
            (lambda u=u, a=a: browsers[u].post(f"/api/examine/{a}/submit",
                                               {"client_id": f"s{a}{u}", "seq": 2,
                                                "scores": final, "signature": PNG}))
            for u, a in pairs])
        assert [s for s, _ in submits] == [200] * SHEETS, submits
        # The same submission (same client id), sent twice at once for a fresh sheet.
        body = {"client_id": "twice", "seq": 1, "scores": final, "signature": PNG}
        spare_user = Browser(base, spare[0])
        both = _fire([lambda: spare_user.post(f"/api/examine/{spare[1]}/submit", body)] * 2)
        assert [s for s, _ in both] == [200, 200], both
        assert both[0][1] == both[1][1]  # the same receipt
    with app.app_context():
        sheets = db.session.scalars(select(ScoreSheet)).all()
        assert len(sheets) == SHEETS + 1
        assert all(s.status == "submitted" for s in sheets)
        assert all(s.signature_png.startswith(b"\x89PNG") for s in sheets)
        rows = db.session.scalars(select(Score)).all()
        assert len(rows) == (SHEETS + 1) * len(rubric.codes)
        assert {r.level for r in rows} == {4}
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.id > events_before)).all()
        assert actions.count("sheet.submit") == SHEETS + 1
        assert actions.count("sheet.save_draft") == SHEETS
        check = verify_chain()
        assert check.ok, check.problem
