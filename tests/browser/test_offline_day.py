"""A whole morning on a flapping Wi-Fi: an examiner declares, scores, signs and submits three
candidates from the queue while the network drops every two seconds, reloads a page offline,
and the database afterwards holds every acknowledged sheet exactly as the tablet showed it.

Debian's Chromium, driven by Playwright, against a real gunicorn process, on a 800 x 1280
tablet. Screenshots of the queue with items waiting and after the sync go to test-artifacts/.
"""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import pytest
from factories import PASSWORD, make_world
from live_server import ARTIFACTS, jakarta_today, live_server
from sqlalchemy import func, select
from test_examine_tablet import _sign_by_touch, _tap_level

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a test dependency
    PlaywrightError = Exception
    expect = None

from scoring.extensions import db
from scoring.models import Assignment, AuditEvent, ConflictDeclaration, Score, ScoreSheet
from scoring.workflow import sheet_state, verify_chain
from scoring.workflow.finality import mark_candidate

pytestmark = pytest.mark.browser

# What the examiner enters for each of the three candidates (a 5 or a 1 needs a note).
PLAN = [
    {"SERVICE": (5, "Rebuilt the counter queue; complaints halved."), "TEAM": (3, ""),
     "COMMUNICATION": (4, "")},
    {"SERVICE": (2, ""), "TEAM": (4, "Shared the roster fairly."),
     "COMMUNICATION": (1, "Could not explain the fee rule.")},
    {"SERVICE": (3, ""), "TEAM": (5, "Covered a colleague's shift unasked."),
     "COMMUNICATION": (3, "")},
]


STORED = "key => JSON.parse(localStorage.getItem(key))"


class Flapper:
    """Toggle the browser context's network every ``period`` seconds, checked between steps."""

    def __init__(self, context, period: float = 2.0):
        self.context, self.period = context, period
        self.offline, self.flips, self.since = False, 0, time.monotonic()

    def set(self, offline: bool) -> None:
        if offline != self.offline:
            self.context.set_offline(offline)
            self.offline, self.flips, self.since = offline, self.flips + 1, time.monotonic()

    def tick(self) -> None:
        time.sleep(0.5)  # an examiner's pace between taps: the network flaps under it
        if time.monotonic() - self.since >= self.period:
            self.set(not self.offline)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _open_queue(page, base: str) -> None:
    page.goto(base + "/examine/")
    expect(page.locator("#day-status")).to_be_visible()


def _shown(page) -> dict:
    """Return the sheet exactly as the page shows it: checked level and note per criterion."""
    return page.evaluate("""() => {
        const out = {};
        document.querySelectorAll('.criterion').forEach(s => {
            const code = s.dataset.code, checked = s.querySelector('.level__input:checked');
            out[code] = {level: checked ? Number(checked.value) : null,
                         note: document.getElementById('note-' + code).value};
        });
        return out;
    }""")


def _score(page, net: Flapper, plan: dict, reload_offline: bool) -> dict:
    for n, (code, (level, note)) in enumerate(plan.items()):
        _tap_level(page, code, level)
        net.tick()
        if note:
            page.locator(f"#note-{code}").fill(note)
            net.tick()
        if reload_offline and n == 1:
            # Offline, in the middle of the sheet: reload; the tablet's copy comes back.
            net.set(True)
            before = _shown(page)
            page.reload()
            expect(page.locator("#sheet-form")).to_be_visible()
            assert _shown(page) == before
            assert page.locator("#sync-status").get_attribute("data-state") == "offline"
    return _shown(page)


def _declare_and_score(page, context, net: Flapper, base: str, index: int, aid: int,
                       reload_offline: bool = False) -> dict:
    _open_queue(page, base)
    net.tick()
    page.locator(f'.queue__item[data-assignment="{aid}"] .queue__link').tap()
    # Online the server redirects to the declaration; offline the service worker answers
    # with the kept declaration page. Either way, the declaration comes first.
    page.locator('#declare-step input[value="none"]').tap()
    net.tick()
    page.locator("#declare-step form.form button[type=submit]").tap()
    expect(page.locator("#scoring-step")).to_be_visible()
    assert page.url == f"{base}/examine/{aid}"
    shown = _score(page, net, PLAN[index], reload_offline)
    net.tick()
    page.locator("#review").tap()
    page.locator("#confirm").wait_for(state="visible")
    _sign_by_touch(context, page)
    net.tick()
    page.locator("#submit").tap()
    page.wait_for_selector("#receipt:not([hidden]), #pending-submit:not([hidden])")
    return shown


def test_a_flapping_network_loses_nothing(playwright_chromium, app, tmp_path):
    p, chromium = playwright_chromium
    with app.app_context():
        world = make_world(candidates_per_panel=3)
        world.session.held_on = jakarta_today()
        db.session.commit()
        examiner = world.examiners[0][1]
        username, examiner_id = examiner.username, examiner.id
        ids = [a.id for a in world.assignments[0]]
    profile = dict(p.devices["Galaxy Tab S4"])
    profile.pop("default_browser_type", None)
    profile["viewport"] = {"width": 800, "height": 1280}
    profile["device_scale_factor"] = 1
    requests: list[str] = []
    with live_server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as base:
        context = chromium.new_context(**profile, locale="id-ID", timezone_id="Asia/Jakarta")
        context.on("request", lambda request: requests.append(request.url))
        context.set_default_timeout(20000)
        page = context.new_page()
        page.goto(base + "/auth/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.locator("form.form button[type=submit]").tap()
        page.wait_for_url(base + "/")

        # Opening the queue keeps the whole day on the tablet: queue, declarations, assets.
        _open_queue(page, base)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        deadline = time.monotonic() + 30  # wait_for_function evaluates strings: CSP forbids
        while not page.evaluate("navigator.serviceWorker.controller !== null"):
            assert time.monotonic() < deadline, "the service worker did not take the page"
            time.sleep(0.2)
            if time.monotonic() > deadline - 20:
                _open_queue(page, base)  # a page loaded after activation is controlled
        expect(page.locator("#day-kept")).to_contain_text("Siap luring")
        kept = page.evaluate(STORED, f"scoring:v2:{examiner_id}:day")
        assert kept["kept"] == len(kept["urls"])
        for aid in ids:
            assert f"/examine/{aid}/declare" in kept["urls"]

        # Offline means offline for the service worker too: a page never kept fails.
        context.set_offline(True)
        with pytest.raises(PlaywrightError):
            page.goto(base + "/examine/999999")
        context.set_offline(False)

        net = Flapper(context)
        shown = {}
        for index, aid in enumerate(ids):
            if index == 2:
                net.set(True)  # the last one entirely offline: signed, not yet received
                net.period = 3600
            shown[aid] = _declare_and_score(page, context, net, base, index, aid,
                                            reload_offline=index == 1)
        assert net.flips >= 4, net.flips
        expect(page.locator("#pending-submit")).to_be_visible()
        expect(page.locator("#receipt")).to_be_hidden()
        _shot(page, "offline-sheet-signed-waiting.png")

        # Still offline: the queue says plainly what waits, and shows no receipt for it.
        _open_queue(page, base)
        last = page.locator(f'.queue__item[data-assignment="{ids[2]}"]')
        expect(last.locator(".queue__pending--submit")).to_have_text(
            "Ditandatangani di tablet, belum diterima server")
        expect(last).not_to_contain_text("Diterima server")
        expect(page.locator("#day-sync")).to_contain_text("Menunggu dikirim")
        _shot(page, "offline-queue-waiting.png")

        # The network returns: everything is sent by itself, receipts appear.
        net.set(False)
        expect(page.locator("#day-sync")).to_have_attribute("data-state", "done",
                                                            timeout=45000)
        expect(page.locator("#day-sync")).to_contain_text("sudah diterima server")
        expect(last.locator(".queue__pending")).to_have_count(0)
        expect(last.locator(".queue__receipt")).to_contain_text("Diterima server pukul")
        _shot(page, "offline-queue-synced.png")
        receipts = {aid: page.locator(f'.queue__item[data-assignment="{aid}"] .queue__receipt')
                    .inner_text() for aid in ids}
        local = {aid: page.evaluate(STORED, f"scoring:v2:{examiner_id}:{aid}") for aid in ids}
        context.close()

    jakarta = ZoneInfo("Asia/Jakarta")
    with app.app_context():
        for aid in ids:
            sheets = db.session.scalars(select(ScoreSheet).where(
                ScoreSheet.assignment_id == aid, ScoreSheet.examiner_id == examiner_id)).all()
            assert len(sheets) == 1
            sheet = sheets[0]
            assert sheet.status == "submitted" and sheet.signature_png.startswith(b"\x89PNG")
            # Stored exactly as the tablet last showed it.
            assert sheet_state(sheet) == shown[aid], aid
            assert local[aid]["receipt"]["content_hash"] == sheet.content_hash
            assert receipts[aid].endswith(sheet.submitted_at.astimezone(jakarta)
                                          .strftime("%H:%M"))
            assert db.session.scalar(select(func.count()).select_from(Score).where(
                Score.sheet_id == sheet.id)) == 3
            assert db.session.scalar(select(func.count()).select_from(ConflictDeclaration)
                                     .where(ConflictDeclaration.assignment_id == aid,
                                            ConflictDeclaration.examiner_id == examiner_id)) == 1
        for action in ("sheet.submit", "sheet.declare_no_conflict"):
            assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == action)) == 3, action
        assert verify_chain().ok
    foreign = [url for url in requests if not url.startswith(base + "/")]
    assert foreign == [], foreign


def test_a_candidate_closed_while_offline_refuses_the_sheet_on_the_tablet(
        playwright_chromium, app, tmp_path):
    p, chromium = playwright_chromium
    with app.app_context():
        world = make_world(candidates_per_panel=1)
        world.session.held_on = jakarta_today()
        db.session.commit()
        username, aid = world.examiners[0][1].username, world.assignments[0][0].id
        examiner_id = world.examiners[0][1].id
    profile = dict(p.devices["Galaxy Tab S4"])
    profile.pop("default_browser_type", None)
    with live_server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as base:
        context = chromium.new_context(**profile, locale="id-ID", timezone_id="Asia/Jakarta")
        context.set_default_timeout(20000)
        page = context.new_page()
        page.goto(base + "/auth/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.locator("form.form button[type=submit]").tap()
        page.wait_for_url(base + "/")
        _open_queue(page, base)
        expect(page.locator("#day-kept")).to_contain_text("Siap luring")
        page.locator(".queue__link").first.tap()
        page.locator('#declare-step input[value="none"]').tap()
        page.locator("#declare-step form.form button[type=submit]").tap()
        expect(page.locator("#sync-status")).to_have_attribute("data-state", "saved")

        context.set_offline(True)
        for code, (level, note) in PLAN[0].items():
            _tap_level(page, code, level)
            if note:
                page.locator(f"#note-{code}").fill(note)
        page.locator("#review").tap()
        _sign_by_touch(context, page)
        page.locator("#submit").tap()
        expect(page.locator("#pending-submit")).to_be_visible()

        # Meanwhile the chair marks the candidate absent: the result is closed.
        with app.app_context():
            assignment = db.session.get(Assignment, aid)
            mark_candidate(assignment, assignment.panel.chair, "absent", "Did not come.")
            db.session.commit()

        context.set_offline(False)
        expect(page.locator("#refused")).to_have_text("Hasil peserta ini sudah ditutup.",
                                                      timeout=30000)
        expect(page.locator("#pending-submit")).to_be_hidden()
        expect(page.locator("#receipt")).to_be_hidden()
        _open_queue(page, base)
        row = page.locator(f'.queue__item[data-assignment="{aid}"]')
        expect(row.locator(".queue__pending--refused")).to_have_text(
            "Ditolak server: Hasil peserta ini sudah ditutup.")
        expect(row).not_to_contain_text("Diterima server")
        expect(row.locator(".queue__pending--draft")).to_have_count(0)
        expect(page.locator("#day-sync")).to_have_attribute("data-state", "error")
        expect(page.locator("#day-sync")).to_contain_text("Server menolak kiriman tablet ini")
        _shot(page, "offline-queue-refused.png")
        context.close()
    with app.app_context():
        sheet = db.session.scalar(select(ScoreSheet).where(
            ScoreSheet.assignment_id == aid, ScoreSheet.examiner_id == examiner_id))
        assert sheet.status == "draft" and sheet.submitted_at is None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "sheet.submit")) == 0
