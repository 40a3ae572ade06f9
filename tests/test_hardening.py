"""Smaller findings of issue 11.8: archive names, rubric nesting, file modes, PNG, digits."""

from __future__ import annotations

import base64
import io
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from doc_helpers import BASE, TINY_PNG, signed_world
from factories import make_world

from scoring import create_app
from scoring.extensions import db
from scoring.manage.import_files import parse_candidates, parse_examiners
from scoring.rubrics import check_rubrics
from scoring.workflow import WorkflowError, create_candidate, decode_signature
from scoring.workflow.document_export import member_name, write_sheets_zip

# --- ZIP member names ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["..", "../../etc", "a\\..\\b", "tab\tand\x01ctl", "/abs", "."])
def test_member_names_never_leave_the_archive_folder(name):
    member = member_name(f"{name}/P-1_ex.pdf")
    parts = member.split("/")
    assert len(parts) == 2 + name.count("/") + name.count("\\")
    assert all(p not in ("", ".", "..") for p in parts)
    assert not any(ord(c) < 32 or c in "\\:" for c in member)
    assert member_name("a\x00b/c.pdf") == "a_b/c.pdf"


def test_export_zip_of_a_panel_named_dot_dot(app, tmp_path):
    with app.app_context():
        world = signed_world(app, candidates=1)
        world.panels[0].name = ".."
        world.panels[1].name = "x/../..\\y"
        db.session.commit()
        out = tmp_path / "export.zip"
        write_sheets_zip(world.session, None, out, base_url=BASE, workers=1)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
    assert "manifest.csv" in names and len(names) == 4
    for name in names:
        assert not name.startswith(("/", "\\")) and "\\" not in name
        assert ".." not in name.split("/") and "." not in name.split("/")
        resolved = (tmp_path / "unpack" / name).resolve()
        assert resolved.is_relative_to((tmp_path / "unpack").resolve())


# --- rubric nesting -----------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "id: x\ncriteria: " + "[" * 5000 + "]" * 5000 + "\n",
    "id: x\ncriteria: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
])
def test_deeply_nested_rubric_is_a_rubric_error(tmp_path, text):
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    [(_source, rubric, errors)] = check_rubrics([path])
    assert rubric is None and len(errors) == 1
    assert "nested more than" in errors[0].message and errors[0].line == 2


# --- instance file modes ------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_files_are_private(tmp_path, monkeypatch):
    old = os.umask(0o022)
    try:
        instance = tmp_path / "instance"
        monkeypatch.setenv("SCORING_INSTANCE_PATH", str(instance))
        app = create_app({"TESTING": True})
        result = app.test_cli_runner().invoke(args=["init"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            db.session.execute(db.text("SELECT 1"))  # opens WAL and shared memory
            files = sorted(p for p in instance.rglob("*") if p.is_file())
            folders = [instance, *(p for p in instance.rglob("*") if p.is_dir())]
            names = {p.name for p in files}
            assert {"secret_key", "key.pem", "cert.pem", "scoring.sqlite"} <= names
            assert {"scoring.sqlite-wal", "scoring.sqlite-shm"} & names
            assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
            assert {str(p): _mode(p) for p in folders} == {str(p): 0o700 for p in folders}
            db.session.remove()
            db.engine.dispose()
    finally:
        os.umask(old)


def test_uploads_and_exports_are_private(app, client, tmp_path):
    old = os.umask(0o022)
    try:
        with app.app_context():
            world = signed_world(app, candidates=1)
            from scoring.workflow.document_export import export_file, run_export, start_export

            job = start_export(world.session, None, world.admin)
            db.session.commit()
            run_export(job.id, BASE)
            target = export_file(job)
        assert _mode(target) == 0o600 and _mode(target.parent) == 0o700
        client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
        csv = b"participant_number,name\nPRM-9,Nama\n"
        response = client.post("/manage/import/candidates", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(csv), "c.csv"), "session": "0"})
        assert response.status_code == 200
        folder = Path(app.instance_path) / "imports"
        kept = list(folder.iterdir())
        assert kept and {_mode(p) for p in kept} == {0o600} and _mode(folder) == 0o700
    finally:
        os.umask(old)


# --- signature PNG ------------------------------------------------------------------------


def _png(width: int, height: int, idat: bytes | None = None) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    if idat is None:
        idat = zlib.compress(b"".join(b"\x00" + b"\xff" * width for _ in range(height)), 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def _url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def test_signature_is_decoded_with_pillow():
    assert decode_signature(_url(TINY_PNG)) == TINY_PNG
    for bad in (_png(100, 40, idat=b"not zlib data at all"),  # a PNG header over garbage
                _png(100, 40, idat=zlib.compress(b"\x00" * 10)),  # too few pixels
                _png(4000, 4000),  # 16 million pixels: over the cap, though each side fits
                TINY_PNG[:60]):  # truncated
        with pytest.raises(WorkflowError) as info:
            decode_signature(_url(bad))
        assert info.value.code == "bad_signature"


# --- ASCII digits -------------------------------------------------------------------------


def test_non_ascii_digits_are_row_errors_not_crashes():
    text = ("participant_number,name,nik,panel,order\n"
            "P-1,Satu,,Panel 1,²\n"
            "P-2,Dua,%s,,\n"
            "P-3,Tiga,,Panel 1,٣\n"
            "P-4,Empat,,Panel 1,12345678901234567890\n") % ("١" * 16)
    parsed = parse_candidates(text.encode(), "c.csv")
    assert not parsed.records
    assert sorted((p.row, p.column) for p in parsed.problems) == [
        (2, "order"), (3, "nik"), (4, "order"), (5, "order")]
    examiners = parse_examiners(("username,full_name,nip\nbudi,Budi,%s\n" % ("٣" * 18)).encode(),
                                "e.csv")
    assert [(p.row, p.column) for p in examiners.problems] == [(2, "nip")]


def test_non_ascii_nik_is_refused_by_the_workflow_and_the_form(app, client):
    with app.app_context():
        make_world(candidates_per_panel=1)
        with pytest.raises(WorkflowError):
            create_candidate("P-9", "Sembilan", nik="１" * 16)
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    response = client.post("/manage/candidates/new", data={
        "participant_number": "P-9", "name": "Sembilan", "nik": "٣" * 16})
    assert response.status_code == 200 and "16" in response.get_data(as_text=True)


def test_cli_session_reference_with_superscript_digits(app, runner, tmp_path):
    with app.app_context():
        make_world(candidates_per_panel=1)
    source = tmp_path / "c.csv"
    source.write_text("participant_number,name\nP-1,Satu\n")
    result = runner.invoke(args=["import", "candidates", "--session", "²", str(source)])
    assert result.exit_code != 0 and "no session with id or code" in result.output
