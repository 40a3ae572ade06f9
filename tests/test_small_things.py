"""Issue 13 point 8: small things a user noticed."""

from __future__ import annotations

import re
import subprocess
import sys

from factories import PASSWORD, make_world

from scoring import create_app
from scoring.extensions import db
from scoring.home import queries
from scoring.i18n import one_full_stop
from scoring.models import InterviewSession, User
from scoring.paths import data_dir


def test_a_name_ending_in_a_dot_gets_one_full_stop(app, client):
    assert one_full_stop("kepada Drs. Yusrizal, M.Si.. Kode") == "kepada Drs. Yusrizal, M.Si. Kode"
    assert one_full_stop("Tunggu...") == "Tunggu..."  # an ellipsis stays
    with app.app_context():
        make_world(candidates_per_panel=1)
        user = db.session.scalar(db.select(User).where(User.username == "ex11"))
        user.full_name = "Drs. Yusrizal, M.Si."
        db.session.commit()
        uid = user.id
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    page = client.post(f"/manage/users/{uid}/reset").get_data(as_text=True)
    assert "M.Si.." not in page and "Drs. Yusrizal, M.Si." in page


def test_member_lists_are_lists_not_a_comma_join(app, client):
    with app.app_context():
        world = make_world(candidates_per_panel=1)
        user = db.session.scalar(db.select(User).where(User.username == "ex11"))
        user.full_name = "Drs. Yusrizal, M.Si."
        db.session.commit()
        sid, pid = world.session.id, world.panels[0].id
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    for url in (f"/manage/sessions/{sid}", f"/manage/panels/{pid}"):
        page = client.get(url).get_data(as_text=True)
        assert "<li>Drs. Yusrizal, M.Si.</li>" in page, url
        assert "M.Si., " not in page and ", Examiner" not in page, url
    body = (data_dir("templates") / "chair" / "_report_lead.html").read_text()
    assert 'join(", ")' not in body  # the report's lead lists flagged examiners one a row
    assert '{% for x in item.items %}<li>{{ x }}</li>{% endfor %}' in body


def test_init_and_rubric_check_do_not_ask_for_scoring_init(tmp_path):
    env = {"SCORING_INSTANCE_PATH": str(tmp_path / "inst"), "PATH": "/usr/bin:/bin"}
    rubric = str(data_dir("rubrics") / "example-en.yaml")
    for args in (["init"], ["rubric", "check", rubric]):
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "scoring", *args],
                                capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
        assert "run `scoring init`" not in result.stdout + result.stderr, args


def test_a_temporary_key_is_still_reported_when_serving(tmp_path, monkeypatch):
    import scoring

    said: list[str] = []
    monkeypatch.setattr(scoring.log, "warning", lambda message, *a: said.append(message))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
                      "SECRET_KEY": None, "TESTING": True})
    assert app.config["SECRET_KEY"] and app.config.get("SECRET_KEY_TEMPORARY")
    assert said == []  # not at start-up (the CLI)
    app.test_client().get("/auth/login")
    app.test_client().get("/auth/login")
    assert len(said) == 1 and "no SECRET_KEY configured" in said[0]  # once, when serving


def test_the_chairs_home_leaves_out_draft_sessions(app, client):
    with app.app_context():
        world = make_world(candidates_per_panel=1, status="draft")
        chair = world.examiners[0][0]
        assert queries.chaired_panels(chair) == []
        world.session.status = "open"
        db.session.commit()
        assert [p.name for p in queries.chaired_panels(chair)] == ["Panel 1"]


def test_nobody_but_the_administrator_sees_a_draft_sessions_panels_at_home(app, client):
    with app.app_context():
        world = make_world(candidates_per_panel=1, status="draft")
        chair, member = world.examiners[0][0], world.examiners[0][1]
        assert queries.examiner_panels(member) == [] and queries.examiner_panels(chair) == []
        username, sid = chair.username, world.session.id
    client.post("/auth/login", data={"username": username, "password": PASSWORD})
    assert "Panel 1" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        db.session.get(InterviewSession, sid).status = "open"
        db.session.commit()
    assert "Panel 1" in client.get("/").get_data(as_text=True)


def test_a_revision_reason_wraps_inside_its_cell():
    css = (data_dir("static") / "css" / "chair.css").read_text()
    rule = re.search(r"\.table td\.num \.scores__reason \{([^}]*)\}", css)
    assert rule and "white-space: normal" in rule.group(1)
