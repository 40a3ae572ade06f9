"""Helpers for the signed-document tests: a world with submitted sheets, PDF tools, tampering."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from factories import make_world

from scoring.extensions import db
from scoring.ops.keys import ensure_signing_key
from scoring.workflow import declare_conflict, submit_sheet


def make_png(width: int = 120, height: int = 40) -> bytes:
    """Return a greyscale PNG with a diagonal stroke (a drawn-signature stand-in)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    rows = b"".join(
        b"\x00" + bytes(0 if abs(x - y * width // height) < 3 else 255 for x in range(width))
        for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


TINY_PNG = make_png()

BASE = "https://nilai.example.go.id"


def prepare_signing(app) -> Path:
    """Create the demo signing key in the app's instance folder, as `scoring init` does."""
    folder = Path(app.instance_path) / app.config["SIGNING_DIR"]
    ensure_signing_key(folder)
    return folder


def levels_for(rubric, seed: int) -> dict:
    """Return a complete sheet state with levels varying by ``seed``, notes where required."""
    values = rubric.scale.values
    state = {}
    for i, code in enumerate(rubric.codes):
        level = values[(seed + i) % len(values)]
        note = "Gave a concrete example." if rubric.requires_evidence(level) else ""
        state[code] = {"level": level, "note": note}
    return state


def submit_panel(world, panel_index: int = 0, signature: bytes | None = TINY_PNG):
    """Have every member of a panel submit a sheet for every candidate; return the sheets."""
    sheets = []
    for c, assignment in enumerate(world.assignments[panel_index]):
        for e, examiner in enumerate(world.examiners[panel_index]):
            declare_conflict(assignment, examiner, "none")
            submit_sheet(assignment, examiner, client_id=f"c{e}", seq=1,
                         scores=levels_for(world.rubric, c + e // 2),
                         signature_png=signature)
    db.session.commit()
    for assignment in world.assignments[panel_index]:
        sheets.extend(s for s in assignment.sheets if s.status == "submitted")
    return sheets


def signed_world(app, candidates: int = 3):
    """Create a world whose first panel has submitted every sheet; signing key ready."""
    prepare_signing(app)
    world = make_world(candidates)
    submit_panel(world)
    return world


def need(tool: str) -> str:
    """Return the path of a command-line tool or skip the test (setup --test installs them)."""
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (bash .ci/setup --test installs it)")
    return path


def pdf_text(pdf: bytes, layout: bool = True) -> str:
    """Return the PDF's text as pdftotext extracts it (physical layout, or reading order)."""
    out = subprocess.run([need("pdftotext"), *(["-layout"] if layout else []), "-", "-"], input=pdf,
                         capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def pdf_pages(pdf: bytes, folder: Path, dpi: int = 72) -> list[Path]:
    """Render each page with pdftoppm to greyscale PGM and return the paths."""
    source = folder / "doc.pdf"
    source.write_bytes(pdf)
    subprocess.run([need("pdftoppm"), "-r", str(dpi), "-gray", str(source), str(folder / "page")],
                   check=True, capture_output=True)
    return sorted(folder.glob("page*.pgm"))


def qr_payloads(image: Path) -> list[str]:
    """Return the QR codes zbarimg finds in an image."""
    out = subprocess.run([need("zbarimg"), "--quiet", "--raw", str(image)], capture_output=True)
    return [line for line in out.stdout.decode().splitlines() if line]


def ink_share(pgm: Path) -> float:
    """Return the share of pixels darker than near-white in a binary PGM (P5) image."""
    data = pgm.read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval, separated by whitespace
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pixels = data[pos + 1:]
    assert fields[0] == b"P5", fields
    dark = sum(1 for value in pixels if value < 200)
    return dark / max(1, len(pixels))


def flip_signed_byte(pdf: bytes) -> bytes:
    """Flip one bit in the page content, inside the signed byte range."""
    start = pdf.index(b"stream", 200) + 20
    out = bytearray(pdf)
    out[start] ^= 0x01
    return bytes(out)


def change_signature_hex(pdf: bytes) -> bytes:
    """Change one hex digit inside the signature's /Contents (the CMS signature value)."""
    begin = pdf.index(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", begin)
    blob = pdf[begin:end].rstrip(b"0")
    # The ECDSA signature value is among the last bytes of the CMS structure.
    pos = begin + len(blob) - 20
    out = bytearray(pdf)
    out[pos] = ord("0") if out[pos] != ord("0") else ord("1")
    return bytes(out)


def append_incremental_update(pdf: bytes) -> bytes:
    """Append a new revision that adds text to the first page after signing."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 72 Td (Score: 5) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(stream))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def job_pdf(client, url: str) -> bytes:
    """Ask for a PDF made by a background job (a report, the minutes) with a POST to ``url``.

    The answer must be the job's progress page; the tests' queue runs the job at once, so its
    progress says done and the download sends the PDF, which is returned.
    """
    started = client.post(url)
    assert started.status_code == 302, started.data[:300]
    assert "/documents/exports/" in started.headers["Location"], started.headers["Location"]
    progress = client.get(started.headers["Location"] + "/progress").get_json()
    assert progress["status"] == "done", progress
    with client.get(progress["download_url"]) as response:
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        return response.data
