"""The officer's whole day, from an empty database, in Indonesian (issue 13's acceptance).

A laptop profile for the administrator, a tablet profile for the examiners and the chair,
Debian's Chromium driven by Playwright against a real gunicorn process: create a session,
upload a rubric with one mistake and then the fixed one, import people (a bad file first) and
candidates, create two panels by choosing members, change one user's role, print reset codes,
score with three examiners (one recusal), discuss, close, read the report, export the signed
sheets, publish, check the public page by position and download the results by position.
No step needs a workaround. Screenshots of every step, on both sizes where both are used, go
to test-artifacts/day-*.png; the report's lead and the public page are also shot at 800 x 1280
and 1366 x 768 (day-*-tablet800.png, day-*-laptop.png).
"""

from __future__ import annotations

import re
import subprocess

import pytest
from live_server import ARTIFACTS, jakarta_today, live_server
from sqlalchemy import func, select

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a test dependency
    expect = None

from scoring.extensions import db
from scoring.models import Assignment, AuditEvent, InterviewSession, Panel, ScoreSheet, User
from scoring.ops.keys import ensure_signing_key
from scoring.paths import data_dir
from scoring.workflow import create_user

pytestmark = pytest.mark.browser

CODE = re.compile(r"\b[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}\b")
EXAMINERS_BAD = ("username;nama;peran\n"
                 "penguji1;Penguji Satu;penguji\n"
                 "p;Penguji Dua;dosen\n")                       # row 3: username and role
EXAMINERS = ("username;nama;peran;nip\n"
             "ketua1;Drs. Yusrizal, M.Si.;ketua;\n"
             "penguji1;Penguji Satu;penguji;198001012005011001\n"
             "penguji2;Penguji Dua;penguji;\n"
             "penguji3;Penguji Tiga;penguji;\n"
             "penguji4;Penguji Empat;penguji;\n"
             "penguji5;Penguji Lima;penguji;\n")
CANDIDATES = ("nomor_peserta;nama;formasi;panel;urutan\n"
              "PRM-001;Siti Rahma;Guru Ahli Pertama;Panel 1;1\n"
              "PRM-002;Andi Koto;Perawat Terampil;Panel 1;2\n"
              "PRM-003;Nurul Tanjung;Guru Ahli Pertama;Panel 2;1\n")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"day-{name}.png"), full_page=True)


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def _choose(page, *names: str) -> None:
    """Choose panel members with the search box, as an officer would with 50 people."""
    for name in names:
        page.fill("#members-search", name)
        matches = page.locator(".chooser__matches .chooser__button")
        expect(matches).to_have_count(1)
        matches.first.click()
    page.fill("#members-search", "")


def _redeem(page, base: str, code: str, password: str) -> None:
    page.goto(f"{base}/auth/reset/{code}")
    page.fill("#password", password)
    page.fill("#confirm", password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(base + "/auth/login**")


def _score(page, base: str, participant: str, levels: dict[str, int], *, recuse=False,
           name: str = "") -> None:
    """Open a candidate from the queue, declare, score by tapping, sign and submit."""
    page.goto(base + "/examine/")
    page.locator(".queue__item", has_text=participant).locator(".queue__link").tap()
    page.wait_for_url(re.compile(r".*/examine/\d+/declare$"))
    if recuse:
        page.locator('input[value="family"]').tap()
        page.locator("#confirm_recusal").check()  # a recusal cannot be undone: confirm it
        page.locator("form.form button[type=submit]").tap()
        page.wait_for_url(re.compile(r".*/examine/\d+$"))
        # The recusal goes to the server through the tablet's outbox: wait for its receipt
        # before the tablet is put away (closing the browser would drop the outbox).
        status = page.locator("#recused-local-status")
        expect(status).to_have_text(re.compile(r"\S"))
        expect(status).not_to_contain_text("menunggu dikirim")
        return
    page.locator('input[value="none"]').tap()
    page.locator("form.form button[type=submit]").tap()
    page.wait_for_url(re.compile(r".*/examine/\d+$"))
    for code, level in levels.items():
        page.locator(f'#crit-{code} input[value="{level}"]').locator("xpath=..").tap()
        if level in (1, 4):
            page.fill(f"#note-{code}", "Memberi contoh nyata dari pekerjaannya.")
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "saved")
    page.locator("#review").tap()
    page.locator("#confirm").wait_for(state="visible")
    page.fill("#sig-typed", name)
    page.locator("#sig-type").tap()
    page.locator("#submit").tap()
    page.locator("#receipt").wait_for(state="visible")


def _sizes(page, name: str) -> None:
    """Save what the reader sees first on a tablet (800 x 1280) and a laptop (1366 x 768)."""
    before = page.viewport_size
    for label, size in (("tablet800", {"width": 800, "height": 1280}),
                        ("laptop", {"width": 1366, "height": 768})):
        page.set_viewport_size(size)
        assert _no_sideways_scroll(page), (name, label)
        page.screenshot(path=str(ARTIFACTS / f"day-{name}-{label}.png"))
    page.set_viewport_size(before)


def _check_report_lead(chair, base: str) -> list[str]:
    """The report leads with three plain Indonesian sentences, each linked to its evidence;
    the PDF has the same sentences. Return the sentences."""
    items = chair.locator(".plain-lead .plain-lead__item")
    expect(items).to_have_count(3)
    keys = [items.nth(i).get_attribute("data-lead") for i in range(3)]
    assert keys == ["reliability", "examiners", "criteria"]
    texts = [items.nth(i).locator(".plain-lead__text").inner_text() for i in range(3)]
    for text in texts:
        assert text.endswith("Lihat buktinya"), text
        assert not re.search(r"\b(The|panel is|examiner)\b", text), text  # no English left
    assert texts[0].startswith("Panel ini")
    # each link leads to its evidence below the lead, and the tables stay after it
    lead_bottom = chair.locator(".plain-lead").bounding_box()["y"]
    for i, key in enumerate(keys):
        target = items.nth(i).locator(".plain-lead__evidence").get_attribute("href")
        section = chair.locator(target)
        expect(section).to_have_count(1)
        assert section.bounding_box()["y"] > lead_bottom, key
    items.nth(1).locator(".plain-lead__evidence").click()
    chair.wait_for_function("location.hash.startsWith('#examiners-')")
    expect(chair.locator(chair.evaluate("location.hash"))).to_be_in_viewport()
    chair.evaluate("window.scrollTo(0, 0)")
    # The PDF is a background job: the button answers with its progress page.
    report_url = chair.url
    chair.get_by_role("button", name="PDF", exact=True).click()
    chair.wait_for_url(f"{base}/documents/exports/*")
    download = chair.locator("#export-download a")
    expect(download).to_be_visible(timeout=120000)
    response = chair.request.get(base + download.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")
    chair.goto(report_url)
    pdf = ARTIFACTS / "day-15b-report.pdf"
    pdf.write_bytes(response.body())
    words = re.sub(r"\s+", " ", _pdf_text(pdf))
    for text in texts:
        sentence = text.removesuffix("Lihat buktinya").strip()
        assert re.sub(r"\s+", " ", sentence) in words, sentence
    assert words.index("Ringkasnya") < words.index("Kesepakatan per kriteria")
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(ARTIFACTS / "day-15b-report-pdf")], check=True)
    return texts


def _check_public_by_position(page) -> None:
    """The public ranking is read per position, each starting at rank 1."""
    headings = page.locator("tr.position-row th").all_inner_texts()
    assert headings == ["Formasi: Guru Ahli Pertama", "Formasi: Perawat Terampil"], headings
    first = page.locator('tr[data-position="Perawat Terampil"] td').first.inner_text()
    assert first.strip() == "1"


def _check_results_csv(path, today: str) -> None:
    """The results CSV: the session and date first, Indonesian names, ';', grouped by position."""
    import csv

    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    assert rows[0] == ["Sesi", "CPNS-PRM-2026", "Wawancara CPNS Kota Pariaman 2026", "Tanggal",
                       today], rows[0]
    header = rows[1]
    assert header[:4] == ["formasi", "peringkat_formasi", "nomor_peserta", "nama"], header
    body = [dict(zip(header, r, strict=True)) for r in rows[2:]]
    assert [(r["formasi"], r["nomor_peserta"]) for r in body] == [
        ("Guru Ahli Pertama", "PRM-001"), ("Guru Ahli Pertama", "PRM-003"),
        ("Perawat Terampil", "PRM-002")]
    assert body[0]["peringkat_formasi"] == "1" and body[2]["peringkat_formasi"] == "1"
    assert [r["status"] for r in body] == ["ditutup", "tidak hadir", "ditutup"]
    assert "," in body[0]["nilai_akhir"] and "." not in body[0]["nilai_akhir"]


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True, text=True).stdout


def test_the_officers_whole_day(app, database_url, tmp_path, new_context, login):
    with app.app_context():
        create_user("admin", "Admin BKPSDM", "admin", "admin-password-1")
        db.session.commit()
    files = tmp_path / "files"
    files.mkdir()
    template = (data_dir("rubrics") / "TEMPLATE.yaml").read_text(encoding="utf-8")
    good = template.replace("id: templat-rubrik", "id: wawancara-pariaman").replace(
        "quorum: 3 ", "quorum: 2 ")
    bad = good.replace("name: {id: Komunikasi, en: Communication}",
                       "name: {id: Komunikasi: lisan, en: Communication}")
    assert bad != good
    (files / "rubrik-salah.yaml").write_text(bad, encoding="utf-8")
    (files / "rubrik.yaml").write_text(good, encoding="utf-8")
    (files / "penguji-salah.csv").write_text(EXAMINERS_BAD)
    (files / "penguji.csv").write_text(EXAMINERS)
    (files / "peserta.csv").write_text(CANDIDATES)
    today = jakarta_today().isoformat()
    errors: list[str] = []
    # `scoring init` made the signing key on the officer's server (README, "Install").
    ensure_signing_key(tmp_path / "live-instance" / app.config["SIGNING_DIR"])

    with live_server(database_url, tmp_path, workers=1, worker=True) as base:
        laptop = new_context("laptop", errors=errors, timeout=30000, downloads=True)
        admin = laptop.new_page()
        login(admin, base, "admin", "admin-password-1")

        # 1. A session with the officer's own rubric: one mistake first, then the fix.
        admin.goto(base + "/manage/sessions/new")
        admin.fill("#code", "CPNS-PRM-2026")
        admin.fill("#name", "Wawancara CPNS Kota Pariaman 2026")
        admin.fill("#held_on", today)
        admin.fill("#place", "Aula Balai Kota Pariaman")
        admin.set_input_files("#rubric_upload", str(files / "rubrik-salah.yaml"))
        admin.click("text=Buat sesi")
        problems = admin.locator("#rubric_upload-error li")
        expect(problems).to_have_count(1)
        problem = problems.first.inner_text()
        assert "Kesalahan sintaks YAML" in problem and "titik dua" in problem, problem
        assert '{id: "Komunikasi: lisan", en: "Communication"}' in problem, problem
        _shot(admin, "01-rubric-mistake-laptop")
        # The guide opens beside the form (pages with personal data are never cached, so
        # Back to a refused POST would ask to resend it).
        guide = laptop.new_page()
        guide.goto(base + admin.get_attribute("text=Cara menulis berkas rubrik", "href"))
        expect(guide.locator("h1")).to_have_text("Menulis rubrik")
        _shot(guide, "02-rubric-guide-laptop")
        guide.close()
        admin.fill("#held_on", today)
        admin.set_input_files("#rubric_upload", str(files / "rubrik.yaml"))
        admin.click("text=Buat sesi")
        admin.wait_for_selector("h1 >> text=Wawancara CPNS Kota Pariaman 2026")
        session_url = admin.url

        # 2. People: a bad file first (every problem, nothing written), then the good one.
        admin.goto(base + "/manage/import/examiners")
        admin.set_input_files("#file", str(files / "penguji-salah.csv"))
        admin.click("text=Periksa berkas")
        expect(admin.locator(".problems-table tbody tr")).to_have_count(2)
        assert "peran" in admin.locator(".problems-table").inner_text()  # the file's own name
        _shot(admin, "03-import-problems-laptop")
        admin.click("text=Unggah berkas yang sudah diperbaiki")
        admin.set_input_files("#file", str(files / "penguji.csv"))
        admin.click("text=Periksa berkas")
        expect(admin.locator(".import-rows tbody tr")).to_have_count(6)
        headers = admin.locator(".import-rows thead th .code").all_inner_texts()
        assert headers == ["username", "nama", "peran", "nip"]
        _shot(admin, "04-import-preview-laptop")
        admin.click("text=Impor sekarang")
        admin.wait_for_url("**/manage/users")

        # 3. One person's role changes: Penguji Empat may also chair (same account).
        admin.click("a.code >> text=penguji4")
        admin.check("#may_chair")
        admin.click("text=Simpan peran")
        admin.wait_for_selector("text=Peran disimpan.")
        expect(admin.locator(".facts")).to_contain_text("boleh menjadi ketua")
        _shot(admin, "05-role-laptop")

        # 4. Two panels, members chosen with the search box; the chair among them.
        for name, members, chair, quorum in (
                ("Panel 1", ("Yusrizal", "Penguji Satu", "Penguji Dua"), "ketua1", "2"),
                ("Panel 2", ("Penguji Empat", "Penguji Tiga", "Penguji Lima"), "penguji4",
                 "")):
            admin.goto(session_url)
            admin.click("text=Panel baru")
            admin.fill("#name", name)
            _choose(admin, *members)
            chosen = admin.locator(".chooser__chosen .chooser__name").all_inner_texts()
            assert len(chosen) == 3
            options = [o for o in admin.locator("#chair option:not([disabled])")
                       .all_inner_texts()]
            assert len(options) == 2  # "no chair" and the one chosen member who may chair
            admin.select_option("#chair", label=next(o for o in options if chair in o))
            if quorum:
                admin.fill("#quorum", quorum)
            if name == "Panel 1":
                _shot(admin, "06-panel-chooser-laptop")
            admin.click("text=Buat panel")
            admin.wait_for_selector(f"text=Panel {name} dibuat.")
            if name == "Panel 1":
                panel_page = admin.locator("main").inner_text()
                assert "Drs. Yusrizal, M.Si." in panel_page and "M.Si.." not in panel_page
                _shot(admin, "06b-panel-laptop")

        # 5. Candidates onto the panels.
        admin.goto(session_url)
        admin.click("text=Impor peserta")
        admin.set_input_files("#file", str(files / "peserta.csv"))
        admin.click("text=Periksa berkas")
        admin.wait_for_selector("text=Semua baris valid.")
        admin.click("text=Impor sekarang")
        admin.wait_for_url(session_url)

        # 6. Reset codes for Panel 1 and Panel 2 at once, as printable slips.
        slips = {}
        for panel in ("Panel 1", "Panel 2"):
            admin.goto(base + "/manage/users")
            admin.click("text=Cetak kode reset kata sandi untuk satu panel atau peran sekaligus")
            admin.select_option("#who", label=f"Panel CPNS-PRM-2026 · {panel}")
            _shot(admin, "07-reset-codes-laptop")
            with admin.expect_download() as download:
                admin.click("text=Cetak kode reset (PDF)")
            pdf = tmp_path / f"slips-{panel[-1]}.pdf"
            download.value.save_as(pdf)
            # each slip names its owner, then shows the code
            text = _pdf_text(pdf)
            owners = re.findall(r"Nama pengguna: (\S+)", text)
            slips.update(zip(owners, CODE.findall(text), strict=True))
        assert set(slips) == {"ketua1", "penguji1", "penguji2", "penguji3", "penguji4",
                              "penguji5"}
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf),
                        str(ARTIFACTS / "day-08-reset-slips")], check=True)

        # 7. Open the session.
        admin.goto(session_url)
        admin.get_by_role("button", name="Buka sesi").click()
        admin.wait_for_selector(".badge--open")
        _shot(admin, "09-session-open-laptop")

        # 8. Examiners on tablets: a password from the slip, then score (one recusal).
        levels = {"ketua1": ({"INT": 3, "KOM": 1}, {"INT": 3, "KOM": 3}),
                  "penguji1": ({"INT": 3, "KOM": 3}, {"INT": 2, "KOM": 3}),
                  "penguji2": ({"INT": 2, "KOM": 3}, None)}
        for username, (first, second) in levels.items():
            # Each examiner has a tablet.
            own = new_context("tablet", errors=errors, timeout=30000, downloads=True)
            page = own.new_page()
            _redeem(page, base, slips[username], f"{username}-sandi-baru")
            login(page, base, username, f"{username}-sandi-baru")
            _score(page, base, "PRM-001", first, name=username)
            if username == "ketua1":
                _shot(page, "10-receipt-tablet")
            if second is None:
                page.goto(base + "/examine/")
                page.locator(".queue__item", has_text="PRM-002").locator(".queue__link").tap()
                page.wait_for_url(re.compile(r".*/declare$"))
                heights = page.eval_on_selector_all(
                    ".declare .choice", "els => els.map(e => e.getBoundingClientRect().height)")
                widths = page.eval_on_selector_all(
                    ".declare .choice label",
                    "els => els.map(e => e.getBoundingClientRect().width)")
                assert min(heights) >= 48 and min(widths) >= 400, (heights, widths)
                _shot(page, "11-declare-tablet")
                _score(page, base, "PRM-002", {}, recuse=True)
            else:
                _score(page, base, "PRM-002", second, name=username)
            own.close()

        # 9. The chair (same tablet size): discuss PRM-001, close both, read the report.
        tablet = new_context("tablet", errors=errors, timeout=30000, downloads=True)
        chair = tablet.new_page()
        login(chair, base, "ketua1", "ketua1-sandi-baru")
        home = chair.locator("main").inner_text()
        assert "Panel 1" in home
        chair.get_by_role("link", name="Panel 1").first.click()
        chair.wait_for_url(re.compile(r".*/chair/panels/\d+$"))
        assert _no_sideways_scroll(chair)
        _shot(chair, "12-board-tablet")
        chair.locator("#board tbody tr", has_text="PRM-001").locator("a").first.click()
        chair.get_by_role("button", name="Buka diskusi").click()
        expect(chair.get_by_role("button", name="Buka diskusi")).to_have_count(0)
        chair.goto(base + "/discussion/")
        chair.locator("a", has_text="PRM-001").first.click()
        chair.select_option("#criterion", "KOM")
        chair.check('input[name="level"][value="2"]')
        chair.fill("#reason", "Setelah pembahasan: contoh yang diberikan menunjukkan penjelasan "
                              "yang runtut kepada warga, tetapi belum memastikan pemahaman.")
        chair.click("text=Simpan nilai revisi")
        expect(chair.locator(".flashes .alert--success")).to_have_count(1)
        assert _no_sideways_scroll(chair)
        _shot(chair, "13-discussion-tablet")
        for number in ("PRM-001", "PRM-002"):
            chair.goto(base + "/")
            chair.get_by_role("link", name="Panel 1").first.click()
            chair.locator("#board tbody tr", has_text=number).locator("a").first.click()
            chair.locator("#close-confirm").check()  # closing is final: confirm it
            chair.get_by_role("button", name="Tutup dengan nilai rumus").click()
            # "Nilai akhir" also appears in the revision note above: wait for the result itself
            expect(chair.locator(".actions .facts dt").filter(
                has_text=re.compile(r"^Nilai akhir$"))).to_have_count(1)
        _shot(chair, "14-closed-tablet")
        chair.goto(base + "/")
        chair.get_by_role("link", name="Panel 1").first.click()
        chair.get_by_role("link", name="Laporan kesepakatan").first.click()
        chair.wait_for_selector("h1")
        _shot(chair, "15-report-tablet")
        _check_report_lead(chair, base)
        _sizes(chair, "15a-report-lead")
        chair.get_by_role("link", name="Seluruh sesi").click()  # every panel's lead at once
        panel1 = chair.locator("#leads .report-lead", has=chair.locator("h3", has_text="Panel 1"))
        expect(panel1.locator(".plain-lead__item")).to_have_count(3)
        _sizes(chair, "15c-session-report")


        # 10. The chair exports the panel's signed sheets.
        chair.goto(base + "/")
        chair.get_by_role("link", name="Panel 1").first.click()
        chair.get_by_role("link", name="Dokumen bertanda tangan").first.click()
        chair.click("text=Mulai ekspor")
        link = chair.get_by_role("link", name="Unduh berkas ZIP")
        expect(link).not_to_have_attribute("href", "#", timeout=120000)
        with chair.expect_download() as download:
            link.click()
        archive = tmp_path / "sheets.zip"
        download.value.save_as(archive)
        _shot(chair, "16-export-tablet")

        # 10b. PRM-003 did not come: Panel 2's chair marks the candidate absent, so the
        # session can be closed (it refuses while a candidate is neither closed nor marked).
        own = new_context("tablet", errors=errors, timeout=30000, downloads=True)
        chair2 = own.new_page()
        _redeem(chair2, base, slips["penguji4"], "penguji4-sandi-baru")
        login(chair2, base, "penguji4", "penguji4-sandi-baru")
        chair2.get_by_role("link", name="Panel 2").first.click()
        chair2.wait_for_url(re.compile(r".*/chair/panels/\d+$"))
        chair2.locator("#board tbody tr", has_text="PRM-003").locator("a").first.click()
        _shot(chair2, "16a-candidate-tablet")
        mark = chair2.locator("form[action$='/mark']")
        chair2.locator("details", has=mark).locator("summary").click()
        mark.locator("#mark-status").select_option("absent")
        mark.locator("#mark-reason").fill("Peserta tidak hadir pada jadwal wawancara.")
        mark.locator("#mark-confirm").check()
        mark.locator("button[type=submit]").click()
        expect(chair2.locator(".flashes .alert--success")).to_have_count(1)
        _shot(chair2, "16b-marked-absent-tablet")
        own.close()

        # 11. Publish, and the public page by position (on a laptop and a tablet).
        admin.goto(session_url)
        closing = admin.locator("form", has=admin.get_by_role(
            "button", name="Tutup sesi dan umumkan hasil"))
        closing.locator('input[name="confirm"]').check()  # publishing is final: confirm it
        admin.get_by_role("button", name="Tutup sesi dan umumkan hasil").click()
        admin.wait_for_selector(".badge--closed")
        public = laptop.new_page()
        public.goto(base + "/public/CPNS-PRM-2026/results")
        _shot(public, "17-public-laptop")
        public_tablet = tablet.new_page()
        public_tablet.goto(base + "/public/CPNS-PRM-2026/results")
        assert _no_sideways_scroll(public_tablet)
        _shot(public_tablet, "17-public-tablet")
        _sizes(public_tablet, "17a-public")
        text = public.locator("main").inner_text()
        assert "PRM-001" in text and "PRM-002" in text
        _check_public_by_position(public)

        # 12. The officer downloads the results: grouped by position, in Indonesian.
        admin.goto(session_url)
        admin.get_by_role("link", name="Hasil", exact=True).click()
        admin.wait_for_selector("text=Unduh CSV")
        assert admin.locator("tr.position-row th").all_inner_texts() == [
            "Formasi: Guru Ahli Pertama", "Formasi: Perawat Terampil"]
        _shot(admin, "18-results-laptop")
        with admin.expect_download() as download:
            admin.click("text=Unduh CSV")
        results_csv = tmp_path / "hasil.csv"
        download.value.save_as(results_csv)
        _check_results_csv(results_csv, today)
        laptop.close()
        tablet.close()

    assert errors == [], errors
    import zipfile

    with zipfile.ZipFile(archive) as z:
        assert sum(name.endswith(".pdf") for name in z.namelist()) >= 5
    with app.app_context():
        session = db.session.scalar(select(InterviewSession))
        assert session.status == "closed"
        panels = {p.name: p for p in db.session.scalars(select(Panel))}
        assert panels["Panel 2"].chair.username == "penguji4"
        assert db.session.scalar(select(User).where(User.username == "penguji4")).role == \
            "examiner"
        statuses = db.session.execute(select(ScoreSheet.status, func.count()).group_by(
            ScoreSheet.status)).all()
        assert dict(statuses) == {"submitted": 5, "recused": 1}
        closed = db.session.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.status == "closed"))
        assert closed == 2
        actions = {e.action for e in db.session.scalars(select(AuditEvent))}
        assert {"user.set_role", "user.reset_issued", "user.reset_redeemed", "panel.create",
                "sheet.submit", "session.status"} <= actions
