"""Issue 13 point 3: rubric errors in the page's language, criteria counted from 1 by code."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from scoring import workflow
from scoring.extensions import db
from scoring.models import InterviewSession
from scoring.paths import data_dir
from scoring.rubrics import check_rubrics, load_rubric, parse_rubric

ASN = data_dir("rubrics") / "wawancara-kompetensi-asn.yaml"


def _bad_asn() -> str:
    """The shipped rubric with a misspelt key and the second criterion's weight a word."""
    text = ASN.read_text(encoding="utf-8")
    text = text.replace("discrepancy_threshold:", "discrepancy_treshold:", 1)
    weights = [m.start() for m in re.finditer(r"\n    weight: ", text)]
    second = weights[1]
    end = text.index("\n", second + 1)
    return text[:second] + "\n    weight: berat" + text[end:]


def _codes():
    return [c.code for c in load_rubric(ASN).criteria]


def _errors(tmp_path, text, name="mine.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    [(_source, _rubric, errors)] = check_rubrics([path])
    return errors


def test_criteria_are_counted_from_one_and_named_by_code(tmp_path):
    [error] = [e for e in _errors(tmp_path, _bad_asn()) if "weight" in e.path]
    assert error.path == f"criterion 2 ({_codes()[1]}) › weight"
    assert "criteria[1]" not in str(error)


def test_messages_render_in_indonesian_with_the_catalogue(app, tmp_path):
    from scoring.i18n import catalogue

    errors = _errors(tmp_path, _bad_asn())
    indonesian = [e.localised(catalogue("id")) for e in errors]
    english = [e.localised(catalogue("en")) for e in errors]
    assert f"kriteria 2 ({_codes()[1]}) › weight: diharapkan bilangan positif" in \
        " | ".join(indonesian)
    assert any("kunci tidak dikenal 'discrepancy_treshold'; maksud Anda "
               "'discrepancy_threshold'?" in m for m in indonesian), indonesian
    assert any("unknown key 'discrepancy_treshold'; did you mean" in m for m in english)


def test_cli_speaks_indonesian_by_default_and_english_on_request(runner, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(_bad_asn(), encoding="utf-8")
    result = runner.invoke(args=["rubric", "check", str(path)])
    assert result.exit_code == 1
    assert "kunci tidak dikenal" in result.output and "kriteria 2 (" in result.output
    result = runner.invoke(args=["rubric", "check", "--lang", "en", str(path)])
    assert "unknown key" in result.output and "criterion 2 (" in result.output
    assert "kunci" not in result.output


@pytest.mark.parametrize("lang, words", [("id", "kunci tidak dikenal"),
                                         ("en", "unknown key")])
def test_uploaded_rubric_errors_speak_the_pages_language(app, client, lang, words):
    with app.app_context():
        workflow.create_user("admin", "Admin", "admin", "admin-password")
        db.session.commit()
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    client.post(f"/lang/{lang}")
    response = client.post("/manage/sessions/new", data={
        "code": "S-BAD", "name": "Bad", "held_on": "2025-11-28",
        "rubric_upload": (io.BytesIO(_bad_asn().encode()), "mine.yaml")},
        content_type="multipart/form-data")
    html = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert words in html
    other = "unknown key" if lang == "id" else "kunci tidak dikenal"
    assert other not in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InterviewSession)) == 0


def test_comma_in_an_inline_text_is_explained_with_the_fix(tmp_path):
    text = ASN.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  - code: \w+\n    name: ).*$",
                  r"\1{id: Jujur, bertanggung jawab, en: Honest}", text, count=1)
    errors = _errors(tmp_path, text)
    [error] = [e for e in errors if "name" in e.path]
    assert "a comma inside the text split it" in error.message
    assert error.message.endswith('Put the text in double quotes: '
                                  '{id: "Jujur, bertanggung jawab", en: "Honest"}')


def test_colon_in_an_inline_text_is_explained_with_the_fix(tmp_path):
    text = ASN.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  - code: \w+\n    name: ).*$",
                  r"\1{id: Catatan: penting, en: Note}", text, count=1)
    [error] = _errors(tmp_path, text)
    assert "colon" in error.message
    assert 'name: {id: "Catatan: penting", en: "Note"}' in error.message


def test_the_template_is_valid_and_commented():
    template = data_dir("rubrics") / "TEMPLATE.yaml"
    rubric = load_rubric(template)
    assert rubric.id == "templat-rubrik" and len(rubric.criteria) >= 2
    text = template.read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")
                or " # " in line]
    assert len(comments) >= 20
    assert parse_rubric(text).content_hash == rubric.content_hash


def test_the_rubric_page_explains_the_format_and_offers_the_template(app, client):
    with app.app_context():
        workflow.create_user("admin", "Admin", "admin", "admin-password")
        db.session.commit()
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    page = client.get("/manage/rubrics/format").get_data(as_text=True)
    assert "Menulis rubrik" in page and "/manage/rubrics/TEMPLATE.yaml" in page
    download = client.get("/manage/rubrics/TEMPLATE.yaml")
    assert download.status_code == 200
    assert download.data == (data_dir("rubrics") / "TEMPLATE.yaml").read_bytes()
    assert "attachment" in download.headers["Content-Disposition"]
    new_session = client.get("/manage/sessions/new").get_data(as_text=True)
    assert "/manage/rubrics/format" in new_session
    assert 'value="TEMPLATE.yaml"' not in new_session  # a model to copy, not a choice
