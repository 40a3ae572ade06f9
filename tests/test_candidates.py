"""Issue 16: candidates' access codes, their own explained result, the method page."""

from __future__ import annotations

import io
import json
import re

import pytest
from doc_helpers import pdf_pages, pdf_text, qr_payloads, signed_world
from factories import publish_session
from sqlalchemy import func, select

from scoring.candidates.queries import result_context
from scoring.extensions import db
from scoring.models import Assignment, AuditEvent, CandidateCode, Publication
from scoring.rules.results import by_position, session_results, stored_final_score
from scoring.workflow import CLI, open_discussion, override_final_score, revise_score
from scoring.workflow.candidates import candidate_login, code_hash, issue_codes

CODE = re.compile(r"\b[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}\b")


def make_published(app, *, publish: bool = True) -> dict:
    """A world whose Panel 1 scored and closed three candidates (one revised, one overridden),
    Panel 2's candidates marked; codes issued to everyone; published unless told otherwise."""
    with app.app_context():
        w = signed_world(app, candidates=3)
        chair = w.examiners[0][0]
        first, second = w.assignments[0][0], w.assignments[0][1]
        open_discussion(first, chair)
        code = w.rubric.codes[0]
        level = next(v for v in w.rubric.scale.values if v != w.rubric.scale.min)
        revise_score(first, w.examiners[0][1], code, level, "Heard again.")
        db.session.commit()
        publish_session_partly(w)
        override_final_score(second, chair, 3.5, "Evidence of an award was verified.")
        db.session.commit()
        if publish:
            publish_session(w.session)
        codes = {s.participant_number: s.code for s in issue_codes(w.session, info=CLI)}
        db.session.commit()
        return {"session": w.session.id, "code": w.session.code, "codes": codes,
                "first": first.id, "second": second.id, "level": level,
                "numbers": [a.candidate.participant_number for row in w.assignments
                            for a in row]}


def publish_session_partly(world) -> None:
    """Close Panel 1's candidates (so an override can be set before publishing)."""
    from scoring.workflow import close_candidate

    for a in world.assignments[0]:
        if a.status == "pending":
            open_discussion(a, world.examiners[0][0])
        close_candidate(a, world.examiners[0][0])


@pytest.fixture
def pub(app):
    return make_published(app)


def login(client, number, code, lang: str = "en"):
    """Log a candidate in (and choose the page language, as the switch does)."""
    client.post(f"/lang/{lang}", data={"next": "/hasil"})
    return client.post("/hasil", data={"participant_number": number, "code": code})


def test_codes_are_random_hashed_and_audited(app, pub):
    with app.app_context():
        rows = db.session.scalars(select(CandidateCode)).all()
        assert len(rows) == len(pub["numbers"]) == len(set(pub["codes"].values()))
        for code in pub["codes"].values():
            assert CODE.fullmatch(code)
            assert all(code.replace("-", "") not in r.code_hash for r in rows)
        assert {r.code_hash for r in rows} == {code_hash(c) for c in pub["codes"].values()}
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "candidate.code_issue")) == len(rows)


def test_a_candidate_sees_only_their_own_result(app, client, pub):
    number = pub["numbers"][0]
    response = login(client, number, pub["codes"][number].lower().replace("-", " "))
    assert response.status_code == 302 and response.location.endswith("/hasil/saya")
    page = client.get("/hasil/saya")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert number in text
    for other in pub["numbers"][1:]:
        assert other not in text
    with app.app_context():
        assert "137701010" not in text  # no NIK
        for name in ("Examiner 11", "Examiner 12", "Chair 1", "ex11", "ex12", "chair1"):
            assert name not in text


def test_every_number_equals_the_stored_score_and_inputs(app, client, pub):
    with app.app_context():
        for aid in (pub["first"], pub["second"]):
            a = db.session.get(Assignment, aid)
            r = result_context(a, "en")
            assert r["final_score"] == stored_final_score(a)
            assert r["computed_score"] == a.final_score
            publication = db.session.scalar(select(Publication))
            row = next(x for x in json.loads(publication.results)
                       if x["participant_number"] == a.candidate.participant_number)
            assert r["final_score"] == row["final_score"]
            ranked = {x.participant_number: x for x in by_position(session_results(
                a.panel.session))}
            assert r["position_rank"] == ranked[a.candidate.participant_number].position_rank
            means = ranked[a.candidate.participant_number].criterion_means
            assert {c["code"]: c["mean"] for c in r["criteria"]} == means
            assert r["examiners"] == a.scored_at_close == 3
            for c in r["criteria"]:
                assert c["spread"] == max(c["levels"]) - min(c["levels"])
                assert len(c["levels"]) == 3
        first = result_context(db.session.get(Assignment, pub["first"]), "en")
        assert first["criteria"][0]["changed_in_discussion"] == 1
        assert all(c["changed_in_discussion"] == 0 for c in first["criteria"][1:])
        second = result_context(db.session.get(Assignment, pub["second"]), "en")
        assert second["override"] == {"score": 3.5,
                                      "reason": "Evidence of an award was verified."}
        assert second["final_score"] == 3.5 and second["computed_score"] != 3.5
    number = db_number(app, pub["second"])
    login(client, number, pub["codes"][number])
    text = client.get("/hasil/saya").get_data(as_text=True)
    assert 'id="final-score">3.5<' in text
    assert "Evidence of an award was verified." in text


def db_number(app, assignment_id: int) -> str:
    with app.app_context():
        return db.session.get(Assignment, assignment_id).candidate.participant_number


def test_nothing_before_publication(app, client):
    pub = make_published(app, publish=False)
    number = pub["numbers"][0]
    assert login(client, number, pub["codes"][number]).status_code == 302
    page = client.get("/hasil/saya").get_data(as_text=True)
    assert 'id="not-published"' in page and 'id="final-score"' not in page
    assert client.get("/hasil/saya.pdf").status_code == 404
    with app.app_context():
        assert result_context(db.session.get(Assignment, pub["first"]), "id") is None


def test_a_reissued_code_works_only_in_its_new_form(app, client, pub):
    number = pub["numbers"][0]
    old = pub["codes"][number]
    assert login(client, number, old).status_code == 302
    assert client.get("/hasil/saya").status_code == 200
    admin = app.test_client()
    admin.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    response = admin.post(f"/manage/assignments/{pub['first']}/candidate-code")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    new = CODE.findall(pdf_text(response.data))
    assert len(new) == 1 and new[0] != old
    # the logged-in device is out, the old code fails, the new one works
    assert client.get("/hasil/saya").status_code == 302
    fresh = app.test_client()
    assert login(fresh, number, old).status_code == 200
    assert login(fresh, number, new[0]).status_code == 302
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "candidate.code_issue").order_by(AuditEvent.id)).all()
        assert json.loads(events[-1].data) == {"candidate": number, "reissue": True}
        assert events[-1].actor == "admin"


def test_a_code_works_only_with_its_own_participant_number(app, client, pub):
    a, b = pub["numbers"][:2]
    assert login(client, b, pub["codes"][a]).status_code == 200
    with app.app_context():
        assert candidate_login(a, pub["codes"][b], CLI) is None


def test_code_login_is_throttled_like_staff_logins(app, client, pub):
    number = pub["numbers"][0]
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, number, "AAAA-BBBB-CCCC").status_code == 200
    refused = login(client, number, pub["codes"][number])
    assert refused.status_code == 429
    assert "Terlalu banyak" in refused.get_data(as_text=True) or "Too many" in \
        refused.get_data(as_text=True)
    # another candidate from elsewhere is not locked; no staff account is either
    other = pub["numbers"][1]
    assert login(app.test_client(), other, pub["codes"][other]).status_code in (302, 429)
    staff = app.test_client().post("/auth/login", data={"username": "admin",
                                                        "password": "admin-password"})
    assert staff.status_code in (302, 429)


def test_the_login_form_never_asks_for_a_nik(client):
    page = client.get("/hasil?p=P1-001").get_data(as_text=True).lower()
    assert "nik" not in page and 'value="P1-001"'.lower() in page


def test_result_pdf_is_signed_and_verifiable(app, client, pub, tmp_path):
    number = db_number(app, pub["first"])
    login(client, number, pub["codes"][number])
    response = client.get("/hasil/saya.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response.data)
    assert number in text and not re.search(r"Examiner \d|Chair \d", text)
    verify = client.post("/verify/upload", data={"pdf": (io.BytesIO(response.data),
                                                          "hasil.pdf")},
                         content_type="multipart/form-data")
    assert verify.status_code == 200 and b'data-status="valid"' in verify.data
    again = client.get("/hasil/saya.pdf")
    assert again.data == response.data  # stored once, served again
    links = [p for image in pdf_pages(response.data, tmp_path, dpi=150)
             for p in qr_payloads(image)]
    assert any("/verify/" in link for link in links)


def test_cli_codes_and_slips_qr(app, runner, pub, tmp_path):
    out = tmp_path / "codes.pdf"
    result = runner.invoke(args=["candidate", "codes", "--session", pub["code"],
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    codes = CODE.findall(pdf_text(pdf))
    assert len(codes) == len(pub["numbers"])
    payloads = [p for image in pdf_pages(pdf, tmp_path, dpi=150) for p in qr_payloads(image)]
    assert sorted(payloads) == sorted(f"http://localhost/hasil?p={n}" for n in pub["numbers"])
    # every code of the first batch stopped working
    with app.app_context():
        assert candidate_login(pub["numbers"][0], pub["codes"][pub["numbers"][0]], CLI) is None


def test_session_page_has_the_codes_button(app, pub):
    admin = app.test_client()
    admin.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    page = admin.get(f"/manage/sessions/{pub['session']}").get_data(as_text=True)
    assert f'action="/manage/sessions/{pub["session"]}/candidate-codes"' in page
    response = admin.post(f"/manage/sessions/{pub['session']}/candidate-codes")
    assert response.mimetype == "application/pdf"
    assert len(CODE.findall(pdf_text(response.data))) == len(pub["numbers"])


def test_method_page_is_generated_from_the_rubric_and_settings(app, client, pub):
    with app.app_context():
        from scoring.models import InterviewSession
        from scoring.rules.sheet_facts import session_rubric

        rubric = session_rubric(db.session.get(InterviewSession, pub["session"]))
    page = client.get(f"/public/{pub['code']}/method")
    assert page.status_code == 200 and "no-store" not in page.headers.get("Cache-Control", "")
    text = page.get_data(as_text=True)
    for c in rubric.criteria:
        assert c.name.get("id") in text or c.name.get("en") in text
        assert c.anchor(rubric.scale.max).get("id") in text or \
            c.anchor(rubric.scale.max).get("en") in text
    assert "never change an official score" in text or "tidak pernah mengubah" in text
    pdf = client.get(f"/public/{pub['code']}/method.pdf")
    assert pdf.mimetype == "application/pdf"
    assert rubric.criteria[0].name.get("id") in pdf_text(pdf.data) or \
        rubric.criteria[0].name.get("en") in pdf_text(pdf.data)


def test_a_marked_candidate_sees_their_status_without_figures(app, client, pub):
    number = pub["numbers"][-1]  # Panel 2: marked not assessable when the session closed
    login(client, number, pub["codes"][number])
    page = client.get("/hasil/saya").get_data(as_text=True)
    assert 'id="not-explained"' in page and "not assessable" in page
    assert client.get("/hasil/saya.pdf").status_code == 404


def test_during_a_correction_only_the_last_publication_shows(app, client, pub):
    from scoring.models import InterviewSession, User
    from scoring.workflow.finality import open_correction

    number = db_number(app, pub["first"])
    with app.app_context():
        published = result_context(db.session.get(Assignment, pub["first"]), "en")
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        open_correction(db.session.get(InterviewSession, pub["session"]), admin,
                        "Checking a sheet.", confirm=True)
        db.session.commit()
        during = result_context(db.session.get(Assignment, pub["first"]), "en")
        assert during["explained"] is False and during["correction_open"]
        assert during["published_score"] == published["final_score"]
    login(client, number, pub["codes"][number])
    page = client.get("/hasil/saya").get_data(as_text=True)
    assert 'id="not-explained"' in page and 'id="final-score"' not in page


def test_reissue_by_participant_number_from_the_queue_page(app, pub):
    admin = app.test_client()
    admin.post("/auth/login", data={"username": "admin", "password": "admin-password"})
    number = pub["numbers"][1]
    page = admin.get(f"/manage/sessions/{pub['session']}/objections").get_data(as_text=True)
    assert f'action="/manage/sessions/{pub["session"]}/candidate-code"' in page
    response = admin.post(f"/manage/sessions/{pub['session']}/candidate-code",
                          data={"participant_number": number})
    assert response.mimetype == "application/pdf"
    new = CODE.findall(pdf_text(response.data))
    assert len(new) == 1 and number in pdf_text(response.data)
    with app.app_context():
        assert candidate_login(number, pub["codes"][number], CLI) is None
        assert candidate_login(number, new[0], CLI) is not None
    missing = admin.post(f"/manage/sessions/{pub['session']}/candidate-code",
                         data={"participant_number": "NOPE"})
    assert missing.status_code == 302


def test_examiners_are_told_when_a_session_shares_notes(app, pub):
    from scoring.models import InterviewSession
    from scoring.workflow.objections import set_policy

    examiner = app.test_client()
    examiner.post("/auth/login", data={"username": "ex11", "password": "password-123"})
    url = f"/examine/{pub['first']}"
    assert 'id="notes-shared"' not in examiner.get(url).get_data(as_text=True)
    number = db_number(app, pub["first"])
    client = app.test_client()
    login(client, number, pub["codes"][number])
    assert "Gave a concrete example." not in client.get("/hasil/saya").get_data(as_text=True)
    with app.app_context():
        set_policy(db.session.get(InterviewSession, pub["session"]), opens_at=None,
                   closes_at=None, share_notes=True)
        db.session.commit()
    assert 'id="notes-shared"' in examiner.get(url).get_data(as_text=True)
    assert "Gave a concrete example." in client.get("/hasil/saya").get_data(as_text=True)
