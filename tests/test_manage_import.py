"""Browser import: a preview first, every bad row shown, nothing written before a clean confirm."""

from __future__ import annotations

import io
import re

import pytest
from factories import make_world
from openpyxl import Workbook
from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import Assignment, AuditEvent, Candidate, User

GOOD = ("nomor_peserta;nama;jabatan;nik;panel;urutan\n"
        "PRM-101;Siti Rahma;Guru;1377010101010101;Panel 1;1\n"
        "PRM-102;Andi Koto;Perawat;;Panel 2;1\n")
BAD = ("participant_number,name,position,nik,panel,order\n"
       "PRM-201,Siti,Guru,1377010101010201,Panel 1,1\n"
       "PRM-202,,Guru,12345,Panel 1,2\n"          # row 3: name and nik
       "PRM-203,Andi,Guru,,Panel 9,1\n"           # row 4: unknown panel
       "PRM 204,Nurul,Guru,,,x\n"                 # row 5: number, order, panel
       "PRM-201,Dup,Guru,,,\n")                   # row 6: duplicate of row 2


@pytest.fixture
def admin(app, client):
    with app.app_context():
        w = make_world(candidates_per_panel=1, status="draft")
        sid = w.session.id
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    return sid


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _upload(client, kind, data: bytes, name: str, session=0):
    form = {"file": (io.BytesIO(data), name)}
    if kind == "candidates":
        form["session"] = str(session)
    return client.post(f"/manage/import/{kind}", data=form, content_type="multipart/form-data")


def test_bad_rows_are_all_shown_and_nothing_is_written(app, client, admin):
    before = (_count(app, Candidate), _count(app, Assignment), _count(app, AuditEvent))
    response = _upload(client, "candidates", BAD.encode(), "calon.csv", admin)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    rows = re.findall(r'<tr>\s*<td data-label="[^"]+" class="num">(\d+)</td>\s*'
                      r'<td data-label="[^"]+"><span class="code">([^<]+)</span></td>', html)
    shown = {(int(r), c) for r, c in rows}
    assert {(3, "name"), (3, "nik"), (4, "panel"), (5, "participant_number"), (5, "order"),
            (5, "panel"), (6, "participant_number")} <= shown
    assert 'name="token"' not in html  # no way to confirm a bad file
    assert (_count(app, Candidate), _count(app, Assignment), _count(app, AuditEvent)) == before


def test_clean_file_previews_then_imports_on_confirm(app, client, admin):
    response = _upload(client, "candidates", GOOD.encode(), "calon.csv", admin)
    html = response.get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    assert _count(app, Candidate) == 2  # only the world's two so far
    done = client.post("/manage/import/candidates/confirm", data={"token": token})
    assert done.status_code == 302
    with app.app_context():
        numbers = set(db.session.scalars(select(Candidate.participant_number)))
        assert {"PRM-101", "PRM-102"} <= numbers
        assigned = db.session.scalar(select(func.count()).select_from(Assignment))
        assert assigned == 4
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "candidate.create")).all()
        assert {e.actor for e in events[-2:]} == {"admin"}
    # the token is spent: confirming again does nothing
    again = client.post("/manage/import/candidates/confirm", data={"token": token})
    assert again.status_code == 302 and _count(app, Candidate) == 4


def test_token_is_checked(app, client, admin):
    assert client.post("/manage/import/candidates/confirm",
                       data={"token": "../../etc/passwd"}).status_code == 400
    assert client.post("/manage/import/examiners/confirm",
                       data={"token": "0" * 32}).status_code == 302  # expired/unknown


def test_examiners_from_xlsx(app, client, admin):
    book = Workbook()
    sheet = book.active
    sheet.append(["username", "nama", "peran", "nip"])
    sheet.append(["penguji7", "Penguji Tujuh", "penguji", "198001012005011001"])
    sheet.append(["ketua3", "Ketua Tiga", "ketua", None])
    data = io.BytesIO()
    book.save(data)
    response = _upload(client, "examiners", data.getvalue(), "penguji.xlsx")
    token = re.search(r'name="token" value="([0-9a-f]{32})"',
                      response.get_data(as_text=True)).group(1)
    client.post("/manage/import/examiners/confirm", data={"token": token})
    with app.app_context():
        roles = dict(db.session.execute(select(User.username, User.role).where(
            User.username.in_(["penguji7", "ketua3"]))).all())
    assert roles == {"penguji7": "examiner", "ketua3": "chair"}


def test_unreadable_file_is_explained(app, client, admin):
    response = _upload(client, "candidates", b"\xff\xfe\x00garbage", "calon.csv")
    assert "UTF-8" in response.get_data(as_text=True)
    response = _upload(client, "candidates", b"x", "calon.pdf")
    assert ".pdf" in response.get_data(as_text=True)
