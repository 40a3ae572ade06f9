"""Signed documents: content, QR code, rendering, storage once, access, 9-criterion layout."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from doc_helpers import (
    BASE,
    ink_share,
    job_pdf,
    pdf_pages,
    pdf_text,
    prepare_signing,
    qr_payloads,
    signed_world,
    submit_panel,
)
from factories import PASSWORD, World, panel_of, seat
from sqlalchemy import func, select

from scoring.documents.signing import validate_pdf
from scoring.extensions import db
from scoring.models import Document
from scoring.ops.builders import shipped_rubric
from scoring.workflow import (
    create_session,
    create_user,
    declare_conflict,
    set_session_status,
)
from scoring.workflow.documents import (
    institution_key,
    issue_minutes_document,
    issue_recap_document,
    issue_sheet_document,
    short_code,
)
from scoring.workflow.errors import WorkflowError


def _valid(pdf: bytes) -> bool:
    return validate_pdf(pdf, institution_key()).status == "valid"


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_sheet_pdf_has_the_facts_a_valid_seal_and_a_working_qr(app, tmp_path):
    with app.app_context():
        world = signed_world(app)
        sheet = world.assignments[0][0].sheets[0]
        document = issue_sheet_document(sheet, base_url=BASE)
        db.session.commit()
        assert _valid(document.pdf)
        text = pdf_text(document.pdf)
        flat = _flat(text)
        assert "P1-001" in text and "Lembar penilaian wawancara" in flat
        assert sheet.content_hash in text and world.rubric.content_hash in text
        assert short_code(document.token) in text
        lines, cells = text.splitlines(), _flat(pdf_text(document.pdf, layout=False))
        for score in sheet.scores:  # each criterion's row shows its level and the level's label
            criterion = world.rubric.criterion(score.criterion_code)
            label = world.rubric.scale.label(score.level).get("id")
            first = next(i for i, line in enumerate(lines)
                         if line.strip().startswith(criterion.name.get("id").split()[0]))
            row = " ".join(lines[first:first + 4])
            assert re.search(rf"\s{score.level}\s", row) and label in row, row
            anchor = world.rubric.criterion(score.criterion_code).anchor(score.level).get("id")
            assert _flat(anchor) in cells
        assert "137701" not in text  # the NIK is never printed
        pages = pdf_pages(document.pdf, tmp_path)
        assert pages and all(ink_share(p) > 0.01 for p in pages)
        assert qr_payloads(pages[-1]) == [f"{BASE}/verify/{document.token}"]


def test_english_variant_and_stored_once(app):
    with app.app_context():
        world = signed_world(app, candidates=1)
        sheet = world.assignments[0][0].sheets[1]
        first = issue_sheet_document(sheet, "id", base_url=BASE)
        again = issue_sheet_document(sheet, "id", base_url=BASE)
        english = issue_sheet_document(sheet, "en", base_url=BASE)
        db.session.commit()
        assert again.id == first.id and again.pdf == first.pdf
        assert english.id != first.id and english.token != first.token
        assert "Interview score sheet" in _flat(pdf_text(english.pdf))
        assert db.session.scalar(select(func.count(Document.id))) == 2
        with pytest.raises(WorkflowError):
            issue_sheet_document(sheet, "fr")


def test_draft_sheet_has_no_pdf(app):
    with app.app_context():
        prepare_signing(app)
        from factories import make_world

        world = make_world(1)
        sheet = declare_conflict(world.assignments[0][0], world.examiners[0][1], "none")
        with pytest.raises(WorkflowError) as info:
            issue_sheet_document(sheet)
        assert info.value.code == "not_submitted"


def test_recap_after_closing_shows_pre_post_override_and_formula(app, tmp_path):
    with app.app_context():
        world = signed_world(app, candidates=1)
        assignment = world.assignments[0][0]
        with pytest.raises(WorkflowError):
            issue_recap_document(assignment)
        sheet = assignment.sheets[0]
        pre = next(s for s in sheet.scores if s.phase == "pre")
        from scoring.models import Score

        sheet.scores.append(Score(criterion_code=pre.criterion_code, phase="post",
                                  level=3 if pre.level != 3 else 2,
                                  reason="Reconsidered after the panel discussion."))
        chair = world.examiners[0][0]
        assignment.status, assignment.closed_at = "closed", dt.datetime.now(dt.UTC)
        assignment.closed_by_id = chair.id
        assignment.override_score, assignment.override_by_id = 3.5, chair.id
        assignment.override_reason = "Documented appeal (sanggah) upheld by the committee."
        db.session.commit()
        document = issue_recap_document(assignment, "en", base_url=BASE)
        db.session.commit()
        assert _valid(document.pdf)
        text = _flat(pdf_text(document.pdf))
        assert "P1-001" in text and "Reconsidered after the panel discussion." in text
        assert "appeal (sanggah) upheld" in text and "3.5" in text
        assert "divided by the total weight" in text
        for examiner in world.examiners[0]:
            assert examiner.full_name in text
        pages = pdf_pages(document.pdf, tmp_path)
        assert qr_payloads(pages[-1]) == [f"{BASE}/verify/{document.token}"]


def test_minutes_list_members_recusals_and_agreement(app):
    with app.app_context():
        world = signed_world(app, candidates=4)
        # Panel 2: one examiner recused for one candidate, nothing else scored.
        declare_conflict(world.assignments[1][0], world.examiners[1][2], "family")
        db.session.commit()
        document = issue_minutes_document(world.session, None, "en", base_url=BASE)
        db.session.commit()
        assert _valid(document.pdf)
        text = _flat(pdf_text(document.pdf))
        assert "Minutes of the interview session" in text and "Hall" in text
        assert "ICC(2,k)" in text and "Krippendorff" in text  # panel 1: 4 candidates
        assert "too few candidates" in text  # panel 2
        assert "Examiner 22 — P2-001" in text
        for row in world.examiners:
            for user in row:
                assert user.full_name in text
        indonesian = issue_minutes_document(world.session, world.panels[0], "id", base_url=BASE)
        assert "Berita acara" in _flat(pdf_text(indonesian.pdf))


def _asn_world() -> World:
    """A session on the shipped nine-criterion ASN rubric with one panel of three."""
    rubric = shipped_rubric("wawancara-kompetensi-asn.yaml")
    admin = create_user("admin", "Admin", "admin", "admin-password")
    session = create_session("ASN1", "Seleksi CPNS Kota Pariaman", dt.date(2025, 11, 28),
                             rubric, place="Balai Kota Pariaman")
    panel = panel_of(session, "Panel A", [f"u{i}" for i in range(3)],
                     full_names=[f"Penguji Nomor {i}" for i in range(3)])
    assignment = seat(panel, "2025-PRM-0001", "Siti Rahmawati", nik="1377010101010001")
    set_session_status(session, "open")
    db.session.commit()
    return World(session, rubric, admin, [panel], [[m.user for m in panel.members]],
                 [[assignment]])


def test_nine_criteria_sheet_breaks_pages_cleanly(app, tmp_path):
    with app.app_context():
        prepare_signing(app)
        world = _asn_world()
        submit_panel(world)
        sheet = world.assignments[0][0].sheets[0]
        document = issue_sheet_document(sheet, base_url=BASE)
        db.session.commit()
        assert _valid(document.pdf)
        text = _flat(pdf_text(document.pdf, layout=False))  # reading order keeps cells whole
        for criterion in world.rubric.criteria:
            assert criterion.name.get("id") in text
        (tmp_path / "asn-sheet.pdf").write_bytes(document.pdf)
        pages = pdf_pages(document.pdf, tmp_path)
        assert 1 <= len(pages) <= 3 and all(ink_share(p) > 0.01 for p in pages)
        assert qr_payloads(pages[-1]) == [f"{BASE}/verify/{document.token}"]
        # The seal's field is on the page that has the seal box (the last one).
        from io import BytesIO

        from pyhanko.pdf_utils.reader import PdfFileReader

        reader = PdfFileReader(BytesIO(document.pdf))
        field = reader.root["/AcroForm"]["/Fields"][0]
        kids = reader.root["/Pages"]["/Kids"]
        assert field.raw_get("/P").idnum == kids.raw_get(len(kids) - 1).idnum


def _login(client, username, password=PASSWORD):
    client.post("/auth/logout")
    return client.post("/auth/login", data={"username": username, "password": password})


def test_downloads_follow_roles(app, client):
    with app.app_context():
        world = signed_world(app, candidates=1)
        sheet = next(s for s in world.assignments[0][0].sheets
                     if s.examiner.username == "ex11")
        sheet_id, assignment_id = sheet.id, sheet.assignment_id
        session_id, panel1, panel2 = world.session.id, world.panels[0].id, world.panels[1].id
    url = f"/documents/sheet/{sheet_id}.pdf"
    assert client.get(url).status_code == 302  # login first
    for user, expected in (("ex11", 200), ("ex12", 404), ("chair1", 200), ("chair2", 404)):
        _login(client, user)
        response = client.get(url)
        assert response.status_code == expected, user
        if expected == 200:
            assert response.mimetype == "application/pdf"
            assert response.data.startswith(b"%PDF-")
    _login(client, "admin", "admin-password")
    assert client.get(url + "?lang=en").status_code == 200
    assert client.get(url + "?lang=xx").status_code == 404
    assert client.get(f"/documents/recap/{assignment_id}.pdf").status_code == 409
    assert job_pdf(client, f"/documents/minutes/{session_id}.pdf").startswith(b"%PDF-")
    _login(client, "chair1")
    assert job_pdf(client, f"/documents/minutes/{session_id}.pdf?panel={panel1}")
    assert client.post(f"/documents/minutes/{session_id}.pdf?panel={panel2}").status_code == 404
    assert client.post(f"/documents/minutes/{session_id}.pdf").status_code == 404
    _login(client, "ex11")
    assert client.get(f"/documents/recap/{assignment_id}.pdf").status_code == 404
