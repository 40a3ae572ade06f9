"""The certification gate: a session requires a calibration pass; overrides are audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import PASSWORD, make_world
from test_calibration import _run, _write

from scoring.calibration.transfer import read_set_file
from scoring.documents.context import minutes_context
from scoring.extensions import db
from scoring.models import AuditEvent, CalibrationSet, User
from scoring.workflow import CLI, WorkflowError, create_user, update_panel
from scoring.workflow import calibration as verbs


@pytest.fixture
def gated(app, tmp_path):
    """A world whose session requires the example set; a new examiner, not yet certified."""
    path = _write(tmp_path)
    with app.app_context():
        world = make_world()
        cal = verbs.import_set(read_set_file(path), tmp_path, info=CLI)
        verbs.set_requirement(world.session, cal, min_exact=0.6, min_adjacent=0.9,
                              max_abs_deviation=0.5, valid_days=30, info=CLI)
        create_user("newbie", "New Examiner", "examiner", PASSWORD)
        db.session.commit()
    return app


def _add_newbie():
    from scoring.models import Panel

    panel = db.session.query(Panel).filter_by(name="Panel 1").one()
    newbie = db.session.query(User).filter_by(username="newbie").one()
    update_panel(panel, name=panel.name, members=[m.user for m in panel.members] + [newbie],
                 chair=panel.chair)
    return panel


PERFECT = [(4, 3, 2), (2, 2, 3)]  # exactly the reference


def test_gate_refuses_with_a_message_naming_what_is_missing(gated):
    with gated.app_context():
        with pytest.raises(WorkflowError) as info:
            _add_newbie()
        assert info.value.code == "not_certified"
        text = str(info.value.message)
        assert "newbie" in text and "EX-CAL" in text and "60%" in text and "90%" in text
        db.session.rollback()
        # members already seated stay seated: editing the panel otherwise still works
        from scoring.models import Panel

        panel = db.session.query(Panel).filter_by(name="Panel 1").one()
        update_panel(panel, name="Panel 1", members=[m.user for m in panel.members],
                     chair=panel.chair, room="Room 9")


def test_a_failed_attempt_still_refuses_a_pass_admits(gated):
    with gated.app_context():
        newbie = db.session.query(User).filter_by(username="newbie").one()
        cal = db.session.query(CalibrationSet).one()
        failed = _run(cal, newbie, [(5, 5, 5), (4, 4, 4)])
        assert failed.passed is False
        with pytest.raises(WorkflowError):
            _add_newbie()
        db.session.rollback()
        newbie = db.session.query(User).filter_by(username="newbie").one()
        cal = db.session.query(CalibrationSet).one()
        passed = _run(cal, newbie, PERFECT)
        assert passed.passed and passed.exact == 1.0
        panel = _add_newbie()
        assert "newbie" in [m.user.username for m in panel.members]


def test_a_pass_expires_after_the_validity_period(gated):
    with gated.app_context():
        newbie = db.session.query(User).filter_by(username="newbie").one()
        attempt = _run(db.session.query(CalibrationSet).one(), newbie, PERFECT)
        attempt.finished_at = attempt.finished_at - timedelta(days=31)
        db.session.flush()
        with pytest.raises(WorkflowError, match="30"):
            _add_newbie()


def test_override_is_audited_and_printed_in_the_minutes(gated):
    with gated.app_context():
        from scoring.models import InterviewSession

        session = db.session.query(InterviewSession).one()
        newbie = db.session.query(User).filter_by(username="newbie").one()
        admin = db.session.query(User).filter_by(username="admin").one()
        with pytest.raises(WorkflowError, match="10"):
            verbs.override_certification(session, newbie, "short", actor=admin)
        verbs.override_certification(session, newbie, "Senior examiner, certified in 2024.",
                                     actor=admin)
        panel = _add_newbie()
        event = db.session.query(AuditEvent).filter_by(action="certification.override").one()
        assert "Senior examiner" in event.data and event.actor == "admin"
        doc = minutes_context(session, panel)
        assert doc["certification_overrides"][0]["reason"] == "Senior examiner, certified in 2024."
        assert "certification_overrides" not in minutes_context(
            session, [p for p in session.panels if p.id != panel.id][0])


def test_gate_page_sets_the_requirement_and_records_an_override(gated):
    client = gated.test_client()
    client.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    with gated.app_context():
        from scoring.models import InterviewSession

        sid = db.session.query(InterviewSession).one().id
        cal_id = db.session.query(CalibrationSet).one().id
        newbie_id = db.session.query(User).filter_by(username="newbie").one().id
    page = client.get(f"/calibration/sessions/{sid}").get_data(as_text=True)
    assert "newbie" in page and "Belum tersertifikasi" in page
    r = client.post(f"/calibration/sessions/{sid}", data={
        "action": "requirement", "req-set_id": cal_id, "req-min_exact": "70",
        "req-min_adjacent": "95", "req-max_abs_deviation": "0.4", "req-valid_days": "90"})
    assert r.status_code == 302
    r = client.post(f"/calibration/sessions/{sid}", data={
        "action": "override", "ovr-user_id": newbie_id, "ovr-reason": "too short"})
    assert r.status_code == 200 and "10" in r.get_data(as_text=True)
    r = client.post(f"/calibration/sessions/{sid}", data={
        "action": "override", "ovr-user_id": newbie_id,
        "ovr-reason": "Seated by decision of the head of BKPSDM."})
    assert r.status_code == 302
    with gated.app_context():
        from scoring.models import CalibrationRequirement

        req = db.session.query(CalibrationRequirement).one()
        assert (req.min_exact, req.min_adjacent, req.max_abs_deviation, req.valid_days) == \
            (pytest.approx(0.7), pytest.approx(0.95), pytest.approx(0.4), 90)
        _add_newbie()
    # an examiner may not open the gate page
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "ex11", "password": PASSWORD})
    assert client.get(f"/calibration/sessions/{sid}").status_code == 403
