"""Bulk export of signed sheets: background job with progress, CLI, clean failure, workers."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import multiprocessing
import os
import time
import zipfile
from pathlib import Path

import pytest
from doc_helpers import BASE, signed_world
from factories import PASSWORD
from sqlalchemy import func, select

from scoring.documents.signing import validate_pdf
from scoring.extensions import db
from scoring.models import Document, ExportJob, ScoreSheet
from scoring.workflow.document_export import (
    ExportError,
    run_export,
    start_export,
    write_sheets_zip,
)
from scoring.workflow.documents import institution_key, short_code

ROOT = Path(__file__).resolve().parents[1]


def _login(client, username, password=PASSWORD):
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": username, "password": password})


def _zip_pdfs(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_background_export_with_progress_that_survives_reload(app, client):
    with app.app_context():
        world = signed_world(app, candidates=2)  # panel 1: 2 candidates x 3 examiners
        session_id, panel_id = world.session.id, world.panels[0].id
    _login(client, "ex11")
    assert client.get(f"/documents/session/{session_id}").status_code == 404
    _login(client, "chair1")
    page = client.get(f"/documents/session/{session_id}")
    assert page.status_code == 200 and b"Panel 1" in page.data and b"Panel 2" not in page.data
    response = client.post(f"/documents/session/{session_id}", data={"panel": panel_id})
    assert response.status_code == 302
    job_url = response.headers["Location"]
    token = job_url.rsplit("/", 1)[-1]
    deadline = time.monotonic() + 60
    while True:
        progress = client.get(f"{job_url}/progress").get_json()
        assert progress["total"] == 6 and 0 <= progress["done"] <= 6
        if progress["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert progress["status"] == "done", progress
    reloaded = client.get(job_url)  # a reload finds the job by its token in the URL
    assert reloaded.status_code == 200
    assert b"<progress" in reloaded.data and b'value="6"' in reloaded.data
    assert progress["download_url"].encode() in reloaded.data
    assert b"js/export-progress.js" in reloaded.data
    with client.get(progress["download_url"]) as download:
        assert download.status_code == 200 and download.mimetype == "application/zip"
        files = _zip_pdfs(download.data)
    pdfs = {n: b for n, b in files.items() if n.endswith(".pdf")}
    assert len(pdfs) == 6 and "manifest.csv" in files
    assert all(name.startswith("Panel_1/P1-00") for name in pdfs)
    with app.app_context():
        key = institution_key()
        assert all(validate_pdf(pdf, key).status == "valid" for pdf in pdfs.values())
    _login(client, "chair2")
    assert client.get(job_url).status_code == 404
    assert client.get(f"/documents/exports/{token}/download").status_code == 404


def test_cli_export_with_progress_bar_reuses_stored_documents(app, runner, tmp_path):
    with app.app_context():
        signed_world(app, candidates=2)
    out = tmp_path / "sheets.zip"
    args = ["export", "sheets", "--session", "S1", "--output", str(out), "--base-url", BASE]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Wrote 6 signed sheets" in result.output
    first = _zip_pdfs(out.read_bytes())
    assert len([n for n in first if n.endswith(".pdf")]) == 6
    assert runner.invoke(args=args).exit_code == 0
    assert _zip_pdfs(out.read_bytes()) == first  # the same documents, not re-rendered
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == 6
    empty = runner.invoke(args=["export", "sheets", "--session", "S1", "--panel", "Panel 2",
                                "--output", str(tmp_path / "none.zip")])
    assert empty.exit_code != 0 and "no submitted sheet" in empty.output


BAD_IMAGE = '<img src="file:///font-cache-exploded.png">'


def _fail_on_second(monkeypatch):
    """Give the second sheet HTML that the renderer refuses, in this process or a worker."""
    import scoring.workflow.document_export as export

    real, calls = export.prepare_sheet_document, []

    def flaky(*args, **kwargs):
        prepared = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 2:
            job = dataclasses.replace(prepared.job, html=prepared.job.html + BAD_IMAGE)
            return dataclasses.replace(prepared, job=job)
        return prepared

    monkeypatch.setattr(export, "prepare_sheet_document", flaky)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_document_is_named_and_stops_cleanly(app, runner, tmp_path, monkeypatch,
                                                       workers):
    app.config["EXPORT_WORKERS"] = workers
    with app.app_context():
        signed_world(app, candidates=2)
    _fail_on_second(monkeypatch)
    out = tmp_path / "sheets.zip"
    result = runner.invoke(args=["export", "sheets", "--session", "S1", "--output", str(out),
                                 "--base-url", BASE])
    assert result.exit_code == 1
    assert "P1-001" in result.output and "examiner" in result.output
    assert "refused to fetch" in result.output and "font-cache-exploded" in result.output
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    assert not multiprocessing.active_children()  # the pool is shut down
    with app.app_context():  # the document issued before the failure is kept, valid
        assert db.session.scalar(select(func.count(Document.id))) == 1
        document = db.session.scalar(select(Document))
        assert validate_pdf(document.pdf, institution_key()).status == "valid"


@pytest.mark.parametrize("workers", [1, 2])
def test_failed_job_records_the_document_and_leaves_no_file(app, monkeypatch, workers):
    app.config["EXPORT_WORKERS"] = workers
    with app.app_context():
        world = signed_world(app, candidates=2)
        job = start_export(world.session, world.panels[0], world.admin)
        db.session.commit()
        _fail_on_second(monkeypatch)
        job = run_export(job.id, BASE)
        assert job.status == "failed" and job.finished_at is not None
        assert "P1-001" in job.error and "refused to fetch" in job.error
        assert job.done == 1 and job.path is None
        from scoring.workflow.document_export import export_file

        assert not export_file(job).exists()
        assert db.session.get(ExportJob, job.id).status == "failed"


def _manifest(files: dict[str, bytes]) -> list[dict]:
    return list(csv.DictReader(io.StringIO(files["manifest.csv"].decode())))


def test_parallel_export_matches_one_worker(app, tmp_path):
    with app.app_context():
        world = signed_world(app, candidates=3)
        session, key = world.session, institution_key()
        runs = {}
        for workers, base in ((1, BASE), (2, BASE + "/parallel")):  # new base: issued afresh
            out, seen = tmp_path / f"w{workers}.zip", []
            written = write_sheets_zip(session, None, out, base_url=base, workers=workers,
                                       progress=lambda done, total, seen=seen:
                                       seen.append((done, total)))
            assert written == 9 and seen == [(n, 9) for n in range(1, 10)]
            runs[workers] = _zip_pdfs(out.read_bytes())
        assert not multiprocessing.active_children()
        assert db.session.scalar(select(func.count(Document.id))) == 18
        serial, parallel = _manifest(runs[1]), _manifest(runs[2])
        facts = ("file", "panel", "participant_number", "examiner")
        assert [[r[f] for f in facts] for r in parallel] == [[r[f] for f in facts] for r in serial]
        assert list(runs[2]) == list(runs[1])  # the same ZIP order
        for files, rows in ((runs[1], serial), (runs[2], parallel)):
            for row in rows:
                pdf = files[row["file"]]
                assert validate_pdf(pdf, key).status == "valid"
                assert hashlib.sha256(pdf).hexdigest() == row["sha256"]
                document = db.session.scalar(select(Document).where(
                    Document.sha256 == row["sha256"]))
                assert short_code(document.token) == row["verification_code"]
                assert document.participant_number == row["participant_number"]
                sheet = db.session.get(ScoreSheet, document.sheet_id)
                assert sheet.examiner.username == row["examiner"]
        assert {r["sha256"] for r in serial}.isdisjoint(r["sha256"] for r in parallel)


def test_a_failing_preparation_keeps_the_sheets_before_it(app, tmp_path, monkeypatch):
    import scoring.workflow.document_export as export

    real, calls = export.prepare_sheet_document, []

    def broken_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise LookupError("rubric vanished")
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "prepare_sheet_document", broken_third)
    with app.app_context():
        world = signed_world(app, candidates=2)
        out, seen = tmp_path / "sheets.zip", []
        with pytest.raises(ExportError, match="rubric vanished") as failure:
            write_sheets_zip(world.session, None, out, base_url=BASE, workers=2,
                             progress=lambda done, total: seen.append(done))
        assert "P1-001" in failure.value.label and "ex12" in failure.value.label
        assert seen == [1, 2] and not out.exists() and not list(tmp_path.glob("*.part"))
        assert db.session.scalar(select(func.count(Document.id))) == 2


def test_the_sealing_pool_s_server_process_imports_no_renderer():
    """The pool's processes are forked from a server that imports only the sealing module;
    WeasyPrint and pyHanko (about 1.5 s of CPU to import) are loaded by each pool worker
    after it has lowered its priority, never at the exporting process's priority."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, scoring.documents.sealing; "
         "print(sorted({m.split('.')[0] for m in sys.modules} & {'weasyprint', 'pyhanko'}))"],
        capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
    assert loaded == "[]"


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling policies")
def test_idle_sealing_processes_take_only_cpu_nobody_else_wants(app):
    """RENDER_NICE "idle" (the default) runs the pool under SCHED_IDLE, set before the
    renderer is imported (above); the exporting process keeps its own policy."""
    from scoring.documents.sealing import render_nice, seal_pool
    from scoring.workflow.documents import document_css, signing_source

    assert render_nice(app.config["RENDER_NICE"]) == "idle"
    with app.app_context():
        signed_world(app, candidates=1)
        pool = seal_pool(1, signing_source(), document_css(), nice="idle")
        try:
            policy = pool.submit(os.sched_getscheduler, 0).result(timeout=120)
        finally:
            pool.shutdown()
    assert policy == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == os.SCHED_OTHER


def test_the_sealing_processes_yield_the_cpu_to_the_web_server(app, tmp_path, monkeypatch):
    """RENDER_NICE lowers the sealing pool's priority; the exporting process keeps its own."""
    import scoring.workflow.document_export as document_export
    from scoring.documents.sealing import render_nice, seal_pool
    from scoring.workflow.documents import document_css, signing_source

    with app.app_context():
        world = signed_world(app, candidates=1)
        mine = os.nice(0)
        pool = seal_pool(1, signing_source(), document_css(), nice=7)
        try:
            assert pool.submit(os.nice, 0).result(timeout=120) == min(19, mine + 7)
        finally:
            pool.shutdown()
        assert os.nice(0) == mine
        asked = []
        real = document_export.seal_pool
        monkeypatch.setattr(document_export, "seal_pool", lambda *a: asked.append(a[3]) or real(*a))
        app.config["RENDER_NICE"] = 5
        write_sheets_zip(world.session, None, tmp_path / "n.zip", base_url=BASE, workers=2)
        assert asked == [5]
        for wrong in (-1, 20, "10", "IDLE", True, None):
            with pytest.raises(ValueError, match="RENDER_NICE must be \"idle\" or a whole"):
                render_nice(wrong)
