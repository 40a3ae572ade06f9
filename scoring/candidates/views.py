"""Candidate pages (/hasil), public method and objection summary, admin codes and queue.

Handlers load, authorise, validate, call one verb of :mod:`scoring.workflow.candidates` (or
:mod:`scoring.workflow.objections`) and render; the administrator's and the responder's pages
are in :mod:`.manage_views`. A candidate's login is the id of their live code in the signed
session cookie: a reissued code ends it at the next request.
"""

from __future__ import annotations

import io

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask import session as cookie
from flask_babel import gettext

from ..extensions import db
from ..i18n import OUTCOME_WORDS, current_language
from ..models import Assignment, InterviewSession
from ..public import queries as pq
from ..public.criteria_pdf import html_to_pdf
from ..web.helpers import request_info, upload_route
from ..workflow import WorkflowError, objections, perform
from ..workflow import candidates as verbs
from . import bp
from . import queries as q
from .forms import (
    CATEGORY_LABELS,
    OUTCOME_LABELS,
    CandidateLoginForm,
    ObjectionForm,
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
            perform(objections.file_objection, code, form.category.data, form.text.data, attachment,
                    info=request_info())
        except WorkflowError as exc:  # perform rolled back: nothing of it is kept
            flash(str(exc.message), "error")
            return render_template("candidates/objection.html", form=form, session=session,
                                   objection=None, window=q.objection_window(session)), exc.status
        flash(gettext("Your objection was received."), "success")
        return redirect(url_for(".objection"))
    return render_template("candidates/objection.html", form=form, session=session,
                           objection=existing, window=q.objection_window(session))


# ---- public -------------------------------------------------------------------------------


@bp.route("/public/<code>/method")
def method(code: str):
    """Explain how the session is scored, from its rubric and settings (before the interviews)."""
    session = pq.published_session_or_404(code)
    return render_template("candidates/method.html", m=q.method_context(session,
                                                                        current_language()))


@bp.route("/public/<code>/method.pdf")
def method_pdf(code: str):
    """The method page as an A4 PDF (for notice boards)."""
    session = pq.published_session_or_404(code)
    html = render_template("candidates/method_pdf.html",
                           m=q.method_context(session, current_language()))
    return send_file(io.BytesIO(html_to_pdf(html)), mimetype="application/pdf",
                     download_name=f"metode-{session.code}.pdf", max_age=300)


@bp.route("/public/<code>/objections")
def objection_summary(code: str):
    """Count the session's objections by category and outcome (nothing about anyone)."""
    session = pq.published_session_or_404(code)
    return render_template("candidates/objection_summary.html", session=session,
                           s=q.objection_summary(session))
