"""Public pages: criteria (page and PDF), results of closed sessions, and what they never show."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from factories import make_world, publish_session
from sqlalchemy import select
from test_web_shell import assert_self_contained

from scoring.documents.render import RenderError, SafeURLFetcher
from scoring.extensions import db
from scoring.models import Candidate, InterviewSession
from scoring.ops.demo import DEMO_CODE, load_demo
from scoring.public.criteria_pdf import html_to_pdf


def _pdf_text(data: bytes) -> str:
    """Return the text of a PDF (pdftotext), or skip when poppler-utils is missing."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                         check=True)
    return out.stdout.decode()


def _public_urls(client, code: str) -> list[str]:
    """Return every public route for session ``code``, plus the pages the index links to."""
    urls = ["/public/", f"/public/{code}/", f"/public/{code}/results",
            f"/public/{code}/results?q=PRM", f"/public/{code}/results?page=2",
            "/auth/reset/", "/auth/reset/ABCD-EFGH-JKMN"]
    index = client.get("/public/").get_data(as_text=True)
    urls += [u for u in re.findall(r'href="(/public/[^"]+)"', index) if not u.endswith(".pdf")]
    return list(dict.fromkeys(urls))


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo()
        session = db.session.scalar(select(InterviewSession).where(
            InterviewSession.code == DEMO_CODE))
        publish_session(session)
        db.session.commit()
        candidates = db.session.execute(select(Candidate.nik, Candidate.name)).all()
    niks = {n for n, _ in candidates if n}
    assert len(niks) == 60 and all(re.fullmatch(r"\d{16}", n) for n in niks)
    return niks, {name for _, name in candidates}


def _set_publish_names(app, value: bool) -> None:
    with app.app_context():
        session = db.session.scalar(select(InterviewSession).where(  # the demo holds several
            InterviewSession.code == DEMO_CODE))
        session.publish_names = value
        db.session.commit()


def test_no_public_page_reveals_a_nik_or_an_unpublished_name(app, client, demo):
    niks, names = demo
    _set_publish_names(app, False)
    pages = {}
    for url in _public_urls(client, DEMO_CODE):
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.get_data(as_text=True)
    pdf = client.get(f"/public/{DEMO_CODE}/criteria.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    pages["criteria.pdf"] = _pdf_text(pdf.data)
    assert "PRM25-0001" in pages[f"/public/{DEMO_CODE}/results"]
    for url, text in pages.items():
        digits = set(re.findall(r"\d{16}", re.sub(r"\D", " ", text)))
        assert not digits & niks, url
        for nik in niks:  # also split by markup or spaces
            assert nik not in re.sub(r"\s|<[^>]+>", "", text), url
        leaked = [n for n in names if n in text]
        assert leaked == [], (url, leaked[:3])


def test_names_appear_only_when_the_session_publishes_them(app, client, demo):
    niks, names = demo
    _set_publish_names(app, True)
    html = client.get(f"/public/{DEMO_CODE}/results").get_data(as_text=True)
    assert any(name in html for name in names)
    assert not any(nik in html for nik in niks)


def test_results_show_each_panels_agreement(app, client, demo):
    html = re.sub(r"\s+", " ", client.get(f"/public/{DEMO_CODE}/results").get_data(as_text=True))
    for panel in ("Panel 1", "Panel 2", "Panel 3"):
        assert panel in html
    assert "ICC(2,k)" in html and "ICC(2,1)" in html
    # 3 panels x three figures, each a number in Indonesian notation (0,xx) or a dash
    figures = re.findall(r'class="num"><span>(-?\d,\d\d|—) <span class="muted small">ICC', html)
    assert len(figures) == 6 and all(f != "—" for f in figures)


def test_criteria_page_explains_weights_scale_combination_and_quorum(app, client):
    with app.app_context():
        make_world(candidates_per_panel=1, status="open")
    response = client.get("/public/S1/")
    html = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert '<html lang="id">' in html
    assert "Service Orientation" in html and "50%" in html.replace("50 %", "50%")
    assert "Turns recurring complaints into a lasting improvement" in html  # an anchor
    assert "Tell us about a time" not in html  # the interview questions stay private
    assert "kuorum" in html.lower()
    # issue 17: the Rasch measures and fair averages never change a score, said in public
    assert "tidak pernah mengubah nilai peserta" in html and "Rasch" in html
    assert_self_contained(response.get_data(as_text=True))
    text = _pdf_text(client.get("/public/S1/criteria.pdf").data)
    assert "Service Orientation" in text and "Tell us about a time" not in text


def test_public_pages_carry_no_inline_script_or_style(app, client, demo):
    for url in _public_urls(client, DEMO_CODE):
        assert_self_contained(client.get(url).get_data(as_text=True))


def test_english_is_available(app, client):
    with app.app_context():
        make_world(candidates_per_panel=1, status="open")
    client.post("/lang/en", data={"next": "/public/S1/"})
    html = client.get("/public/S1/").get_data(as_text=True)
    assert '<html lang="en">' in html and "How the interview is scored" in html


def test_pdf_renderer_refuses_every_url():
    # The one WeasyPrint wrapper: a file or a remote URL stops the rendering.
    with pytest.raises(ValueError):
        SafeURLFetcher().fetch("file:///etc/passwd")
    for url in ("file:///etc/passwd", "http://example.com/a.png"):
        with pytest.raises(RenderError):
            html_to_pdf(f'<p>x</p><img src="{url}">')
    assert html_to_pdf("<p>x</p>").startswith(b"%PDF")


def test_the_criteria_pdf_is_never_older_than_its_page(app, client):
    """The PDF cache is keyed on the page's HTML: every app server renders what it shows."""
    with app.app_context():
        world = make_world(candidates_per_panel=1, status="open")
        session_id = world.session.id
    assert "S1 ·" in _pdf_text(client.get("/public/S1/criteria.pdf").data)
    with app.app_context():
        session = db.session.get(InterviewSession, session_id)
        session.code = "S1-B"  # what the old key (id, rubric, name, date, place) missed
        db.session.commit()
    assert "S1-B ·" in _pdf_text(client.get("/public/S1-B/criteria.pdf").data)
