"""Public verification: token and code pages show only the public facts; uploads are judged."""

from __future__ import annotations

import re

import pytest
from doc_helpers import (
    BASE,
    append_incremental_update,
    change_signature_hex,
    flip_signed_byte,
    signed_world,
)

from scoring.documents.render import render_pdf
from scoring.documents.signing import _load, sign_pdf
from scoring.extensions import db
from scoring.ops.keys import ensure_signing_key
from scoring.workflow.documents import issue_sheet_document, short_code


@pytest.fixture
def issued(app):
    """Issue one sheet PDF; return its token, bytes and the facts that must (not) show."""
    with app.app_context():
        world = signed_world(app, candidates=2)
        sheet = world.assignments[0][0].sheets[0]
        document = issue_sheet_document(sheet, base_url=BASE)
        db.session.commit()
        other = world.assignments[0][1]
        return {
            "token": document.token, "pdf": document.pdf, "sha256": document.sha256,
            "number": "P1-001", "other_number": other.candidate.participant_number,
            "name": sheet.assignment.candidate.name, "nik": sheet.assignment.candidate.nik,
            "examiner": sheet.examiner.full_name, "content_hash": sheet.content_hash,
        }


def _text(html: bytes) -> str:
    body = html.decode()
    body = body[body.index("<main"):body.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def _assert_nothing_private(text: str, issued: dict) -> None:
    for secret in (issued["name"], issued["nik"], issued["examiner"], issued["other_number"],
                   issued["content_hash"], "Gave a concrete example"):
        assert secret not in text, secret
    assert not re.search(r"\b(Nilai|Score|Skor)\b\s*[:=]?\s*\d", text)


def test_token_page_shows_the_public_facts_only(client, issued):
    response = client.get(f"/verify/{issued['token']}")
    assert response.status_code == 200
    text = _text(response.data)
    assert issued["number"] in text and issued["sha256"] in text
    assert "S1" in text and "Test session" in text and "28 November 2025" in text
    assert "Lembar penilaian penguji" in text and "PAdES" in text
    _assert_nothing_private(text, issued)


def test_printed_short_code_finds_the_document(client, issued):
    code = short_code(issued["token"])
    typed = code.lower().replace("-", " ")
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{issued['token']}")
    assert client.get(f"/verify/{code}").status_code == 200


@pytest.mark.parametrize("token", ["0" * 26, "zzzzzzzzzz", "abc", "../../etc/passwd",
                                   "%3Cscript%3E", "x" * 300, "1"])
def test_unknown_and_malformed_tokens_show_nothing(client, issued, token):
    response = client.get(f"/verify/{token}")
    assert response.status_code == 404
    text = _text(response.data)
    assert issued["number"] not in text and issued["sha256"] not in text
    _assert_nothing_private(text, issued)
    missing = client.get("/verify", query_string={"code": token})
    assert missing.status_code == 404 and issued["number"] not in _text(missing.data)


def _upload(client, data: bytes):
    from io import BytesIO

    return client.post("/verify/upload", data={"pdf": (BytesIO(data), "sheet.pdf")},
                       content_type="multipart/form-data")


def _status(response) -> str:
    return re.search(rb'data-status="(\w+)"', response.data).group(1).decode()


def test_upload_of_the_genuine_pdf_is_valid(client, issued):
    response = _upload(client, issued["pdf"])
    assert response.status_code == 200 and _status(response) == "valid"
    text = _text(response.data)
    assert issued["number"] in text and issued["sha256"] in text
    _assert_nothing_private(text, issued)


@pytest.mark.parametrize("tamper", [flip_signed_byte, change_signature_hex,
                                    append_incremental_update])
def test_upload_of_a_tampered_pdf_is_invalid(client, issued, tamper):
    response = _upload(client, tamper(issued["pdf"]))
    assert response.status_code == 200 and _status(response) == "invalid"
    text = _text(response.data)
    assert issued["number"] not in text
    _assert_nothing_private(text, issued)


def test_upload_of_a_foreign_pdf_is_not_ours(client, issued, tmp_path):
    ensure_signing_key(tmp_path, organisation="Another Office")
    other = _load([tmp_path / "key.pem", tmp_path / "cert.pem"], None, None)
    rendered = render_pdf("<p>Lembar penilaian P1-001</p>")
    for pdf in (rendered.pdf, sign_pdf(rendered.pdf, other, None), b"GIF89a not a pdf"):
        response = _upload(client, pdf)
        assert response.status_code == 200 and _status(response) == "foreign"


def test_upload_needs_a_file_and_is_size_limited(client, issued, monkeypatch):
    assert client.post("/verify/upload", data={}).status_code == 400
    # A smaller limit keeps the test body in memory (werkzeug spools >500 KB to a file).
    monkeypatch.setattr("scoring.documents.verify_views.MAX_UPLOAD", 100_000)
    assert _upload(client, b"%PDF-1.7\n" + b"0" * 200_000).status_code == 413
    assert _upload(client, b"%PDF-1.7\n" + b"0" * 99_000).status_code == 200


def test_upload_form_is_csrf_protected(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/verify")
    assert page.status_code == 200 and b'name="csrf_token"' in page.data
    assert _upload(client, b"%PDF-1.7").status_code == 400


def test_pages_need_no_login_and_english_works(client, issued):
    client.post("/lang/en", data={"next": "/verify"})
    response = client.get(f"/verify/{issued['token']}")
    assert response.status_code == 200
    assert b"Examiner&#39;s score sheet" in response.data or b"Examiner's score sheet" in \
        response.data
