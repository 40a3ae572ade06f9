"""The public pages on a phone (360 px wide), in Indonesian, with the demo data.

Debian's Chromium, driven by Playwright, against a real gunicorn process. Every public page
must fit the width without sideways scrolling, load no external resource, and show no NIK.
Screenshots go to test-artifacts/ for people to look at.
"""

from __future__ import annotations

import re
import time

import pytest
from factories import publish_session
from live_server import ARTIFACTS, live_server
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Candidate, InterviewSession
from scoring.ops.demo import DEMO_CODE, load_demo

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


def test_public_pages_on_a_phone(app, database_url, tmp_path, browser):
    with app.app_context():
        load_demo()
        session = db.session.scalar(select(InterviewSession).where(
            InterviewSession.code == DEMO_CODE))
        publish_session(session)
        db.session.commit()
        niks = set(db.session.scalars(select(Candidate.nik)))

    with live_server(database_url, tmp_path, workers=1) as base:
        context = browser.new_context(**PHONE, locale="id-ID", timezone_id="Asia/Jakarta")
        context.set_default_timeout(15000)
        requests: list[str] = []
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        ARTIFACTS.mkdir(exist_ok=True)
        for name, path in (("index", "/public/"), ("criteria", f"/public/{DEMO_CODE}/"),
                           ("results", f"/public/{DEMO_CODE}/results")):
            started = time.monotonic()
            page.goto(base + path)
            elapsed = time.monotonic() - started
            assert elapsed < 3, f"{path} took {elapsed:.1f} s"
            assert page.locator("html").get_attribute("lang") == "id"
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{path} is {width} px wide on a 360 px phone"
            text = page.inner_text("body")
            assert not set(re.findall(r"\d{16}", text)) & niks
            page.screenshot(path=str(ARTIFACTS / f"public-phone-{name}.png"), full_page=True)
        assert "Cara wawancara dinilai" in page.goto(base + f"/public/{DEMO_CODE}/").text()
        font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert font >= 16  # readable without zooming
        pdf = page.request.get(base + f"/public/{DEMO_CODE}/criteria.pdf")
        assert pdf.ok and pdf.body().startswith(b"%PDF")
        assert all(u.startswith(base) for u in requests)
        context.close()
