"""An examiner scores a candidate on an emulated tablet, through a network drop and a reload.

Debian's Chromium, driven by Playwright, against a real gunicorn process. Screenshots of the
scoring page in portrait and landscape are saved to test-artifacts/ for people to look at.
"""

from __future__ import annotations

import json
import time

import pytest
from factories import PASSWORD, make_world
from live_server import ARTIFACTS, jakarta_today, live_server
from sqlalchemy import select

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a test dependency
    expect = None

from scoring.extensions import db
from scoring.models import AuditEvent, Score, ScoreSheet
from scoring.workflow import verify_chain

pytestmark = pytest.mark.browser

DEVICES = ["Galaxy Tab S4", "iPad (gen 7)"]


def _tablet(p, browser, device: str, requests: list[str]):
    profile = dict(p.devices[device])
    profile.pop("default_browser_type", None)
    context = browser.new_context(**profile, locale="id-ID", timezone_id="Asia/Jakarta")
    context.on("request", lambda request: requests.append(request.url))
    context.set_default_timeout(15000)
    return context


def _sign_by_touch(context, page) -> None:
    """Draw a stroke with real touch events (CDP); lift only after stationary moves."""
    box = page.locator("#signature").bounding_box()
    cdp = context.new_cdp_session(page)
    x0, y0 = box["x"] + 30, box["y"] + box["height"] / 2

    def touch(kind, x=None, y=None):
        points = [] if x is None else [{"x": x, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x0, y0)
    for i in range(1, 16):
        touch("touchMove", x0 + i * 14, y0 + (18 if i % 2 else -18))
    for _ in range(3):
        time.sleep(0.05)
        touch("touchMove", x0 + 15 * 14, y0 + 18)
    touch("touchEnd")


def _tap_level(page, code: str, level: int) -> None:
    page.locator(f'#crit-{code} input[value="{level}"]').locator("xpath=..").tap()


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.scrollingElement.scrollWidth <= window.innerWidth")


def _shot(page, name: str) -> None:
    """Save the whole page and, as the examiner sees it, the first screen."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.screenshot(path=str(ARTIFACTS / name.replace(".png", "-screen.png")))


@pytest.mark.parametrize("device", DEVICES)
def test_score_offline_reload_sign_submit(playwright_chromium, app, tmp_path, device):
    p, chromium = playwright_chromium
    with app.app_context():
        world = make_world(candidates_per_panel=2)
        world.session.held_on = jakarta_today()
        db.session.commit()
        examiner = world.examiners[0][1]
        assignment = world.assignments[0][0]
        examiner_id, assignment_id = examiner.id, assignment.id
        rubric = world.rubric
    slug = device.split(" (")[0].replace(" ", "-").lower()
    requests: list[str] = []
    with live_server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as base:
        context = _tablet(p, chromium, device, requests)
        page = context.new_page()
        page.goto(base + "/auth/login")
        page.fill("#username", examiner.username)
        page.fill("#password", PASSWORD)
        page.locator("form.form button[type=submit]").tap()
        page.wait_for_url(base + "/")

        # The queue: today's candidates in interview order, with their state.
        page.goto(base + "/examine/")
        assert page.locator(".queue__item").count() == 2
        assert "Belum dimulai" in page.locator(".queue__item").first.inner_text()
        page.locator(".queue__link").first.tap()

        # Conflict of interest first.
        page.wait_for_url(f"{base}/examine/{assignment_id}/declare")
        page.locator('input[value="none"]').tap()
        page.locator("form.form button[type=submit]").tap()
        page.wait_for_url(f"{base}/examine/{assignment_id}")

        # Score every criterion by tapping; a top score needs its evidence note.
        first = {"SERVICE": 5, "TEAM": 3, "COMMUNICATION": 4}
        for code, level in first.items():
            _tap_level(page, code, level)
        page.locator("#note-SERVICE").fill("Redesigned the queue ticket form; complaints fell.")
        expect(page.locator("#sync-status")).to_have_attribute("data-state", "saved")
        assert page.locator("#progress-text").inner_text().startswith("3 dari 3")
        assert "Tersimpan di server" in page.locator("#sync-status").inner_text()

        # Every level is a large touch target; nothing scrolls sideways.
        heights = page.eval_on_selector_all(
            ".level__body", "els => els.map(e => e.getBoundingClientRect().height)")
        assert min(heights) >= 48
        assert _no_horizontal_scroll(page)
        _shot(page, f"scoring-{slug}-portrait.png")
        width, height = page.viewport_size["width"], page.viewport_size["height"]
        page.set_viewport_size({"width": height, "height": width})
        assert _no_horizontal_scroll(page)
        _shot(page, f"scoring-{slug}-landscape.png")
        page.set_viewport_size({"width": width, "height": height})

        # The page is kept for offline use before the network drops.
        page.evaluate("navigator.serviceWorker.ready")
        deadline = time.monotonic() + 10
        while not page.evaluate("caches.match(location.pathname).then(r => !!r)"):
            assert time.monotonic() < deadline, "the page was not cached for offline use"
            time.sleep(0.1)

        context.set_offline(True)
        _tap_level(page, "TEAM", 2)
        _tap_level(page, "COMMUNICATION", 1)
        page.locator("#note-COMMUNICATION").fill("Could not explain the rule to a visitor.")
        expect(page.locator("#sync-status")).to_have_attribute("data-state", "offline")
        assert "Luring — tersimpan di tablet ini" in page.locator("#sync-status").inner_text()

        page.reload()
        assert page.locator('#crit-TEAM input[value="2"]').is_checked()
        assert page.locator('#crit-COMMUNICATION input[value="1"]').is_checked()
        assert "Luring" in page.locator("#sync-status").inner_text()

        context.set_offline(False)
        expect(page.locator("#sync-status")).to_have_attribute("data-state", "saved")

        page.locator("#review").tap()
        page.locator("#confirm").wait_for(state="visible")
        _sign_by_touch(context, page)
        _shot(page, f"confirm-{slug}-portrait.png")
        page.locator("#submit").tap()
        page.locator("#receipt").wait_for(state="visible")
        receipt = page.locator("#receipt-text").inner_text()
        assert receipt.startswith("Diterima server pukul")
        _shot(page, f"receipt-{slug}-portrait.png")
        context.close()

    final = {"SERVICE": 5, "TEAM": 2, "COMMUNICATION": 1}
    with app.app_context():
        sheets = db.session.scalars(select(ScoreSheet).where(
            ScoreSheet.assignment_id == assignment_id)).all()
        assert len(sheets) == 1
        sheet = sheets[0]
        assert sheet.examiner_id == examiner_id and sheet.status == "submitted"
        assert len(sheet.content_hash) == 64 and sheet.submitted_at is not None
        assert sheet.signature_png.startswith(b"\x89PNG")
        scores = db.session.scalars(select(Score).where(Score.sheet_id == sheet.id)).all()
        assert {s.criterion_code: s.level for s in scores} == final
        assert len(scores) == len(rubric.codes)
        assert all(s.phase == "pre" for s in scores)
        submits = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "sheet.submit")).all()
        assert len(submits) == 1
        assert json.loads(submits[0].data)["content_hash"] == sheet.content_hash
        assert receipt.endswith(sheet.submitted_at.astimezone(
            __import__("zoneinfo").ZoneInfo("Asia/Jakarta")).strftime("%H:%M"))
        assert verify_chain().ok
    foreign = [url for url in requests if not url.startswith(base + "/")]
    assert foreign == [], foreign
