"""Issue 16 on a 360 px phone: a candidate opens their result, downloads the signed PDF, files
an objection with an attachment, and later reads the response.

Debian's Chromium, driven by Playwright, against a real gunicorn process, in Indonesian.
Screenshots go to test-artifacts/ for people to look at.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from doc_helpers import TINY_PNG
from live_server import ARTIFACTS, live_server
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import InterviewSession, Objection, User, utcnow
from scoring.ops.keys import ensure_signing_key
from scoring.workflow.objections import answer_objection, assign_responder, set_policy

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


def _fits(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{where} is {width} px wide on a 360 px phone"


def test_candidate_result_pdf_objection_and_response_on_a_phone(app, database_url, tmp_path,
                                                                browser):
    from test_candidates import make_published

    app.config["SECRET_KEY"] = "live-server-secret"  # the live server's: codes are keyed on it
    pub = make_published(app)
    number = pub["numbers"][0]
    with app.app_context():
        session = db.session.get(InterviewSession, pub["session"])
        set_policy(session, opens_at=utcnow() - timedelta(hours=1),
                   closes_at=utcnow() + timedelta(days=3), share_notes=True)
        db.session.commit()
    ensure_signing_key(tmp_path / "live-instance" / app.config["SIGNING_DIR"])
    photo = tmp_path / "bukti.png"
    photo.write_bytes(TINY_PNG)
    ARTIFACTS.mkdir(exist_ok=True)

    with live_server(database_url, tmp_path, workers=1) as base:
        context = browser.new_context(**PHONE, locale="id-ID", timezone_id="Asia/Jakarta",
                                      accept_downloads=True)
        context.set_default_timeout(20000)
        requests: list[str] = []
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        # the slip's QR code opens the form with the participant number filled in
        page.goto(f"{base}/hasil?p={number}")
        assert page.input_value("#participant_number") == number
        _fits(page, "/hasil")
        page.screenshot(path=str(ARTIFACTS / "candidate-phone-login.png"), full_page=True)
        page.fill("#code", pub["codes"][number].lower())
        page.click("button[type=submit].button--primary")
        page.wait_for_url(f"{base}/hasil/saya")
        assert page.locator("#final-score").inner_text().strip()
        assert "Cara nilai akhir dihitung" in page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "candidate-phone-result.png"), full_page=True)
        _fits(page, "/hasil/saya")

        with page.expect_download() as info:
            page.click("#download-pdf")
        saved = tmp_path / "hasil.pdf"
        info.value.save_as(saved)
        info.value.save_as(ARTIFACTS / "candidate-phone-result.pdf")
        assert saved.read_bytes().startswith(b"%PDF") and info.value.suggested_filename \
            .startswith(f"hasil-{number}")

        page.click("text=Ajukan sanggahan")
        page.wait_for_url(f"{base}/hasil/sanggah")
        _fits(page, "/hasil/sanggah")
        page.check("input[name=category][value=calculation]")
        page.fill("#text", "Nilai kriteria pertama saya tampak terlalu rendah.")
        page.set_input_files("#attachment", str(photo))
        page.screenshot(path=str(ARTIFACTS / "candidate-phone-objection-form.png"),
                        full_page=True)
        page.click("button[type=submit].button--primary")
        page.wait_for_selector("#receipt")
        assert page.inner_text("#receipt-number").strip() == "S1-S0001"
        assert len(page.inner_text("#receipt-hash").strip()) == 64
        _fits(page, "receipt")
        page.screenshot(path=str(ARTIFACTS / "candidate-phone-receipt.png"), full_page=True)

        with app.app_context():  # later: the administrator assigns, the responder answers
            objection = db.session.scalar(select(Objection))
            assert objection.attachment_name == "bukti.png"
            users = {u.username: u for u in db.session.scalars(select(User))}
            assign_responder(objection, users["ex21"], actor=users["admin"])
            answer_objection(objection, "rejected", "Nilai dihitung ulang dan sesuai rumus.",
                             actor=users["ex21"])
            db.session.commit()
        page.reload()
        assert "Nilai dihitung ulang dan sesuai rumus." in page.inner_text("#response")
        _fits(page, "response")
        page.screenshot(path=str(ARTIFACTS / "candidate-phone-response.png"), full_page=True)
        assert all(u.startswith(base) for u in requests)
        context.close()


def test_method_page_on_a_phone_and_the_objection_queue_on_a_laptop(app, database_url,
                                                                    tmp_path, browser):
    from test_candidates import make_published

    from scoring.workflow.candidates import live_code
    from scoring.workflow.objections import file_objection

    pub = make_published(app)
    with app.app_context():
        session = db.session.get(InterviewSession, pub["session"])
        set_policy(session, opens_at=utcnow() - timedelta(hours=1),
                   closes_at=utcnow() + timedelta(days=3), share_notes=False)
        file_objection(live_code(1), "procedure", "Wawancara dimulai terlambat.",
                       ("bukti.png", TINY_PNG))
        db.session.commit()
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(database_url, tmp_path, workers=1) as base:
        phone = browser.new_context(**PHONE, locale="id-ID", timezone_id="Asia/Jakarta")
        page = phone.new_page()
        page.goto(f"{base}/public/{pub['code']}/method")
        assert "Cara penilaian" in page.inner_text("h1")
        assert "tidak pernah mengubah nilai resmi" in page.inner_text("body")
        _fits(page, "method page")
        page.screenshot(path=str(ARTIFACTS / "candidate-phone-method.png"), full_page=True)
        page.goto(f"{base}/public/{pub['code']}/objections")
        _fits(page, "objection summary")
        page.screenshot(path=str(ARTIFACTS / "candidate-phone-summary.png"), full_page=True)
        phone.close()
        laptop = browser.new_context(viewport={"width": 1366, "height": 768},
                                     locale="id-ID", timezone_id="Asia/Jakarta")
        page = laptop.new_page()
        page.goto(f"{base}/auth/login")
        page.fill("#username", "admin")
        page.fill("#password", "admin-password")
        page.click("button[type=submit].button--primary")
        page.goto(f"{base}/manage/sessions/{pub['session']}")
        assert page.locator("text=Kode akses peserta (PDF)").count() == 1
        page.screenshot(path=str(ARTIFACTS / "candidate-laptop-session.png"))
        page.goto(f"{base}/manage/sessions/{pub['session']}/objections")
        assert "S1-S0001" in page.inner_text("#objection-queue")
        page.screenshot(path=str(ARTIFACTS / "candidate-laptop-queue.png"), full_page=True)
        page.click("text=S1-S0001")
        page.wait_for_url(f"{base}/manage/objections/*")
        page.screenshot(path=str(ARTIFACTS / "candidate-laptop-objection.png"), full_page=True)
        laptop.close()
