"""The audit chain is anchored outside the database (issue 11.6).

An attacker with database access drops the guard, edits an event and recomputes every later
hash: the plain `scoring audit verify` then says "intact" (shown here). Sealed documents and
checkpoints made before carry the head they saw, so `--against` names where the chain breaks.
"""

from __future__ import annotations

import json

from doc_helpers import BASE, pdf_text, signed_world
from factories import audit_guard_off
from sqlalchemy import select, text

from scoring.documents.sealing import SealJob, seal
from scoring.extensions import db
from scoring.models import AuditEvent, AuditHead, ScoreSheet
from scoring.workflow import verify_chain
from scoring.workflow.anchors import chain_head, read_anchor
from scoring.workflow.audit import GENESIS, event_hash
from scoring.workflow.documents import institution_key, issue_sheet_document


def _rewrite_history(event_id: int) -> None:
    """Edit one event and recompute the whole chain and its head, as an attacker would."""
    with audit_guard_off():
        db.session.execute(text("UPDATE audit_event SET data = :d WHERE id = :i"),
                           {"d": '{"rewritten":true}', "i": event_id})
        db.session.commit()
        db.session.expire_all()
        prev = GENESIS
        for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            event.prev_hash = prev
            event.hash = event_hash(event)
            prev = event.hash
        head = db.session.get(AuditHead, 1)
        head.last_hash = prev
        db.session.commit()


def _checkpoint(runner, path) -> None:
    result = runner.invoke(args=["audit", "checkpoint", "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert "Checkpoint of event" in result.output


def test_documents_carry_the_chain_head_in_text_seal_and_row(app):
    with app.app_context():
        app.config["PUBLIC_BASE_URL"] = BASE
        world = signed_world(app, candidates=1)
        sheet = db.session.scalars(select(ScoreSheet).where(
            ScoreSheet.assignment_id == world.assignments[0][0].id,
            ScoreSheet.status == "submitted")).first()
        head = chain_head()
        document = issue_sheet_document(sheet)
        db.session.commit()
        assert (document.audit_event, document.audit_hash) == (head.event, head.hash)
        assert read_anchor(document.pdf) == head
        words = " ".join(pdf_text(document.pdf, layout=False).split())
        # Indonesian by default: "Kepala jejak audit saat disegel: peristiwa 21, hash 7e2c..."
        assert f"peristiwa {head.event}, hash" in words
        assert head.hash in words.replace(" ", "")


def test_rewritten_chain_passes_the_plain_check_but_not_the_anchors(app, runner, tmp_path):
    before = tmp_path / "before.pdf"
    with app.app_context():
        app.config["PUBLIC_BASE_URL"] = BASE
        world = signed_world(app, candidates=2)
        sheet = db.session.scalars(select(ScoreSheet).where(
            ScoreSheet.assignment_id == world.assignments[0][0].id,
            ScoreSheet.status == "submitted")).first()
        document = issue_sheet_document(sheet)
        db.session.commit()
        (tmp_path / "sheet.pdf").write_bytes(document.pdf)
        anchored_at = document.audit_event
    _checkpoint(runner, before)
    ok = runner.invoke(args=["audit", "verify", "--against", str(before),
                             "--against", str(tmp_path / "sheet.pdf")])
    assert ok.exit_code == 0, ok.output
    assert "consistent with 2 sealed file(s)" in ok.output

    with app.app_context():
        _rewrite_history(5)
        assert verify_chain().ok  # the plain chain cannot tell
    plain = runner.invoke(args=["audit", "verify"])
    assert plain.exit_code == 0 and "intact" in plain.output

    with app.app_context():
        checkpoint_event = read_anchor(before.read_bytes()).event
    broken = runner.invoke(args=["audit", "verify", "--json", "--against", str(before),
                                 "--against", str(tmp_path / "sheet.pdf")])
    assert broken.exit_code == 1
    verdict = json.loads(broken.output)
    # the earliest anchor after the edit is named: the sheet's, made before the checkpoint
    assert verdict["ok"] is False and verdict["first_bad_id"] == anchored_at < checkpoint_event
    assert verdict["file"].endswith("sheet.pdf") and verdict["expected"] != verdict["found"]
    text_out = runner.invoke(args=["audit", "verify", "--against", str(before)])
    assert text_out.exit_code == 1
    assert f"event {checkpoint_event}" in text_out.output and "before.pdf" in text_out.output


def test_against_refuses_files_not_sealed_here_or_without_a_head(app, runner, tmp_path):
    with app.app_context():
        app.config["PUBLIC_BASE_URL"] = BASE
        signed_world(app, candidates=1)
    good = tmp_path / "cp.pdf"
    _checkpoint(runner, good)
    forged = tmp_path / "forged.pdf"
    data = bytearray(good.read_bytes())
    data[len(data) // 3] ^= 0x01  # any change to the sealed bytes
    forged.write_bytes(bytes(data))
    result = runner.invoke(args=["audit", "verify", "--against", str(forged)])
    # (the CLI speaks the default language, Indonesian)
    assert result.exit_code != 0 and "forged.pdf bukan dokumen yang disegel" in result.output
    unanchored = tmp_path / "old.pdf"
    with app.app_context():
        key = institution_key()
        job = SealJob("<p>before anchoring</p>", "", "sheet S1", "Hall")
        unanchored.write_bytes(seal(job, key))
    result = runner.invoke(args=["audit", "verify", "--against", str(unanchored)])
    assert result.exit_code != 0 and "old.pdf tidak memuat kepala rantai audit" in result.output
