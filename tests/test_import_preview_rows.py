"""Issue 13 point 4: the import preview lists the rows, headed as the file spells its columns."""

from __future__ import annotations

import io
import re

import pytest
from factories import make_world

FILE = ("nomor_peserta;nama;jabatan;panel\n"
        "P1-001;Candidate 1.1 Renamed;Guru;Panel 1\n"   # stored as "Candidate 1.1"
        "P2-001;Candidate 2.1;;Panel 2\n"                # as stored
        "PRM-900;Rina Chaniago;Perawat;Panel 1\n")       # new


@pytest.fixture
def admin(app, client):
    with app.app_context():
        w = make_world(candidates_per_panel=1, status="draft")
        sid = w.session.id
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    return sid


def _rows(html: str) -> dict[str, str]:
    """Return each preview row's HTML by its participant number."""
    rows = re.findall(r'<tr class="import-row import-row--\w+">.*?</tr>', html, re.S)
    return {re.search(r'data-label="nomor_peserta"[^>]*>(?:<mark>)?([^<]+)', row).group(1): row
            for row in rows}


def test_preview_shows_rows_with_the_files_column_names_and_highlights_changes(client, admin):
    response = client.post("/manage/import/candidates", data={
        "file": (io.BytesIO(FILE.encode()), "peserta.csv"), "session": str(admin)},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    headers = re.findall(r'<th scope="col"><span class="code">([^<]+)</span></th>', html)
    assert headers == ["nomor_peserta", "nama", "jabatan", "panel"]
    rows = _rows(html)
    assert set(rows) == {"P1-001", "P2-001", "PRM-900"}
    changed = rows["P1-001"]
    assert "import-row--changed" in changed
    assert re.search(r'data-label="nama" class="cell--changed"><mark>Candidate 1.1 Renamed'
                     r'</mark>\s*<del class="muted">Candidate 1.1</del>', changed)
    assert 'data-label="jabatan" class="cell--changed"' in changed
    assert "cell--changed" not in rows["P2-001"].replace('data-label="panel"', "")
    assert "import-row--unchanged" in rows["P2-001"]
    assert "import-row--new" in rows["PRM-900"] and "cell--changed" not in rows["PRM-900"]
    assert 'name="token"' in html
