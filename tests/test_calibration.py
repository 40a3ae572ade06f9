"""Calibration sets: files validated with file:line errors, import/export, practice, figures."""

from __future__ import annotations

import html
import io
import re

import numpy as np
import pytest
from factories import PASSWORD, full_state, make_world

from scoring.calibration.figures import reference_figures
from scoring.calibration.sets import CalibrationError
from scoring.calibration.transfer import read_set_file
from scoring.extensions import db
from scoring.models import AuditEvent, CalibrationAnswer, CalibrationSet, Score, ScoreSheet
from scoring.paths import data_dir
from scoring.stats import percent_agreement, read_long_csv
from scoring.workflow import CLI
from scoring.workflow import calibration as verbs

SET_YAML = """\
code: EX-CAL
title: Example practice
rubric: {id: example-en, version: "1"}
pass: {exact: 0.5, adjacent: 0.9, mean_deviation: 0.5}
cases:
  - code: A
    title: First case
    summary: |
      **Answer.** The candidate described a *concrete* example.
    reference:
      SERVICE: {level: 4, rationale: Concrete service improvement.}
      TEAM: {level: 3, rationale: Helped without being asked.}
      COMMUNICATION: {level: 2, rationale: Hard to follow.}
  - code: B
    title: Second case
    summary: Plain answer.
    media: b.mp3
    reference:
      SERVICE: {level: 2, rationale: Reactive.}
      TEAM: {level: 2, rationale: Did their part.}
      COMMUNICATION: {level: 3, rationale: Clear and ordered.}
"""
DEMO_SET = data_dir("rubrics") / "calibration" / "kalibrasi-wawancara-asn.yaml"


def _write(tmp_path, text=SET_YAML, media=True):
    path = tmp_path / "set.yaml"
    path.write_text(text, encoding="utf-8")
    if media:
        (tmp_path / "b.mp3").write_bytes(b"ID3 fake audio")
    return path


def _errors(path):
    with pytest.raises(CalibrationError) as info:
        read_set_file(path)
    return [str(e) for e in getattr(info.value, "all", [info.value])]


@pytest.mark.parametrize(("old", "new", "line", "words"), [
    ("{level: 3, rationale: Helped without being asked.}",
     "{level: 9, rationale: Helped without being asked.}", 12, "TEAM.level"),
    ("      COMMUNICATION: {level: 2, rationale: Hard to follow.}\n", "", 10, "no reference"),
    ("    media: b.mp3", "    media: ../b.mp3", 17, "inside the set"),
    ('version: "1"', 'version: "7"', 3, "no rubric example-en version 7"),
    ("  - code: B", "  - code: A", 14, "used twice"),
    ("title: First case", "titel: First case", 7, "unknown key"),
])
def test_errors_name_file_line_and_place(app, tmp_path, old, new, line, words):
    path = _write(tmp_path, SET_YAML.replace(old, new))
    with app.app_context():
        errors = _errors(path)
    assert any(e.startswith(f"{path}:{line}: ") and words in e for e in errors), errors


def test_missing_media_and_bad_yaml(app, tmp_path):
    with app.app_context():
        assert any(":17: case 2 › media" in e and "not found" in e
                   for e in _errors(_write(tmp_path, media=False)))
        bad = _write(tmp_path, SET_YAML.replace("cases:", "cases: [", 1))
        assert _errors(bad)[0].startswith(f"{bad}:")


def test_the_shipped_demo_set_is_valid(app):
    with app.app_context():
        parsed = read_set_file(DEMO_SET)
    assert len(parsed.cases) == 6 and parsed.rubric.id == "wawancara-kompetensi-asn"
    assert all(set(c.reference) == set(parsed.rubric.codes) for c in parsed.cases)


def test_cli_import_export_round_trip(app, runner, tmp_path):
    path = _write(tmp_path)
    result = runner.invoke(args=["calibration", "import", str(path)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / "again.yaml"
    result = runner.invoke(args=["calibration", "export", "EX-CAL", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert (out.parent / "EX-CAL-B.mp3").read_bytes() == b"ID3 fake audio"
    with app.app_context():
        again = read_set_file(out)
        first = read_set_file(path)
        assert again == first.__class__(**{**first.__dict__, "cases": tuple(
            c.__class__(**{**c.__dict__, "media": m})
            for c, m in zip(first.cases, (None, "EX-CAL-B.mp3"), strict=True))})
        stored = db.session.query(CalibrationSet).one()
        assert (verbs.media_dir() / stored.cases[1].media).read_bytes() == b"ID3 fake audio"
    # a second import of the same code is refused, nothing written
    result = runner.invoke(args=["calibration", "import", str(path)])
    assert result.exit_code != 0 and "EX-CAL" in result.output


def test_cli_import_reports_every_error_with_lines(runner, tmp_path):
    text = SET_YAML.replace("level: 4", "level: 0").replace("level: 2,", "level: x,")
    path = _write(tmp_path, text)
    result = runner.invoke(args=["calibration", "import", "--lang", "en", str(path)])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.startswith(f"{path}:")]
    assert len(lines) >= 3 and all(ln.split(":")[1].isdigit() for ln in lines), result.output


def _imported(app, tmp_path):
    path = _write(tmp_path)
    with app.app_context():
        make_world()
        cal = verbs.import_set(read_set_file(path), tmp_path, info=CLI)
        db.session.commit()
        return cal.id


def _run(cal_set, user, levels_by_case):
    attempt = verbs.start_attempt(cal_set, user)
    for case, levels in zip(cal_set.cases, levels_by_case, strict=True):
        state = {code: {"level": lv, "note": "Evidence noted." if lv in (1, 5) else ""}
                 for code, lv in zip(("SERVICE", "TEAM", "COMMUNICATION"), levels, strict=True)}
        verbs.save_answer(attempt, case, user, state, 1)
        verbs.submit_answer(attempt, case, user, state, 2)
    return attempt


def test_practice_never_touches_real_sheets_or_the_audit(app, tmp_path):
    set_id = _imported(app, tmp_path)
    with app.app_context():
        from scoring.models import User

        user = db.session.query(User).filter_by(username="ex11").one()
        before = (db.session.query(ScoreSheet).count(), db.session.query(Score).count(),
                  db.session.query(AuditEvent).count())
        attempt = _run(db.session.get(CalibrationSet, set_id), user, [(4, 3, 3), (2, 3, 3)])
        db.session.commit()
        after = (db.session.query(ScoreSheet).count(), db.session.query(Score).count(),
                 db.session.query(AuditEvent).count())
        assert before == after
        assert attempt.finished_at is not None
        assert db.session.query(CalibrationAnswer).count() == 2


def test_figures_equal_scoring_stats_on_the_exported_scores(app, client, tmp_path):
    set_id = _imported(app, tmp_path)
    with app.app_context():
        from scoring.models import User

        user = db.session.query(User).filter_by(username="ex11").one()
        attempt = _run(db.session.get(CalibrationSet, set_id), user, [(5, 3, 3), (2, 4, 3)])
        db.session.commit()
        attempt_id = attempt.id
        stored = (attempt.exact, attempt.adjacent, attempt.mean_deviation, attempt.passed)
    client.post("/auth/login", data={"username": "ex11", "password": PASSWORD})
    response = client.get(f"/calibration/attempts/{attempt_id}/scores.csv")
    assert response.status_code == 200
    # An export like every other: one charset, a title row, the reader's CSV style.
    assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[1] == "peserta;penguji;kriteria;nilai;fase"
    arrays = read_long_csv(io.StringIO(response.get_data(as_text=True)))
    j = arrays.examiners.index("ex11"), arrays.examiners.index("reference")
    x = arrays.ratings[:, list(j), :]  # (cases, [examiner, reference], criteria)
    pairs = np.moveaxis(x, 1, -1).reshape(-1, 2)
    assert stored[0] == pytest.approx(percent_agreement(pairs, 0).value)
    assert stored[1] == pytest.approx(percent_agreement(pairs, 1).value)
    assert stored[2] == pytest.approx(np.mean(pairs[:, 0] - pairs[:, 1]))
    # by hand: 6 pairs, exact 4 (3=3, 2=2, 3=3 twice... ) -> differences 1,0,1,0,2,0
    assert stored[:3] == pytest.approx((3 / 6, 5 / 6, 4 / 6))
    assert stored[3] is False  # adjacent below 0.9
    page = client.get(f"/calibration/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "50%" in page and "83,3%" in page and "+0,67" in page


def test_reference_figures_degenerate_and_ranking():
    empty = reference_figures(np.full((2, 3), np.nan), np.ones((2, 3)), "ABC")
    assert empty.n_cases == 0 and np.isnan(empty.exact)
    f = reference_figures([[3, 3, 1]], [[3, 2, 3]], ["A", "B", "C"])
    assert [c.code for c in f.differ_most()] == ["C", "B"]
    assert f.tendency() == "severe"
    with pytest.raises(ValueError, match="shape"):
        reference_figures([[1, 2]], [[1, 2, 3]], "ABC")


def test_practice_pages_on_the_component(app, client, tmp_path):
    set_id = _imported(app, tmp_path)
    client.post("/auth/login", data={"username": "ex11", "password": PASSWORD})
    response = client.post(f"/calibration/sets/{set_id}/start")
    assert response.status_code == 302
    case_url = response.headers["Location"]
    page = client.get(case_url).get_data(as_text=True)
    assert "Latihan" in page and 'id="sheet-data"' in page and 'data-mode="direct"' in page
    # the practice never enters the real outbox nor the day's pre-load
    assert 'id="outbox-data"' not in page and "offline.js" not in page
    assert "<strong>Answer.</strong>" in page and "<em>concrete</em>" in page
    practice = {"urls": {name: html.unescape(re.search(rf'data-{name}-url="([^"]*)"', page)[1])
                         for name in ("draft", "submit", "done")}}
    with app.app_context():
        from scoring.models import User
        from scoring.rubrics import load_rubric

        rubric = load_rubric(data_dir("rubrics") / "example-en.yaml")
        assert db.session.query(User).filter_by(username="ex11").one()
    state = full_state(rubric, 4)
    r = client.post(practice["urls"]["draft"], json={"scores": state, "seq": 1, "client_id": "x"})
    assert r.status_code == 200 and r.json["applied"]
    r = client.post(practice["urls"]["submit"], json={"scores": {}, "seq": 2})
    assert r.status_code == 422
    r = client.post(practice["urls"]["submit"], json={"scores": state, "seq": 2,
                                                      "signature": "data:image/png;base64,"})
    assert r.status_code == 200 and r.json["status"] == "submitted"
    feedback = client.get(practice["urls"]["done"]).get_data(as_text=True)
    assert "Concrete service improvement." in feedback
    assert "1 lebih tinggi" in feedback or "1 higher" in feedback
    # someone else's attempt is not found
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "ex12", "password": PASSWORD})
    assert client.get(case_url).status_code == 404
    assert client.post(practice["urls"]["draft"], json={"scores": {}, "seq": 3},
                       headers={"Accept": "application/json"}).status_code == 404


def test_admin_imports_a_set_in_the_browser_with_errors_by_line(app, client):
    with app.app_context():
        make_world()
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    assert 'action="/calibration/import"' in client.get("/calibration/").get_data(as_text=True)
    bad = SET_YAML.replace("    media: b.mp3\n", "").replace("level: 4", "level: 9")
    r = client.post("/calibration/import", data={"file": (io.BytesIO(bad.encode()), "s.yaml")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "baris 11" in page and "SERVICE.level" in page
    r = client.post("/calibration/import", data={"file": (io.BytesIO(SET_YAML.encode()), "s.yaml")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "scoring calibration import" in r.get_data(as_text=True)
    good = SET_YAML.replace("    media: b.mp3\n", "")
    r = client.post("/calibration/import", data={"file": (io.BytesIO(good.encode()), "s.yaml")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.query(CalibrationSet).one().code == "EX-CAL"
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "ex11", "password": PASSWORD})
    assert client.post("/calibration/import", data={}).status_code == 403
