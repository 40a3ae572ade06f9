"""Candidate pages (/hasil), public method and objection summary, admin codes and queue.

Handlers load, authorise, validate, call one verb of :mod:`scoring.workflow.candidates` and
render. A candidate's login is the id of their live code in the signed session cookie: a
reissued code ends it at the next request.
"""

from __future__ import annotations

import functools
import io

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask import session as cookie
from flask_babel import force_locale, gettext
from flask_login import current_user, login_required

from ..documents.candidate_slips import candidate_slips_pdf
from ..extensions import db
from ..i18n import OUTCOME_WORDS, current_language
from ..models import Assignment, InterviewSession, Objection, User, utcnow
from ..public import queries as pq
from ..public.criteria_pdf import html_to_pdf
from ..web.helpers import request_info, role_required, upload_route
from ..workflow import WorkflowError, perform
from ..workflow import candidates as verbs
from ..workflow.documents import verify_base_url
from . import bp
from . import queries as q
from .forms import (
    CATEGORY_LABELS,
    OUTCOME_LABELS,
    AnswerForm,
    CandidateLoginForm,
    CorrectionForm,
    ObjectionForm,
    PolicyForm,
    ResponderForm,
)

KEY = "candidate_code"


@bp.app_context_processor
def labels():
    return {"category_labels": CATEGORY_LABELS, "outcome_labels": OUTCOME_LABELS,
            "outcome_words": OUTCOME_WORDS, "candidate_notes_shared": q.notes_shared}


def _logged_in():
    """Return the candidate's live code and assignment, or (None, None)."""
    code = verbs.live_code(cookie.get(KEY))
    if code is None:
        cookie.pop(KEY, None)
        return None, None
    return code, db.session.get(Assignment, code.assignment_id)


def _require_candidate():
    code, assignment = _logged_in()
    if code is None:
        flash(gettext("Enter your participant number and access code."), "info")
        abort(redirect(url_for(".login")))
    return code, assignment


# ---- candidate ----------------------------------------------------------------------------


@bp.route("/hasil", methods=["GET", "POST"])
def login():
    """Ask for participant number and access code (never a NIK); log the candidate in."""
    form = CandidateLoginForm(participant_number=request.args.get("p", "")[:64] or None)
    if form.validate_on_submit():
        number, info = form.participant_number.data.strip(), request_info()
        refusal = verbs.candidate_refusal(number, info)
        if refusal is not None:
            flash(str(refusal.message), "error")
            return render_template("candidates/login.html", form=form), 429
        code = perform(verbs.candidate_login, number, form.code.data, info)
        if code is not None:
            cookie[KEY] = code.id
            return redirect(url_for(".result"))
        flash(gettext("The participant number or access code is incorrect."), "error")
    return render_template("candidates/login.html", form=form)


@bp.route("/hasil/keluar", methods=["POST"])
def logout():
    """End the candidate's login on this device."""
    cookie.pop(KEY, None)
    flash(gettext("You have logged out."), "info")
    return redirect(url_for(".login"))


@bp.route("/hasil/saya")
def result():
    """Show the candidate's own result, explained; only after publication."""
    code, assignment = _require_candidate()
    context = q.result_context(assignment, current_language())
    session = db.session.get(InterviewSession, assignment.session_id)
    return render_template("candidates/result.html", r=context, session=session,
                           objection=q.objection_of(assignment.id),
                           window=q.method_context(session, current_language())["window"])


@bp.route("/hasil/saya.pdf")
def result_pdf():
    """Send the candidate's result as a signed, verifiable PDF."""
    code, assignment = _require_candidate()
    lang = current_language()
    context = q.result_context(assignment, lang)
    if context is None or not context["explained"]:
        abort(404)
    document = perform(verbs.issue_result_document, assignment, context, lang,
                       info=request_info())
    number = context["candidate"]["participant_number"]
    response = send_file(io.BytesIO(document.pdf), mimetype="application/pdf",
                         as_attachment=True, download_name=f"hasil-{number}-{document.lang}.pdf",
                         etag=document.sha256, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/hasil/sanggah", methods=["GET", "POST"])
@upload_route
def objection():
    """File the one objection of the session (inside the window), or read its receipt."""
    code, assignment = _require_candidate()
    session = db.session.get(InterviewSession, assignment.session_id)
    existing = q.objection_of(assignment.id)
    form = ObjectionForm()
    if existing is None and form.validate_on_submit():
        upload = form.attachment.data
        attachment = (upload.filename, upload.read()) if upload and upload.filename else None
        try:
            perform(verbs.file_objection, code, form.category.data, form.text.data, attachment,
                    info=request_info())
        except WorkflowError as exc:  # perform rolled back: nothing of it is kept
            flash(str(exc.message), "error")
            return render_template("candidates/objection.html", form=form, session=session,
                                   objection=None, window=_window(session)), exc.status
        flash(gettext("Your objection was received."), "success")
        return redirect(url_for(".objection"))
    return render_template("candidates/objection.html", form=form, session=session,
                           objection=existing, window=_window(session))


def _window(session: InterviewSession) -> dict:
    policy = verbs.policy_of(session)
    return {"state": verbs.window_state(policy), "opens": verbs.wib(policy.objection_opens_at),
            "closes": verbs.wib(policy.objection_closes_at)}


# ---- public -------------------------------------------------------------------------------


def _public_session(code: str) -> InterviewSession:
    session = pq.published_session(code)
    if session is None:
        abort(404)
    return session


@bp.route("/public/<code>/method")
def method(code: str):
    """Explain how the session is scored, from its rubric and settings (before the interviews)."""
    session = _public_session(code)
    return render_template("candidates/method.html", m=q.method_context(session,
                                                                        current_language()))


@bp.route("/public/<code>/method.pdf")
def method_pdf(code: str):
    """The method page as an A4 PDF (for notice boards)."""
    session = _public_session(code)
    html = render_template("candidates/method_pdf.html",
                           m=q.method_context(session, current_language()))
    return send_file(io.BytesIO(html_to_pdf(html)), mimetype="application/pdf",
                     download_name=f"metode-{session.code}.pdf", max_age=300)


@bp.route("/public/<code>/objections")
def objection_summary(code: str):
    """Count the session's objections by category and outcome (nothing about anyone)."""
    session = _public_session(code)
    return render_template("candidates/objection_summary.html", session=session,
                           s=q.objection_summary(session))


# ---- administrator ------------------------------------------------------------------------


def _admin() -> User:
    """Return the logged-in user (the real object, for the audit trail)."""
    return current_user._get_current_object()


def _slips_response(session: InterviewSession, assignments, name: str):
    """Issue the codes of ``assignments`` (None: everyone) and send their slips as a PDF."""
    lang = current_language()
    with force_locale(lang):
        where = f"{session.name} ({session.code})"
        title = gettext("Access codes: %(s)s", s=where)

    def issue_and_print() -> bytes:  # the codes count only once their slips are made
        slips = verbs.issue_codes(session, assignments, actor=_admin(), info=request_info())
        return candidate_slips_pdf(slips, base_url=verify_base_url(), title=title, lang=lang)

    pdf = perform(issue_and_print)
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/manage/sessions/<int:session_id>/candidate-codes", methods=["POST"])
@role_required("admin")
def codes(session_id: int):
    """Issue every candidate of the session a new code; send the slips (old codes stop)."""
    session = db.get_or_404(InterviewSession, session_id)
    return _slips_response(session, None, f"kode-{session.code}.pdf")


@bp.route("/manage/assignments/<int:assignment_id>/candidate-code", methods=["POST"])
@role_required("admin")
def reissue(assignment_id: int):
    """Reissue one candidate's code (the old one stops working); send its slip."""
    assignment = db.get_or_404(Assignment, assignment_id)
    session = db.session.get(InterviewSession, assignment.session_id)
    return _slips_response(session, [assignment],
                           f"kode-{assignment.candidate.participant_number}.pdf")


@bp.route("/manage/sessions/<int:session_id>/candidate-code", methods=["POST"])
@role_required("admin")
def reissue_number(session_id: int):
    """Reissue the code of the candidate with the participant number typed (old one stops)."""
    session = db.get_or_404(InterviewSession, session_id)
    assignment = q.assignment_by_number(session, request.form.get("participant_number", ""))
    if assignment is None:
        flash(gettext("No candidate with that participant number in this session."), "error")
        return redirect(url_for(".queue", session_id=session.id))
    return _slips_response(session, [assignment],
                           f"kode-{assignment.candidate.participant_number}.pdf")


def _back_on_refusal(endpoint: str, arg: str | None = None):
    """Send a refused form action back to ``endpoint`` with the reason (perform rolled back)."""
    def wrap(view):
        @functools.wraps(view)
        def answer_refusal(**kwargs):
            try:
                return view(**kwargs)
            except WorkflowError as exc:
                flash(str(exc.message), "error")
                return redirect(url_for(endpoint, **({arg: kwargs[arg]} if arg else {})))
        return answer_refusal
    return wrap


@bp.route("/manage/sessions/<int:session_id>/objections", methods=["GET", "POST"])
@role_required("admin")
@_back_on_refusal(".queue", "session_id")
def queue(session_id: int):
    """The objection queue with the window and deadlines; set the window and note sharing."""
    session = db.get_or_404(InterviewSession, session_id)
    policy = verbs.policy_of(session)
    form = PolicyForm(opens_at=_local(policy.objection_opens_at),
                      closes_at=_local(policy.objection_closes_at),
                      share_notes=policy.share_notes)
    if form.validate_on_submit():
        perform(verbs.set_policy, session, opens_at=_utc(form.opens_at.data),
                closes_at=_utc(form.closes_at.data), share_notes=form.share_notes.data,
                actor=_admin(), info=request_info())
        flash(gettext("Saved."), "success")
        return redirect(url_for(".queue", session_id=session.id))
    days, now = current_app.config["OBJECTION_RESPONSE_DAYS"], utcnow()
    rows = [(o, due, o.status in ("filed", "assigned") and due < now)
            for o in q.objection_queue(session) for due in [q.response_due(o, days)]]
    return render_template("candidates/queue.html", session=session, form=form, rows=rows,
                           window=_window(session), summary=q.objection_summary(session),
                           days=days)


def _local(moment):
    return moment.astimezone(verbs.WIB).replace(tzinfo=None) if moment else None


def _utc(moment):
    return moment.replace(tzinfo=verbs.WIB) if moment else None


@bp.route("/manage/objections/<int:objection_id>")
@role_required("admin")
def objection_detail(objection_id: int):
    """One objection: its text, attachment, responder and response."""
    objection = db.get_or_404(Objection, objection_id)
    assign = ResponderForm()
    assign.responder.choices = [(u.id, f"{u.full_name} ({u.username})")
                                for u in q.responders(objection)]
    return render_template("candidates/objection_detail.html", o=objection, assign=assign,
                           answer=AnswerForm(), correction=CorrectionForm(),
                           session=db.session.get(InterviewSession, objection.session_id))


@bp.route("/manage/objections/<int:objection_id>/assign", methods=["POST"])
@role_required("admin")
@_back_on_refusal(".objection_detail", "objection_id")
def assign(objection_id: int):
    """Assign the responder (never someone of the candidate's panel)."""
    objection = db.get_or_404(Objection, objection_id)
    form = ResponderForm()
    form.responder.choices = [(user_id, "") for user_id in q.user_ids()]
    if not form.validate_on_submit():
        abort(400)
    perform(verbs.assign_responder, objection, db.get_or_404(User, form.responder.data),
            actor=_admin(), info=request_info())
    return redirect(url_for(".objection_detail", objection_id=objection.id))


@bp.route("/manage/objections/<int:objection_id>/answer", methods=["POST"])
@role_required("admin")
@_back_on_refusal(".objection_detail", "objection_id")
def answer(objection_id: int):
    """Record the response; the candidate reads it, the public summary counts it."""
    objection = db.get_or_404(Objection, objection_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    perform(verbs.answer_objection, objection, form.decision.data, form.response.data,
            actor=_admin(), info=request_info())
    return redirect(url_for(".objection_detail", objection_id=objection.id))


@bp.route("/manage/objections/<int:objection_id>/correction", methods=["POST"])
@role_required("admin")
@_back_on_refusal(".objection_detail", "objection_id")
def correction(objection_id: int):
    """Publish the open correction this accepted objection led to (a new publication)."""
    objection = db.get_or_404(Objection, objection_id)
    form = CorrectionForm()
    if not form.validate_on_submit():
        abort(400)
    perform(verbs.publish_objection_correction, objection, form.reason.data, actor=_admin(),
            confirm=form.confirm.data is True, info=request_info())
    return redirect(url_for(".objection_detail", objection_id=objection.id))


@bp.route("/manage/objections/<int:objection_id>/attachment")
@role_required("admin")
def attachment(objection_id: int):
    """Send the objection's attachment (as a download, never rendered inline)."""
    objection = db.get_or_404(Objection, objection_id)
    path = verbs.attachment_path(objection)
    if not objection.attachment_sha256 or not path.is_file():
        abort(404)
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=objection.attachment_type,
                         as_attachment=True,
                         download_name=objection.attachment_name or "lampiran")
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- responder ----------------------------------------------------------------------------


@bp.route("/objections/")
@login_required
def assigned():
    """List the objections assigned to the logged-in responder, unanswered first."""
    objections = q.assigned_to(current_user.id)
    forms = {o.id: AnswerForm(prefix=f"o{o.id}") for o in objections}
    return render_template("candidates/assigned.html", objections=objections, forms=forms)


@bp.route("/objections/<int:objection_id>/respond", methods=["POST"])
@login_required
@_back_on_refusal(".assigned")
def respond(objection_id: int):
    """Answer an objection assigned to the logged-in responder (accepted or rejected)."""
    objection = db.get_or_404(Objection, objection_id)
    if objection.responder_id != current_user.id:
        abort(404)
    form = AnswerForm(prefix=f"o{objection.id}")
    if not form.validate_on_submit():
        abort(400)
    perform(verbs.answer_objection, objection, form.decision.data, form.response.data,
            actor=_admin(), info=request_info())
    flash(gettext("The response is published to the candidate."), "success")
    return redirect(url_for(".assigned"))

