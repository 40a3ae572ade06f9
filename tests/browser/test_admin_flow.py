"""An administrator sets up a selection entirely in the browser, from an empty database.

Debian's Chromium, driven by Playwright, against a real gunicorn process: log in, import
examiners (a bad file first: every bad row shown, nothing written), create a chair, create a
session with a shipped rubric, create a panel, import candidates onto it, add one by list,
reorder, open the session. Screenshots go to test-artifacts/ for people to look at.
"""

from __future__ import annotations

import pytest
from live_server import ARTIFACTS, live_server
from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import Assignment, AuditEvent, Candidate, InterviewSession, Panel, User
from scoring.workflow import create_user

pytestmark = pytest.mark.browser


EXAMINERS = ("username,nama,peran,nip\n"
             "penguji1,Penguji Satu,penguji,198001012005011001\n"
             "penguji2,Penguji Dua,penguji,\n"
             "penguji3,Penguji Tiga,examiner,\n")
EXAMINERS_BAD = ("username,nama,peran,nip\n"
                 "penguji1,Penguji Satu,penguji,1980\n"      # row 2: NIP
                 "p,Penguji Dua,dosen,\n")                    # row 3: username, role
CANDIDATES = ("nomor_peserta;nama;jabatan;nik;panel;urutan\n"
              "PRM-001;Siti Rahma;Guru Ahli Pertama;1377010101010001;Panel 1;1\n"
              "PRM-002;Andi Koto;Perawat Terampil;1377010101010002;Panel 1;2\n"
              "PRM-003;Nurul Tanjung;Pranata Komputer;;Panel 1;3\n")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def test_admin_sets_up_a_session_in_the_browser(app, database_url, tmp_path, browser):
    with app.app_context():
        create_user("admin", "Admin BKPSDM", "admin", "admin-password-1")
        db.session.commit()
    files = tmp_path / "files"
    files.mkdir()
    (files / "penguji-salah.csv").write_text(EXAMINERS_BAD)
    (files / "penguji.csv").write_text(EXAMINERS)
    (files / "peserta.csv").write_text(CANDIDATES)

    with live_server(database_url, tmp_path, workers=1) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      locale="id-ID", timezone_id="Asia/Jakarta")
        context.set_default_timeout(15000)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        page.goto(base + "/manage/")
        page.fill("#username", "admin")
        page.fill("#password", "admin-password-1")
        page.click("button[type=submit].button--wide")
        page.wait_for_url(base + "/manage/")
        assert page.locator("html").get_attribute("lang") == "id"

        # examiners: a bad file first, then the good one
        page.click("text=Penguji dan staf")
        page.click("text=Impor penguji")
        page.set_input_files("#file", str(files / "penguji-salah.csv"))
        page.click("text=Periksa berkas")
        page.wait_for_selector(".problems-table")
        rows = page.locator(".problems-table tbody tr")
        assert rows.count() == 3
        _shot(page, "import-problems")
        page.click("text=Unggah berkas yang sudah diperbaiki")
        page.set_input_files("#file", str(files / "penguji.csv"))
        page.click("text=Periksa berkas")
        page.click("text=Impor sekarang")
        page.wait_for_url("**/manage/users")

        # a chair, created by hand with a password
        page.click("text=Akun baru")
        page.fill("#username", "ketua1")
        page.fill("#full_name", "Ketua Panel Satu")
        page.select_option("#role", "chair")
        page.fill("#password", "ketua1-password")
        page.click("text=Buat akun")
        page.wait_for_selector("text=Akun ketua1 dibuat.")

        # a session with a shipped rubric
        page.click("nav.manage-nav >> text=Sesi")
        page.click("text=Sesi baru")
        page.fill("#code", "CPNS-PRM-2025")
        page.fill("#name", "Wawancara CPNS Kota Pariaman 2025")
        page.fill("#held_on", "2025-11-28")
        page.fill("#place", "Aula Balai Kota Pariaman")
        page.select_option("#rubric_file", "wawancara-kompetensi-asn.yaml")
        _shot(page, "session-new")
        page.click("text=Buat sesi")
        page.wait_for_selector("h1 >> text=Wawancara CPNS Kota Pariaman 2025")

        # a panel: three examiners and the chair
        page.click("text=Panel baru")
        page.fill("#name", "Panel 1")
        page.fill("#room", "Ruang 1")
        for name in ("ketua1", "penguji1", "penguji2", "penguji3"):
            page.fill("#members-search", name)
            page.locator(".chooser__matches .chooser__button").first.click()
        page.select_option("#chair", label="Ketua Panel Satu (ketua1)")
        page.fill("#quorum", "3")
        page.click("text=Buat panel")
        page.wait_for_selector("text=Panel Panel 1 dibuat.")

        # candidates onto the panel by upload, one more by list
        page.click("text=Impor peserta")
        page.set_input_files("#file", str(files / "peserta.csv"))
        page.select_option("#session", label="CPNS-PRM-2025 · Wawancara CPNS Kota Pariaman 2025")
        page.click("text=Periksa berkas")
        page.wait_for_selector("text=Semua baris valid.")
        page.click("text=Impor sekarang")
        page.click("nav.manage-nav >> text=Peserta")
        page.click("text=Peserta baru")
        page.fill("#participant_number", "PRM-004")
        page.fill("#name", "Fajar Piliang")
        page.click("text=Tambah peserta")
        page.click("nav.manage-nav >> text=Sesi")
        page.click("text=Wawancara CPNS Kota Pariaman 2025")
        page.click("h3 >> text=Panel 1")
        page.fill("#numbers", "PRM-004")
        page.click("text=Tambahkan ke panel")
        page.wait_for_selector("text=PRM-004")

        # reorder: the new candidate first
        inputs = page.locator("input.order-input")
        assert inputs.count() == 4
        inputs.nth(3).fill("0.5")
        page.click("text=Simpan urutan")
        page.wait_for_selector("text=Urutan disimpan.")
        _shot(page, "panel")

        # open the session
        page.click(".crumbs >> text=CPNS-PRM-2025")
        page.get_by_role("button", name="Buka sesi").click()
        page.wait_for_selector(".badge--open")
        _shot(page, "session")
        assert errors == []
        context.close()

    with app.app_context():
        session = db.session.scalar(select(InterviewSession))
        assert (session.code, session.status) == ("CPNS-PRM-2025", "open")
        panel = db.session.scalar(select(Panel))
        assert panel.chair.username == "ketua1" and panel.quorum == 3
        assert {m.user.username for m in panel.members} == {"ketua1", "penguji1", "penguji2",
                                                            "penguji3"}
        order = db.session.scalars(select(Candidate.participant_number).join(
            Assignment, Assignment.candidate_id == Candidate.id).order_by(Assignment.position))
        assert list(order) == ["PRM-004", "PRM-001", "PRM-002", "PRM-003"]
        assert db.session.scalar(select(func.count()).select_from(User)) == 5
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        login = next(i for i, e in enumerate(events) if e.action == "auth.login")
        assert {e.actor for e in events[login:]} == {"admin"}  # every action is audited
        assert {"session.create", "panel.create", "panel.reorder", "session.status",
                "assignment.create", "user.create"} <= {e.action for e in events[login:]}
