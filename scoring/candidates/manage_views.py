"""The administrator's candidate codes and objection queue, and the responder's page.

The routes are on the candidates' blueprint (:mod:`scoring.candidates`), beside the candidate's
own pages in :mod:`.views`; handlers call one verb of :mod:`scoring.workflow.candidates` or
:mod:`scoring.workflow.objections`.
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
from flask_babel import force_locale, gettext
from flask_login import current_user, login_required

from ..documents.candidate_slips import candidate_slips_pdf
from ..extensions import db
from ..i18n import current_language
from ..models import Assignment, InterviewSession, Objection, User, utcnow
from ..web.helpers import request_info, role_required
from ..workflow import WorkflowError, objections, perform
from ..workflow import candidates as verbs
from ..workflow.documents import verify_base_url
from . import bp
from . import queries as q
from .forms import (
    AnswerForm,
    CorrectionForm,
    PolicyForm,
    ResponderForm,
)

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
    policy = objections.policy_of(session)
    form = PolicyForm(opens_at=_local(policy.objection_opens_at),
                      closes_at=_local(policy.objection_closes_at),
                      share_notes=policy.share_notes)
    if form.validate_on_submit():
        perform(objections.set_policy, session, opens_at=_utc(form.opens_at.data),
                closes_at=_utc(form.closes_at.data), share_notes=form.share_notes.data,
                actor=_admin(), info=request_info())
        flash(gettext("Saved."), "success")
        return redirect(url_for(".queue", session_id=session.id))
    days, now = current_app.config["OBJECTION_RESPONSE_DAYS"], utcnow()
    rows = [(o, due, o.status in ("filed", "assigned") and due < now)
            for o in q.objection_queue(session) for due in [q.response_due(o, days)]]
    return render_template("candidates/queue.html", session=session, form=form, rows=rows,
                           window=q.objection_window(session), summary=q.objection_summary(session),
                           days=days)


def _local(moment):
    return moment.astimezone(objections.WIB).replace(tzinfo=None) if moment else None


def _utc(moment):
    return moment.replace(tzinfo=objections.WIB) if moment else None


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
    perform(objections.assign_responder, objection, db.get_or_404(User, form.responder.data),
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
    perform(objections.answer_objection, objection, form.decision.data, form.response.data,
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
    perform(objections.publish_objection_correction, objection, form.reason.data, actor=_admin(),
            confirm=form.confirm.data is True, info=request_info())
    return redirect(url_for(".objection_detail", objection_id=objection.id))


@bp.route("/manage/objections/<int:objection_id>/attachment")
@role_required("admin")
def attachment(objection_id: int):
    """Send the objection's attachment (as a download, never rendered inline)."""
    objection = db.get_or_404(Objection, objection_id)
    path = objections.attachment_path(objection)
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
    perform(objections.answer_objection, objection, form.decision.data, form.response.data,
            actor=_admin(), info=request_info())
    flash(gettext("The response is published to the candidate."), "success")
    return redirect(url_for(".assigned"))

