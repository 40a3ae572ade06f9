"""Examiner records: the demo's history, the CLI's JSON, who sees whose record, the briefing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from doc_helpers import pdf_text, prepare_signing
from factories import PASSWORD, make_world
from sqlalchemy import select

from scoring.examiners.demo import load_demo_history
from scoring.examiners.queries import CALIBRATION_KEYS, SESSION_KEYS, SHADOW_KEYS
from scoring.extensions import db
from scoring.models import User
from scoring.ops.demo import load_demo


@pytest.fixture
def history(app):
    """The classic demo with the examiners' history, as `scoring demo` loads it."""
    prepare_signing(app)
    with app.app_context():
        load_demo(dt.date(2025, 11, 28))
        load_demo_history()
        db.session.commit()
    return app


def _history(app, username):
    result = app.test_cli_runner().invoke(args=["examiner", "history", username, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_demo_history_lenient_in_every_session_and_one_examiner_improves(history):
    lenient = _history(history, "penguji2")
    assert set(lenient) == {"examiner", "sessions", "calibration", "shadow"}
    assert len(lenient["sessions"]) == 3
    for s in lenient["sessions"]:
        assert tuple(s) == SESSION_KEYS
        assert "lenient" in s["flags"] and s["ci_low"] > 0
    assert all(tuple(c) == CALIBRATION_KEYS for c in lenient["calibration"])
    improving = _history(history, "penguji4")
    devs = [s["deviation"] for s in improving["sessions"]]
    assert len(devs) == 3 and devs[0] > devs[1] > abs(devs[2])
    assert "lenient" in improving["sessions"][0]["flags"]
    assert [c["passed"] for c in improving["calibration"]] == [False, True]
    trainee = _history(history, "magang1")
    assert trainee["sessions"] == [] and len(trainee["shadow"]) == 2
    assert all(tuple(s) == SHADOW_KEYS for s in trainee["shadow"])
    assert trainee["shadow"][0]["exact"] is not None
    text = history.test_cli_runner().invoke(args=["examiner", "history", "penguji2"]).output
    assert text.count("flags lenient") == 3


def test_records_and_briefing_on_the_demo(history):
    client = history.test_client()
    client.post("/auth/login", data={"username": "penguji2", "password": "penguji2-demo"})
    with history.app_context():
        ids = {u.username: u.id for u in db.session.scalars(select(User))}
    page = client.get(f"/examiners/{ids['penguji2']}").get_data(as_text=True)
    # The two published sessions; the current one hides its candidates from penguji2 until
    # the chair opens discussion (the visibility rule applies to records too).
    assert page.count('data-flag="lenient"') == 2 and "<svg" in page
    assert client.get(f"/examiners/{ids['penguji4']}").status_code == 404
    assert client.get("/examiners/").status_code == 403
    pdf = client.get(f"/examiners/{ids['penguji2']}/briefing.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("inline; filename=briefing-penguji2.pdf")
    text = pdf_text(pdf.data)
    assert "Jangkar yang perlu diperhatikan" in text and "di atas panel Anda" in text
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "ketua1", "password": "ketua1-demo"})
    table = client.get("/examiners/?sort=mean_deviation&desc=1").get_data(as_text=True)
    assert table.index("penguji2") < table.index("penguji5")
    assert client.get(f"/examiners/{ids['penguji4']}").status_code == 200


def test_an_examiner_sees_only_their_own_record(app):
    with app.app_context():
        make_world()
        ids = {u.username: u.id for u in db.session.scalars(select(User))}
    client = app.test_client()
    client.post("/auth/login", data={"username": "ex11", "password": PASSWORD})
    assert client.get(f"/examiners/{ids['ex11']}").status_code == 200
    assert client.get(f"/examiners/{ids['ex12']}").status_code == 404
    assert client.get(f"/examiners/{ids['ex12']}/briefing.pdf").status_code == 404
    assert client.get(f"/examiners/{ids['admin']}").status_code == 404
    assert client.get("/examiners/").status_code == 403
