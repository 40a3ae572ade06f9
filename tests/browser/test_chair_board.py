"""The chair's live board on a tablet and a 1366 x 768 laptop, the report page and its PDF.

Debian's Chromium, driven by Playwright, against a real gunicorn process on the demo data.
The board must update itself (no reload) when a sheet comes in; screenshots and the PDF's
pages (pdftoppm) are saved to test-artifacts/ for people to look at.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from live_server import ARTIFACTS, live_server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a test dependency
    expect = None

from scoring.extensions import db
from scoring.models import Assignment, Candidate, InterviewSession, User
from scoring.ops.demo import DEMO_CODE, load_demo
from scoring.workflow import submit_sheet

pytestmark = pytest.mark.browser



@pytest.fixture
def demo(app):
    """Load the demo; return the id of Panel 1."""
    with app.app_context():
        load_demo(dt.date(2025, 11, 28))
        db.session.commit()
        session = db.session.query(InterviewSession).filter_by(code=DEMO_CODE).one()
        panel_id = session.panels[0].id
        db.session.remove()
    return panel_id


def _submit_draft(app) -> None:
    """Penguji 2 submits the draft of candidate 13 (as on the tablet, through the verb)."""
    with app.app_context():
        a = db.session.query(Assignment).join(Candidate).filter(
            Candidate.participant_number == "PRM25-0013").one()
        user = db.session.query(User).filter_by(username="penguji2").one()
        from scoring.workflow import session_rubric

        rubric = session_rubric(a.panel.session)
        state = {c: {"level": 3, "note": ""} for c in rubric.codes}
        submit_sheet(a, user, client_id="browser-test", seq=5, scores=state)
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("kind", ["tablet", "laptop"])
def test_board_refreshes_itself(app, demo, database_url, tmp_path, new_context, login, kind):
    ARTIFACTS.mkdir(exist_ok=True)
    requests: list[str] = []
    errors: list[str] = []
    with live_server(database_url, tmp_path) as base:
        context = new_context(kind, requests=requests)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, base, "ketua1", "ketua1-demo", landing="/")
        page.goto(f"{base}/")
        page.get_by_role("link", name="Panel 1").first.click()
        page.wait_for_url(f"{base}/chair/panels/{demo}")
        rows = page.locator("#board tbody tr")
        assert rows.count() == 20
        row13 = page.locator("#board tbody tr").nth(12)
        assert "sheet--draft" in row13.locator("td[data-col='2']").get_attribute("class")
        assert "setelah semua lembar" in row13.locator("[data-field='discrepancies']").inner_text()
        page.screenshot(path=str(ARTIFACTS / f"chair-board-{kind}.png"), full_page=True)
        page.evaluate("window.__sameDocument = true")
        _submit_draft(app)
        expect(row13.locator("td[data-col='2']")).to_have_class(
            re.compile("sheet--submitted"), timeout=20000)
        assert page.evaluate("window.__sameDocument === true")  # updated in place, no reload
        disc = row13.locator("[data-field='discrepancies']").inner_text()
        assert "setelah semua lembar" not in disc  # all sheets in: flags (or "tidak ada") shown
        assert page.locator("#feedback li").count() == 4
        assert "Penguji 2" in page.locator(".feedback__item--attention").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"chair-board-{kind}-updated.png"), full_page=True)
        # the candidate page: scores are now visible to the chair, with the discussion button
        row13.locator("a").first.click()
        page.wait_for_url(f"{base}/chair/candidates/*")
        page.screenshot(path=str(ARTIFACTS / f"chair-candidate-{kind}.png"), full_page=True)
        context.close()
    assert not errors, errors
    assert all(u.startswith(base) for u in requests), "a request left the server"


def test_report_page_and_pdf(app, demo, database_url, tmp_path, new_context, login):
    ARTIFACTS.mkdir(exist_ok=True)
    requests: list[str] = []
    errors: list[str] = []
    with live_server(database_url, tmp_path, worker=True) as base:
        context = new_context("laptop", requests=requests)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        login(page, base, "ketua1", "ketua1-demo", landing="/")
        page.goto(f"{base}/chair/panels/{demo}/report")
        assert page.locator("svg.chart").count() == 5  # with the Wright map
        assert page.locator("tr[data-examiner='penguji2'] [data-stat='flags']").inner_text() \
            .strip().endswith("Lunak")
        page.screenshot(path=str(ARTIFACTS / "chair-report-laptop.png"), full_page=True)
        # The PDF is a background job: the button answers at once with its progress page,
        # which shows the download when `scoring worker` has rendered it (a reload finds it).
        page.get_by_role("button", name="PDF").click()
        page.wait_for_url(f"{base}/documents/exports/*")
        page.reload()
        download = page.locator("#export-download a")
        expect(download).to_be_visible(timeout=120000)
        page.screenshot(path=str(ARTIFACTS / "chair-report-pdf-job.png"))
        response = page.request.get(base + download.get_attribute("href"))
        assert response.ok and response.headers["content-type"] == "application/pdf"
        pdf = ARTIFACTS / "chair-report.pdf"
        pdf.write_bytes(response.body())
        context.close()
    assert not errors, errors
    if shutil.which("pdftoppm"):
        for old in ARTIFACTS.glob("chair-report-page-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf),
                        str(ARTIFACTS / "chair-report-page")], check=True)
        assert len(list(ARTIFACTS.glob("chair-report-page-*.png"))) >= 2
