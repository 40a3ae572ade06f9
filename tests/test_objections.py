"""Issue 16: objections (sanggah): window, one per candidate, attachment, receipt, responder,
response, public summary, and an accepted objection's audited correction."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest
from doc_helpers import TINY_PNG
from sqlalchemy import select
from test_candidates import login, make_published

from scoring.extensions import db
from scoring.models import (
    Assignment,
    AuditEvent,
    InterviewSession,
    Objection,
    Publication,
    User,
    utcnow,
)
from scoring.workflow import CLI, WorkflowError, close_candidate, create_user
from scoring.workflow.audit import canonical_json
from scoring.workflow.candidates import live_code
from scoring.workflow.finality import open_correction, reopen_candidate
from scoring.workflow.objections import (
    answer_objection,
    assign_responder,
    attachment_path,
    file_objection,
    publish_objection_correction,
    receipt_content,
    set_policy,
    wib,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def pub(app):
    data = make_published(app)
    with app.app_context():
        session = db.session.get(InterviewSession, data["session"])
        set_policy(session, opens_at=utcnow() - timedelta(hours=1),
                   closes_at=utcnow() + timedelta(days=2), share_notes=False)
        db.session.commit()
    return data


def code_of(app, assignment_id):
    from scoring.models import CandidateCode

    return db.session.scalar(select(CandidateCode).where(
        CandidateCode.assignment_id == assignment_id, CandidateCode.revoked_at.is_(None)))


def _actions(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_file_with_attachment_gives_a_receipt(app, client, pub):
    number = pub["numbers"][0]
    login(client, number, pub["codes"][number])
    response = client.post("/hasil/sanggah", data={
        "category": "calculation", "text": "My second criterion looks wrong.",
        "attachment": (io.BytesIO(TINY_PNG), "bukti.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get("/hasil/sanggah")
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    with app.app_context():
        objection = db.session.scalar(select(Objection))
        assert objection.number == "S1-S0001" and objection.number in text
        assert objection.receipt_hash in text and objection.attachment_type == "image/png"
        assert objection.attachment_sha256 == hashlib.sha256(TINY_PNG).hexdigest()
        assert attachment_path(objection).read_bytes() == TINY_PNG
        assert attachment_path(objection).stat().st_mode & 0o777 == 0o600
        expected = hashlib.sha256(canonical_json(receipt_content(objection, number))
                                  .encode()).hexdigest()
        assert objection.receipt_hash == expected
    event = _actions(app, "objection.file")[0]
    assert json.loads(event.data)["receipt_hash"] == expected and event.actor == f"#{number}"
    # one per candidate and session
    again = client.post("/hasil/sanggah", data={"category": "other", "text": "Again."})
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Objection)) == 1
    assert again.status_code == 200


@pytest.mark.parametrize("name,data,ok", [
    ("scan.pdf", PDF, True),
    ("photo.png", TINY_PNG, True),
    ("fake.png", b"\x89PNG\r\n\x1a\n" + b"x" * 100, False),
    ("macro.docx", b"PK\x03\x04" + b"x" * 100, False),
    ("empty.pdf", b"", False),
])
def test_attachments_are_checked(app, pub, name, data, ok):
    with app.app_context():
        code = code_of(app, pub["first"])
        if ok:
            assert file_objection(code, "other", "See attached.", (name, data)).attachment_type
        else:
            with pytest.raises(WorkflowError) as refused:
                file_objection(code, "other", "See attached.", (name, data))
            assert refused.value.status == 400


def test_attachments_are_size_capped(app, pub):
    app.config["OBJECTION_ATTACHMENT_MAX_BYTES"] = 1000
    with app.app_context():
        with pytest.raises(WorkflowError) as refused:
            file_objection(code_of(app, pub["first"]), "other", "Big.", ("big.pdf",
                                                                         PDF + b"0" * 2000))
        assert refused.value.code == "attachment_too_large"


def test_outside_the_window_is_refused_with_the_deadline(app, client, pub):
    with app.app_context():
        session = db.session.get(InterviewSession, pub["session"])
        closes = utcnow() - timedelta(minutes=1)
        set_policy(session, opens_at=closes - timedelta(days=3), closes_at=closes,
                   share_notes=False)
        db.session.commit()
        code = code_of(app, pub["first"])
        with pytest.raises(WorkflowError) as late:
            file_objection(code, "other", "Late.")
        assert late.value.code == "window_closed"
        deadline = wib(closes).split(" ", 3)[3]  # the time, e.g. 17.48 WIB
        # and before it opens
        with pytest.raises(WorkflowError) as early:
            file_objection(code, "other", "Early.", now=closes - timedelta(days=4))
        assert early.value.code == "window_before"
    number = pub["numbers"][0]
    login(client, number, pub["codes"][number])
    page = client.get("/hasil/sanggah").get_data(as_text=True)
    assert 'id="window-closed"' in page and deadline in page
    posted = client.post("/hasil/sanggah", data={"category": "other", "text": "Late."})
    assert posted.status_code == 409 and deadline in posted.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Objection)) is None


def test_no_window_no_objection_and_not_before_publication(app):
    data = make_published(app, publish=False)
    with app.app_context():
        session = db.session.get(InterviewSession, data["session"])
        set_policy(session, opens_at=utcnow() - timedelta(hours=1),
                   closes_at=utcnow() + timedelta(hours=1), share_notes=False)
        with pytest.raises(WorkflowError) as early:
            file_objection(code_of(app, data["first"]), "other", "Before publication.")
        assert early.value.code == "not_published"


def test_a_responder_cannot_be_on_the_candidates_panel(app, pub):
    with app.app_context():
        objection = file_objection(code_of(app, pub["first"]), "conduct", "Rude question.")
        users = {u.username: u for u in db.session.scalars(select(User))}
        for username in ("chair1", "ex11", "ex12"):
            with pytest.raises(WorkflowError) as refused:
                assign_responder(objection, users[username], actor=users["admin"])
            assert refused.value.code == "responder_on_panel"
        assert objection.responder_id is None
        assign_responder(objection, users["ex21"], actor=users["admin"])
        db.session.commit()
        assert objection.status == "assigned"


def test_admin_pages_offer_only_responders_off_the_panel(app, pub):
    with app.app_context():
        objection = file_objection(code_of(app, pub["first"]), "conduct", "Rude question.")
        db.session.commit()
        oid = objection.id
        ex11 = db.session.scalar(select(User.id).where(User.username == "ex11"))
    admin = app.test_client()
    admin.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    page = admin.get(f"/manage/objections/{oid}").get_data(as_text=True)
    assert "(ex21)" in page and "(ex11)" not in page and "(chair1)" not in page
    refused = admin.post(f"/manage/objections/{oid}/assign", data={"responder": ex11})
    assert refused.status_code == 302
    with app.app_context():
        assert db.session.get(Objection, oid).responder_id is None
    queue = admin.get(f"/manage/sessions/{pub['session']}/objections").get_data(as_text=True)
    assert "S1-S0001" in queue and pub["numbers"][0] in queue


def test_response_reaches_the_candidate_and_the_summary_counts_match(app, client, pub):
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        outcomes = [("calculation", "accepted"), ("calculation", "rejected"),
                    ("procedure", "rejected"), ("other", None)]
        objections = []
        for i, (category, decision) in enumerate(outcomes):
            a = db.session.scalar(select(Assignment).where(
                Assignment.id == [pub["first"], pub["second"]][i] if i < 2 else
                Assignment.id.not_in([pub["first"], pub["second"]])).offset(max(0, i - 2)))
            o = file_objection(code_of(app, a.id), category, f"Objection {i}.")
            if decision:
                assign_responder(o, users["ex21"], actor=users["admin"])
                answer_objection(o, decision, f"Answer {i}.", actor=users["ex21"])
            objections.append(o)
        db.session.commit()
    client.post("/lang/en", data={"next": "/"})
    summary = client.get(f"/public/{pub['code']}/objections")
    assert summary.status_code == 200
    assert "no-store" not in summary.headers.get("Cache-Control", "")
    text = summary.get_data(as_text=True)
    import re

    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th>((?:<td class="num">\d+</td>)+)',
                           text))
    def cells(label):
        return [int(x) for x in re.findall(r">(\d+)<", rows[label])]
    assert cells("Score calculation") == [1, 1, 0, 2]
    assert cells("Procedure") == [0, 1, 0, 1]
    assert cells("Other") == [0, 0, 1, 1]
    assert cells("Total") == [1, 2, 1, 4]
    for number in pub["numbers"]:
        assert number not in text
    number = pub["numbers"][0]
    login(client, number, pub["codes"][number])
    page = client.get("/hasil/sanggah").get_data(as_text=True)
    assert 'id="response"' in page and "Answer 0." in page
    assert len(_actions(app, "objection.answer")) == 3
    assert len(_actions(app, "objection.assign")) == 3


def test_an_accepted_objection_produces_an_audited_correction(app, client, pub):
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        objection = file_objection(code_of(app, pub["first"]), "calculation", "Recount.")
        assign_responder(objection, users["ex21"], actor=users["admin"])
        answer_objection(objection, "accepted", "A level was entered wrongly.",
                         actor=users["admin"])
        db.session.commit()
        with pytest.raises(WorkflowError):  # no correction open: refused, nothing silent
            publish_objection_correction(objection, "Fixed.", actor=users["admin"],
                                         confirm=True)
        db.session.rollback()
        session = db.session.get(InterviewSession, pub["session"])
        open_correction(session, users["admin"], "Objection S1-S0001 accepted.", confirm=True)
        a = db.session.get(Assignment, pub["first"])
        before = a.final_score
        reopen_candidate(a, users["chair1"], "Objection S1-S0001.", confirm=True)
        from scoring.workflow import override_final_score
        close_candidate(a, users["chair1"])
        override_final_score(a, users["chair1"], 3.25, "Objection S1-S0001: level corrected.")
        db.session.commit()
        objection = db.session.get(Objection, objection.id)
        publication = publish_objection_correction(objection, "Level corrected.",
                                                   actor=users["admin"], confirm=True)
        db.session.commit()
        assert publication.number == 2 and "S1-S0001" in publication.reason
        assert db.session.get(Objection, objection.id).correction_number == 2
        row = next(r for r in json.loads(publication.results)
                   if r["participant_number"] == pub["numbers"][0])
        assert row["final_score"] == 3.25 != before
        assert [p.number for p in db.session.scalars(select(Publication))] == [1, 2]
    assert len(_actions(app, "objection.correction")) == 1
    assert len(_actions(app, "session.publish")) == 2
    history = client.get(f"/public/{pub['code']}/results").get_data(as_text=True)
    assert "S1-S0001" in history
    number = pub["numbers"][0]
    login(client, number, pub["codes"][number])
    mine = client.get("/hasil/saya").get_data(as_text=True)
    assert 'id="final-score">3.25' in mine
    assert "publication 2" in client.get("/hasil/sanggah").get_data(as_text=True)


def test_only_the_responder_or_an_admin_answers(app, pub):
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        objection = file_objection(code_of(app, pub["first"]), "procedure", "Late start.")
        assign_responder(objection, users["ex21"], actor=users["admin"])
        outsider = create_user("ex99", "Other", "examiner", "password-123")
        with pytest.raises(WorkflowError) as refused:
            answer_objection(objection, "rejected", "No.", actor=outsider)
        assert refused.value.code == "not_responder"
        answer_objection(objection, "rejected", "The start was on time.", actor=users["ex21"])
        with pytest.raises(WorkflowError):
            answer_objection(objection, "accepted", "Changed my mind.", actor=users["admin"])


def test_a_live_code_is_what_files(app, pub):
    with app.app_context():
        assert live_code(None) is None and live_code(10_000) is None
        _ = CLI


def test_window_times_are_shown_in_wib(app):
    from datetime import UTC, datetime

    with app.test_request_context():
        assert wib(datetime(2026, 12, 1, 10, 0, tzinfo=UTC)).endswith("17.00 WIB")
        assert wib(datetime(2026, 12, 1, 17, 30, tzinfo=UTC)).startswith("2 Des 2026 00.30")


def test_the_responder_answers_on_their_own_page(app, pub):
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        objection = file_objection(code_of(app, pub["first"]), "procedure", "Late start.")
        assign_responder(objection, users["ex21"], actor=users["admin"])
        db.session.commit()
        oid = objection.id
    other = app.test_client()
    other.post("/auth/login", data={"username": "ex22", "password": "password-123"})
    assert "Late start." not in other.get("/objections/").get_data(as_text=True)
    refused = other.post(f"/objections/{oid}/respond",
                         data={f"o{oid}-decision": "accepted", f"o{oid}-response": "Yes."})
    assert refused.status_code == 404
    responder = app.test_client()
    responder.post("/auth/login", data={"username": "ex21", "password": "password-123"})
    page = responder.get("/objections/")
    assert page.headers["Cache-Control"] == "no-store" and "Late start." in page.get_data(
        as_text=True)
    done = responder.post(f"/objections/{oid}/respond",
                          data={f"o{oid}-decision": "rejected",
                                f"o{oid}-response": "The start was on time."})
    assert done.status_code == 302
    with app.app_context():
        answered = db.session.get(Objection, oid)
        assert answered.status == "rejected" and answered.response == "The start was on time."
    event = _actions(app, "objection.answer")[-1]
    assert event.actor == "ex21"


def test_the_queue_shows_when_each_objection_is_due(app, pub):
    with app.app_context():
        file_objection(code_of(app, pub["first"]), "procedure", "Late start.",
                       now=utcnow() - timedelta(minutes=50))
        db.session.commit()
    app.config["OBJECTION_RESPONSE_DAYS"] = 0
    admin = app.test_client()
    admin.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    page = admin.get(f"/manage/sessions/{pub['session']}/objections").get_data(as_text=True)
    assert "badge--warning" in page  # due at filing with 0 days: overdue


def test_the_window_is_set_in_wib_and_half_a_window_is_refused(app, pub):
    admin = app.test_client()
    admin.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    url = f"/manage/sessions/{pub['session']}/objections"
    half = admin.post(url, data={"opens_at": "2026-12-05T08:00", "closes_at": ""})
    assert half.status_code == 302
    assert "Isi awal dan akhir masa sanggah" in admin.get(url).get_data(as_text=True)
    backwards = admin.post(url, data={"opens_at": "2026-12-05T08:00",
                                      "closes_at": "2026-12-04T08:00"})
    assert backwards.status_code == 302
    assert "harus berakhir setelah dimulai" in admin.get(url).get_data(as_text=True)
    done = admin.post(url, data={"opens_at": "2026-12-05T08:00", "closes_at": "2026-12-08T16:00",
                                 "share_notes": "y"})
    assert done.status_code == 302
    with app.app_context():
        from datetime import UTC, datetime

        from scoring.workflow.objections import policy_of

        policy = policy_of(db.session.get(InterviewSession, pub["session"]))
        assert policy.objection_opens_at == datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
        assert policy.objection_closes_at == datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
        assert policy.share_notes is True
    assert len(_actions(app, "candidate.policy")) == 2  # the fixture's and this one


def test_a_candidate_logs_out(app, client, pub):
    number = pub["numbers"][0]
    login(client, number, pub["codes"][number])
    assert client.get("/hasil/saya").status_code == 200
    assert client.post("/hasil/keluar").status_code == 302
    assert client.get("/hasil/saya").status_code == 302
