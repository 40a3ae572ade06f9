"""Issue 13 point 5: one-time reset codes for a whole role or panel, printed as slips."""

from __future__ import annotations

import re
import time

import pytest
from doc_helpers import pdf_pages, pdf_text, qr_payloads
from factories import PASSWORD, make_world
from sqlalchemy import func, select

from scoring import workflow
from scoring.extensions import db
from scoring.models import AuditEvent, PasswordReset, User

CODE = re.compile(r"\b[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}\b")


@pytest.fixture
def world(app, client):
    with app.app_context():
        w = make_world(candidates_per_panel=1, status="open")
        ids = {"panel": w.panels[0].id, "session": w.session.code}
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    return ids


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_people_page_prints_slips_for_every_examiner_with_working_codes(app, client, world,
                                                                        tmp_path):
    page = client.get("/manage/users").get_data(as_text=True)
    assert 'action="/manage/users/reset-codes"' in page and 'value="role:examiner"' in page
    response = client.post("/manage/users/reset-codes", data={"who": "role:examiner"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    codes = CODE.findall(text)
    examiners = ["ex11", "ex12", "ex21", "ex22"]
    assert len(codes) == len(examiners) and all(name in text for name in examiners)
    assert "chair1" not in text and "Kode reset" in text  # Indonesian, as the page
    assert _count(app, AuditEvent, AuditEvent.action == "user.reset_issued") == 4
    payloads = [p for image in pdf_pages(response.data, tmp_path, dpi=150)
                for p in qr_payloads(image)]
    assert sorted(payloads) == sorted(f"http://localhost/auth/reset/{c}" for c in codes)
    # a slip's code works on the redeem page
    client.post("/auth/logout")
    redeemed = client.post(f"/auth/reset/{codes[0]}", data={
        "code": codes[0], "password": "a-new-password", "confirm": "a-new-password"})
    assert redeemed.status_code == 302


def test_slips_for_one_panel_only(app, client, world):
    response = client.post("/manage/users/reset-codes", data={"who": f"panel:{world['panel']}"})
    text = pdf_text(response.data)
    assert {"chair1", "ex11", "ex12"} <= set(re.findall(r"\b(?:chair|ex)\d+\b", text))
    assert "ex21" not in text and len(CODE.findall(text)) == 3


def test_cli_prints_thirty_codes_in_one_batch(app, runner, tmp_path):
    with app.app_context():
        for i in range(30):
            workflow.create_user(f"pg{i:02d}", f"Penguji {i:02d}", "examiner", PASSWORD)
        workflow.create_user("k1", "Ketua", "chair", PASSWORD)
        db.session.commit()
    output = tmp_path / "codes.pdf"
    started = time.perf_counter()
    result = runner.invoke(args=["user", "reset-codes", "--role", "examiner",
                                 "--output", str(output)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert "30 reset code(s)" in result.output
    text = pdf_text(output.read_bytes())
    assert len(set(CODE.findall(text))) == 30 and "k1" not in text
    assert _count(app, PasswordReset) == 30
    assert elapsed < 20, elapsed  # one batch: no per-user process or password hashing
    with app.app_context():  # the codes are stored only as hashes
        stored = {r.code_hash for r in db.session.scalars(select(PasswordReset))}
        assert not any(c.replace("-", "") in h for c in CODE.findall(text) for h in stored)


def test_cli_refuses_both_or_neither_target(runner, tmp_path):
    result = runner.invoke(args=["user", "reset-codes", "--output", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "--role or --panel" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_nobody_to_reset_writes_nothing(app, runner, tmp_path):
    result = runner.invoke(args=["user", "reset-codes", "--role", "chair",
                                 "--output", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and not (tmp_path / "x.pdf").exists()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
