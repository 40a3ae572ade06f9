"""A real server (gunicorn): rendering signed PDFs does not block examiners' draft saves.

Before, every request opened ``BEGIN IMMEDIATE`` and a PDF download held SQLite's write lock
while it rendered and sealed, so saves queued behind renders and failed with "database is
locked" once they waited longer than the busy timeout (5 s). Here each seal takes 6 s more
(``slow_seal_app``): saves sent while four PDFs are being made must all answer 200, quickly.
Exact status counts, as in test_concurrency_server.py.
"""

from __future__ import annotations

import threading
import time

from doc_helpers import submit_panel
from factories import full_state, make_world
from live_server import live_server
from test_concurrency_server import Browser, _fire

from scoring.extensions import db
from scoring.models import Assignment
from scoring.ops.keys import ensure_signing_key
from scoring.workflow import declare_conflict

SLOW_SEAL_SECONDS = 6  # longer than SQLite's busy timeout (5 s)


def test_pdf_renders_do_not_block_concurrent_draft_saves(app, tmp_path):
    with app.app_context():
        world = make_world(candidates_per_panel=4)
        sheets = submit_panel(world, 0)  # panel 1: 4 candidates x 3 members submitted
        sheet_ids = [s.id for s in sheets][:4]
        pairs = []
        for assignment in world.assignments[1]:  # panel 2 is still scoring
            for member in world.examiners[1]:
                declare_conflict(db.session.get(Assignment, assignment.id), member, "none")
                pairs.append((member.username, assignment.id))
        db.session.commit()
        rubric = world.rubric
    instance = tmp_path / "live-instance"
    instance.mkdir()
    ensure_signing_key(instance / "signing")
    with live_server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                     app="slow_seal_app:create_app()", threads=8,
                     env={"SLOW_SEAL_SECONDS": str(SLOW_SEAL_SECONDS)}) as base:
        chair = Browser(base, "chair1")
        examiners = {name: Browser(base, name) for name in {u for u, _ in pairs}}

        def download(sheet_id):
            with chair.opener.open(f"{base}/documents/sheet/{sheet_id}.pdf",
                                   timeout=120) as response:
                body = response.read()
                return response.status, body[:5]

        def save(username, aid, seq):
            return examiners[username].post(f"/api/examine/{aid}/draft", {
                "client_id": f"{username}-{aid}", "seq": seq,
                "scores": full_state(rubric, 1 + seq % 4)})

        downloads: list = []
        renders = threading.Thread(target=lambda: downloads.extend(
            _fire([lambda s=s: download(s) for s in sheet_ids])))
        renders.start()
        time.sleep(1.5)  # the four renders are under way (each seal waits 6 s)
        started = time.monotonic()
        saves = _fire([lambda u=u, a=a, n=n: save(u, a, n)
                       for n in range(1, 3) for u, a in pairs[:6]])
        saves_took = time.monotonic() - started
        renders.join()
    assert [r for r in downloads if r != (200, b"%PDF-")] == []
    assert [s for s, _ in saves] == [200] * 12, [r for r in saves if r[0] != 200]
    assert saves_took < SLOW_SEAL_SECONDS  # the saves did not wait for a seal
