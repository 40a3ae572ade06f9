"""An idle login ends on the server; the tablet keeps the unsent scores and sends them later.

Issue 11, finding 1: after LOGIN_IDLE_MINUTES without activity the examiner's login ends
server-side. A score tapped afterwards is refused (401) but stays in the tablet's localStorage
outbox; after the examiner logs in again the sheet page sends it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import PASSWORD, make_world
from live_server import jakarta_today, live_server
from sqlalchemy import select, update

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a test dependency
    expect = None

from scoring.extensions import db
from scoring.models import LoginSession, Score, ScoreSheet, utcnow

pytestmark = pytest.mark.browser


def _log_in(page, base: str, username: str) -> None:
    page.goto(base + "/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(base + "/")


def _levels(app, assignment_id: int) -> dict[str, int]:
    with app.app_context():
        sheet = db.session.scalar(select(ScoreSheet).where(
            ScoreSheet.assignment_id == assignment_id))
        scores = db.session.scalars(select(Score).where(Score.sheet_id == sheet.id)).all()
        return {s.criterion_code: s.level for s in scores}


def test_idle_timeout_keeps_the_unsent_scores_on_the_tablet(browser, app, tmp_path):
    with app.app_context():
        world = make_world(candidates_per_panel=1)
        world.session.held_on = jakarta_today()
        db.session.commit()
        username, assignment_id = world.examiners[0][1].username, world.assignments[0][0].id
    with live_server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=1) as base:
        context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
        context.set_default_timeout(15000)
        page = context.new_page()
        _log_in(page, base, username)
        page.goto(f"{base}/examine/{assignment_id}/declare")
        page.locator('input[value="none"]').click()
        page.locator("form.form button[type=submit]").click()
        page.wait_for_url(f"{base}/examine/{assignment_id}")
        page.locator('#crit-TEAM input[value="3"]').locator("xpath=..").click()
        expect(page.locator("#sync-status")).to_have_attribute("data-state", "saved")
        assert _levels(app, assignment_id) == {"TEAM": 3}

        with app.app_context():  # 31 minutes pass without a request from this tablet
            db.session.execute(update(LoginSession).values(
                last_seen_at=utcnow() - timedelta(minutes=31)))
            db.session.commit()
        page.locator('#crit-COMMUNICATION input[value="4"]').locator("xpath=..").click()
        expect(page.locator("#sync-status")).to_have_attribute("data-state", "error")
        assert "keluar" in page.locator("#sync-status").inner_text()
        outbox = page.evaluate("JSON.stringify(localStorage)")
        assert "COMMUNICATION" in outbox
        assert _levels(app, assignment_id) == {"TEAM": 3}  # refused by the server
        with app.app_context():
            assert db.session.scalar(select(LoginSession.end_reason)) == "idle"

        login_page = page.goto(f"{base}/examine/{assignment_id}")  # the login page says why
        assert login_page.url.startswith(base + "/auth/login")
        assert "tanpa aktivitas" in page.content()
        _log_in(page, base, username)
        page.goto(f"{base}/examine/{assignment_id}")
        expect(page.locator("#sync-status")).to_have_attribute("data-state", "saved")
        assert _levels(app, assignment_id) == {"TEAM": 3, "COMMUNICATION": 4}
        context.close()
