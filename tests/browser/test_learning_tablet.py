"""Issue 15 on a tablet: calibration practice to a pass and onto a panel; a shadow's comparison.

Debian's Chromium, driven by Playwright, against a real gunicorn process (Galaxy Tab S4
profile). Screenshots of the practice feedback, the set's result, the shadow's comparison,
an examiner record and the briefing PDF (rendered with pdftoppm) go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from doc_helpers import levels_for, need, prepare_signing
from factories import PASSWORD, make_world
from live_server import ARTIFACTS, live_server
from sqlalchemy import select
from test_calibration import SET_YAML

from scoring.calibration.transfer import read_set_file
from scoring.extensions import db
from scoring.models import CalibrationAttempt, Panel, ShadowSheet, User
from scoring.workflow import (
    CLI,
    WorkflowError,
    close_candidate,
    create_user,
    declare_conflict,
    open_discussion,
    submit_sheet,
    update_panel,
)
from scoring.workflow import calibration as calibration_verbs
from scoring.workflow import shadow as shadow_verbs

pytestmark = pytest.mark.browser

PLAIN_SET = SET_YAML.replace("    media: b.mp3\n", "")


def _tablet(p, browser, device="Galaxy Tab S4"):
    profile = dict(p.devices[device])
    profile.pop("default_browser_type", None)
    context = browser.new_context(**profile, locale="id-ID", timezone_id="Asia/Jakarta")
    context.set_default_timeout(20000)
    return context


def _login(page, base, username, password=PASSWORD):
    page.goto(base + "/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(base + "/")


def _tap_level(page, code, level):
    page.locator(f'#crit-{code} input[value="{level}"]').locator("xpath=..").tap()


def _sign_and_submit(page):
    page.locator("#review").tap()
    page.locator("#confirm").wait_for(state="visible")
    page.fill("#sig-typed", "Penguji")
    page.locator("#sig-type").tap()
    page.locator("#submit").tap()


def _outbox_entries(page) -> list[str]:
    """The real outbox's sheet entries on this tablet (offline.js: scoring:v2:<user>:<id>)."""
    keys = page.evaluate("Object.keys(localStorage)")
    return [k for k in keys if re.fullmatch(r"scoring:v2:\d+:\d+", k)]


def _direct_copies(page) -> list[str]:
    return [k for k in page.evaluate("Object.keys(localStorage)")
            if k.startswith("scoring:direct:")]


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _add_newbie(app):
    with app.app_context():
        panel = db.session.scalar(select(Panel).where(Panel.name == "Panel 1"))
        newbie = db.session.scalar(select(User).where(User.username == "newbie"))
        update_panel(panel, name=panel.name, members=[m.user for m in panel.members] + [newbie],
                     chair=panel.chair)
        db.session.commit()


def test_practice_to_a_pass_then_assignable_and_a_shadows_comparison(
        playwright_chromium, app, tmp_path):
    p, chromium = playwright_chromium
    (tmp_path / "set.yaml").write_text(PLAIN_SET, encoding="utf-8")
    with app.app_context():
        world = make_world(candidates_per_panel=2)
        cal = calibration_verbs.import_set(read_set_file(tmp_path / "set.yaml"), tmp_path,
                                           info=CLI)
        calibration_verbs.set_requirement(world.session, cal, valid_days=30, info=CLI)
        create_user("newbie", "Examiner Baru", "examiner", PASSWORD)
        trainee = create_user("trainee", "Penguji Magang", "examiner", PASSWORD)
        shadow_verbs.attach_shadow(world.panels[0], trainee, actor=world.admin)
        db.session.commit()
        target = world.assignments[0][0]
        target_id, target_number = target.id, target.candidate.participant_number
    with pytest.raises(WorkflowError):  # the gate: not yet certified
        _add_newbie(app)

    with live_server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as base:
        context = _tablet(p, chromium)
        page = context.new_page()
        _login(page, base, "newbie")
        page.goto(base + "/calibration/")
        page.locator("form button[type=submit].button--large").first.tap()
        page.wait_for_url("**/calibration/attempts/*/1")
        assert "LATIHAN" in page.locator(".practice-banner").first.inner_text().upper()
        # Case 1: one level off on TEAM (3 vs reference 3 -> 4), the rest as the reference.
        for code, level in {"SERVICE": 4, "TEAM": 4, "COMMUNICATION": 2}.items():
            _tap_level(page, code, level)
        # The practice saves to its own endpoints (data-mode="direct"), never the outbox.
        assert page.locator("#sheet").get_attribute("data-mode") == "direct"
        # A selector, not wait_for_function: the page's CSP forbids evaluating strings.
        page.wait_for_selector("#sync-status[data-state='saved']", state="attached")
        assert _direct_copies(page) and not _outbox_entries(page)
        _shot(page, "calibration-case-tablet.png")
        _sign_and_submit(page)
        page.wait_for_selector("div.feedback")
        assert not _direct_copies(page) and not _outbox_entries(page)
        feedback = page.locator("div.feedback").inner_text()
        assert "1 lebih tinggi" in feedback and "Helped without being asked." in feedback
        _shot(page, "calibration-feedback-tablet.png")
        page.get_by_role("link", name="Kasus berikutnya").tap()
        page.wait_for_url("**/calibration/attempts/*/2")
        for code, level in {"SERVICE": 2, "TEAM": 2, "COMMUNICATION": 3}.items():
            _tap_level(page, code, level)
        _sign_and_submit(page)
        page.wait_for_selector("div.feedback")
        page.get_by_role("link", name="Lihat hasil Anda untuk set ini").tap()
        page.wait_for_selector(".result-verdict")
        assert "Lulus" in page.locator(".result-verdict").inner_text()
        assert page.locator("#fig-exact").inner_text() == "83,3%"
        _shot(page, "calibration-result-tablet.png")
        context.close()

        _add_newbie(app)  # the same gate now lets them on the panel

        # The shadow scores the first candidate on their tablet.
        context = _tablet(p, chromium)
        page = context.new_page()
        _login(page, base, "trainee")
        page.goto(base + "/shadow/")
        page.get_by_role("link", name=target_number).tap()
        page.wait_for_url(f"{base}/shadow/{target_id}/declare")
        page.locator('input[value="none"]').tap()
        page.locator("form.form button[type=submit]").tap()
        page.wait_for_url(f"{base}/shadow/{target_id}")
        assert "PENDAMPING" in page.locator(".practice-banner").first.inner_text().upper()
        for code, level in {"SERVICE": 4, "TEAM": 2, "COMMUNICATION": 3}.items():
            _tap_level(page, code, level)
        _sign_and_submit(page)
        page.wait_for_selector("#shadow-waiting")
        assert not _outbox_entries(page)  # the real candidate's sheet is not touched

        with app.app_context():  # the panel scores and the chair closes the candidate
            world_panel = db.session.scalar(select(Panel).where(Panel.name == "Panel 1"))
            assignment = next(a for a in world_panel.assignments if a.id == target_id)
            members = [m.user for m in world_panel.members if m.user.username != "newbie"]
            newbie = db.session.scalar(select(User).where(User.username == "newbie"))
            for i, user in enumerate([*members, newbie]):
                declare_conflict(assignment, user, "none")
                submit_sheet(assignment, user, client_id=f"b{i}", seq=1,
                             scores=levels_for(world.rubric, 2 + i % 2))
            open_discussion(assignment, world_panel.chair)
            close_candidate(assignment, world_panel.chair)
            db.session.commit()
        page.reload()
        page.wait_for_selector("table.comparison")
        assert "Hasil diskusi" in page.content()
        _shot(page, "shadow-comparison-tablet.png")
        context.close()

    with app.app_context():
        attempt = db.session.scalar(select(CalibrationAttempt))
        assert attempt.passed and attempt.exact == pytest.approx(5 / 6)
        assert db.session.scalar(select(ShadowSheet)).status == "submitted"


def test_record_and_briefing_screenshots(playwright_chromium, app, tmp_path):
    """penguji2's record on a laptop and a tablet; the briefing PDF's page as PNG."""
    from scoring.examiners.demo import load_demo_history
    from scoring.ops.demo import load_demo

    p, chromium = playwright_chromium
    prepare_signing(app)
    with app.app_context():
        load_demo(dt.date(2025, 11, 28))
        load_demo_history()
        db.session.commit()
    with live_server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as base:
        context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
        page = context.new_page()
        _login(page, base, "ketua1", "ketua1-demo")
        page.goto(base + "/examiners/?sort=mean_deviation&desc=1")
        _shot(page, "examiners-table-laptop.png")
        page.get_by_role("link", name="penguji2").click()
        page.wait_for_selector(".record-chart svg")
        assert page.locator("[data-flag=lenient]").count() == 3
        _shot(page, "examiner-record-laptop.png")
        pdf = page.request.get(page.url + "/briefing.pdf")
        assert pdf.ok
        (ARTIFACTS / "briefing-penguji2.pdf").write_bytes(pdf.body())
        context.close()
        context = _tablet(p, chromium)
        page = context.new_page()
        _login(page, base, "penguji4", "penguji4-demo")
        page.goto(base + "/")
        page.get_by_role("link", name="Rekam jejak Anda").tap()
        page.wait_for_selector(".record-chart svg")
        _shot(page, "examiner-record-tablet.png")
        context.close()
    subprocess.run([need("pdftoppm"), "-r", "70", "-png", "-f", "1", "-l", "1",
                    str(ARTIFACTS / "briefing-penguji2.pdf"), str(ARTIFACTS / "briefing-page")],
                   check=True)
    pages = sorted(ARTIFACTS.glob("briefing-page*.png"))
    assert pages
