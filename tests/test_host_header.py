"""Sealed documents trust no Host header (issue 11, finding 7).

Before, a request with a forged ``Host`` got a sealed PDF whose QR code and verify link pointed
to the attacker's site, and a document sealed outside a request printed
``http://localhost:5000/verify/...``.
"""

from __future__ import annotations

import pytest
from doc_helpers import pdf_text, signed_world
from factories import PASSWORD
from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import Document
from scoring.workflow import WorkflowError
from scoring.workflow.documents import issue_sheet_document

FORGED = "evil.example"


@pytest.fixture
def sheet_url(app, client, auth):
    """Log in an examiner of a world with submitted sheets; return their first sheet's URL."""
    with app.app_context():
        world = signed_world(app, candidates=1)
        db.session.commit()
        sheet_id = world.assignments[0][0].sheets[0].id
        username = world.assignments[0][0].sheets[0].examiner.username
    assert auth.login(username, PASSWORD).status_code == 302
    app.config["SERVER_NAME"] = None  # answer any Host, as a server without TRUSTED_HOSTS does
    return f"/documents/sheet/{sheet_id}.pdf"


def _get(client, url: str, host: str):
    """GET ``url`` with ``Host: host``, sending the login cookie as a browser there would."""
    client.set_cookie("session", client.get_cookie("session", domain="localhost").value,
                      domain=host)
    return client.get(url, headers={"Host": host})


def _documents(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Document))


def _verify_urls(pdf: bytes) -> list[str]:
    return [word for word in pdf_text(pdf, layout=False).split() if "/verify/" in word]


def test_forged_host_is_refused_without_public_base_url(app, client, sheet_url):
    app.config.update(PUBLIC_BASE_URL=None, TRUSTED_HOSTS=["localhost", "nilai.example.go.id"])
    forged = _get(client, sheet_url, FORGED)
    assert forged.status_code == 400
    assert _documents(app) == 0
    trusted = _get(client, sheet_url, "nilai.example.go.id")
    assert trusted.status_code == 200
    urls = _verify_urls(trusted.data)
    assert urls and all(u.startswith("http://nilai.example.go.id/verify/") for u in urls)


def test_public_base_url_wins_over_any_host(app, client, sheet_url):
    app.config.update(PUBLIC_BASE_URL="https://nilai.example.go.id", TRUSTED_HOSTS=None)
    response = _get(client, sheet_url, FORGED)
    assert response.status_code == 200
    urls = _verify_urls(response.data)
    assert urls and all(u.startswith("https://nilai.example.go.id/verify/") for u in urls)
    assert FORGED not in pdf_text(response.data)


def test_no_public_address_configured_refuses_to_seal(app, client, sheet_url):
    app.config.update(PUBLIC_BASE_URL=None, TRUSTED_HOSTS=None)
    response = _get(client, sheet_url, FORGED)
    assert response.status_code == 503
    assert "PUBLIC_BASE_URL" in response.get_data(as_text=True)
    assert _documents(app) == 0


def test_sealing_outside_a_request_needs_public_base_url(app):
    app.config["PUBLIC_BASE_URL"] = None
    with app.app_context():
        world = signed_world(app, candidates=1)
        db.session.commit()
        with pytest.raises(WorkflowError, match="PUBLIC_BASE_URL"):
            issue_sheet_document(world.assignments[0][0].sheets[0])
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0


def test_cli_export_without_public_address_names_the_setting(app, runner, tmp_path):
    app.config["PUBLIC_BASE_URL"] = None
    with app.app_context():
        signed_world(app, candidates=1)
        db.session.commit()
    out = tmp_path / "sheets.zip"
    result = runner.invoke(args=["export", "sheets", "--session", "S1", "--output", str(out),
                                 "--workers", "1"])
    assert result.exit_code == 1
    assert "PUBLIC_BASE_URL" in result.output and not out.exists()
