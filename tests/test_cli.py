"""The `scoring` command line, run as users run it."""

import json
from pathlib import Path

import pytest
from factories import full_state, make_world
from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import Candidate, User
from scoring.paths import data_dir


def test_rubric_check_accepts_every_shipped_rubric(runner):
    paths = sorted(str(p) for p in data_dir("rubrics").glob("*.yaml"))
    assert len(paths) >= 3
    result = runner.invoke(args=["rubric", "check", *paths])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok") == len(paths)


def test_rubric_check_fails_on_a_bad_file(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\n")
    result = runner.invoke(args=["rubric", "check", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml" in result.output


def test_import_reports_bad_rows_and_writes_nothing(app, runner, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("participant_number,name\nA-1,Ani\nA-2,\nA-3,Budi\n")
    result = runner.invoke(args=["import", "candidates", str(path)])
    assert result.exit_code == 1
    assert "row 3, column name" in result.output
    assert "nothing was written" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_import_dry_run_then_real_then_again(app, runner, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("participant_number;name\nA-1;Ani\nA-2;Budi\n")
    result = runner.invoke(args=["import", "candidates", str(path), "--dry-run"])
    assert result.exit_code == 0 and "2 would be created" in result.output
    result = runner.invoke(args=["import", "candidates", str(path)])
    assert result.exit_code == 0 and "2 were created" in result.output
    result = runner.invoke(args=["import", "candidates", str(path)])
    assert "0 were created, 0 updated, 2 unchanged" in result.output


def test_user_add_and_set_password(app, runner):
    result = runner.invoke(args=["user", "add", "budi", "--name", "Budi", "--role", "examiner",
                                 "--password", "rahasia-123"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["user", "add", "budi", "--name", "Budi", "--role", "examiner",
                                 "--password", "rahasia-123"])
    assert result.exit_code == 1 and "budi" in result.output  # "sudah dipakai" (taken)
    result = runner.invoke(args=["user", "set-password", "budi", "--password", "short"])
    assert result.exit_code == 1
    result = runner.invoke(args=["user", "set-password", "budi"],
                           env={"SCORING_PASSWORD": "another-secret"})
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "budi"))
        assert user.check_password("another-secret")


def test_export_results_ranks_closed_candidates(app, runner, tmp_path):
    from scoring.workflow import close_candidate, declare_conflict, submit_sheet

    with app.app_context():
        world = make_world()
        for i, assignment in enumerate(world.assignments[0][:2]):
            for examiner in world.examiners[0]:
                declare_conflict(assignment, examiner, "none")
                submit_sheet(assignment, examiner, client_id="t", seq=1,
                             scores=full_state(world.rubric, 3 + i))
            if i == 1:  # only a closed candidate has a final score and a rank
                close_candidate(assignment, world.examiners[0][0])
        db.session.commit()
    out = tmp_path / "r.csv"
    result = runner.invoke(args=["export", "results", "--session", "S1", "--output", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Sesi;S1;Test session;Tanggal;2025-11-28"  # Indonesian by default
    assert lines[1].startswith("formasi;peringkat_formasi;nomor_peserta;nama;peringkat_sesi;")
    result = runner.invoke(args=["export", "results", "--session", "S1", "--output", str(out),
                                 "--lang", "en"])
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Session,S1,Test session,Date,2025-11-28"
    assert lines[1].startswith("position,position_rank,participant_number,name,rank,")
    assert lines[2].startswith(",1,P1-002,") and ",closed," in lines[2]
    assert lines[3].startswith(",,P1-001,") and ",complete," in lines[3]
    assert ",waiting for 3 sheets," in lines[4]  # no number before every sheet is in
    xlsx = tmp_path / "r.xlsx"
    result = runner.invoke(args=["export", "results", "--session", "1", "--output", str(xlsx)])
    assert result.exit_code == 0 and xlsx.read_bytes()[:2] == b"PK"
    result = runner.invoke(args=["export", "results", "--session", "nope"])
    assert result.exit_code == 2 and "no session" in result.output


def test_init_creates_keys_and_demo_loads_reproducibly(app, runner, tmp_path):
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "ketua1" in result.output and "penguji2" in result.output
    assert "magang1" in result.output  # the trainee of the examiners' history (issue 15)
    result = runner.invoke(args=["demo"])
    assert "already loaded" in result.output and "magang1" in result.output
    result = runner.invoke(args=["audit", "verify", "--json"])
    assert json.loads(result.output)["ok"] is True
    from scoring.models import InterviewSession, ScoreSheet
    from scoring.ops.demo import DEMO_CODE

    with app.app_context():
        from scoring.models import Assignment, InterviewSession
        from scoring.ops.demo import DEMO_CODE

        classic = select(InterviewSession.id).where(
            InterviewSession.code == DEMO_CODE).scalar_subquery()  # issue 16 adds a second
        assert db.session.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.session_id == classic)) == 60
        submitted = db.session.scalar(select(func.count()).select_from(ScoreSheet).where(
            ScoreSheet.status == "submitted", ScoreSheet.session_id == classic))
        assert 150 <= submitted <= 170  # about two thirds of 60 candidates x 4 examiners
        # Two earlier sessions (the examiners' history) and one for candidates' results.
        assert db.session.scalar(select(func.count()).select_from(InterviewSession)) == 4


BAD_RUBRICS = sorted((Path(__file__).parent / "data" / "rubrics" / "bad").glob("*.yaml"))


def _expectation(path):
    head = dict(
        line[2:].split(":", 1) for line in path.read_text().splitlines()[:5]
        if line.startswith("# ") and ":" in line
    )
    return head["expect"].strip(), head["expect-line"].strip()


def test_there_are_enough_malformed_rubrics():
    assert len(BAD_RUBRICS) >= 20


@pytest.mark.parametrize("path", BAD_RUBRICS, ids=lambda p: p.name)
def test_rubric_check_names_file_line_and_field(runner, path):
    field, line = _expectation(path)
    result = runner.invoke(args=["rubric", "check", "--lang", "en", str(path)])
    assert result.exit_code == 1
    where = f"{path}:" if line == "none" else f"{path}:{line}:"
    message = next(m for m in result.output.splitlines() if m.startswith(where))
    assert field in message, message
