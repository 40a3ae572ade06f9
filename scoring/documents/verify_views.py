"""Public verification of signed documents: by token or printed code, or by uploading the PDF.

No login. Pages show the document type, participant number, session, date, content hash and
signing status, and what the document says that matters, as it was sealed (a sheet's levels
and total, a recap's final score and its inputs, the minutes' final scores), so a doctored
printout bearing a genuine code is caught by comparing numbers: never a NIK or a name.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Length, Optional

from ..extensions import db
from ..models import Document, InterviewSession
from ..web.forms import Form
from ..web.helpers import upload_route
from ..workflow.documents import check_upload, document_by_code, short_code

bp = Blueprint("verify", __name__, url_prefix="/verify")

MAX_UPLOAD = 10 * 1024 * 1024  # a sheet is ~30-60 KB; the minutes of a large session < 1 MB


class CodeForm(Form):
    """The printed verification code."""

    class Meta(Form.Meta):
        csrf = False  # a GET lookup that changes nothing

    code = StringField(_l("Verification code"), validators=[Optional(), Length(max=64)],
                       render_kw={"autocapitalize": "characters", "autocomplete": "off",
                                  "spellcheck": "false", "placeholder": "ABCDE-FGHJK"})


class UploadForm(Form):
    """A PDF to check."""

    pdf = FileField(_l("PDF file"), validators=[FileRequired()])


KIND_LABELS = {"sheet": _l("Examiner's score sheet"), "recap": _l("Candidate score recap"),
               "minutes": _l("Minutes of the interview session (berita acara)"),
               "result": _l("A candidate's own interview result")}
STATUS_LABELS = {
    "valid": _l("Valid: this document was issued and sealed by this system and has not been "
                "changed."),
    "invalid": _l("Invalid: this file does not match a document sealed by this system."),
    "foreign": _l("Not issued by this system: the file carries no seal of this institution."),
}
REASONS = {
    "ok": _l("The electronic seal is intact and matches the register of issued documents."),
    "unreadable": _l("The file is damaged or is not a readable PDF."),
    "damaged": _l("The electronic seal is damaged."),
    "mismatch": _l("The content was changed after sealing: it no longer matches the seal."),
    "changed": _l("Something was added to or changed in the file after it was sealed."),
    "untrusted": _l("The seal cannot be traced to this institution's certificate."),
    "not_registered": _l("The seal is this institution's, but the file is not in the register "
                         "of issued documents."),
    "unsigned": _l("The file carries no digital signature."),
    "other_signer": _l("The file was signed with another certificate."),
    "not_pdf": _l("The file is not a PDF."),
}


def public_facts(document: Document) -> dict:
    """Return what anyone holding the document may check: its identity and sealed content."""
    session = db.session.get(InterviewSession, document.session_id)
    return {"kind": document.kind, "participant_number": document.participant_number,
            "content": json.loads(document.facts) if document.facts else None,
            "session_code": session.code, "session_name": session.name,
            "held_on": session.held_on, "issued_at": document.created_at,
            "sha256": document.sha256, "signed": document.signed,
            "short_code": short_code(document.token), "lang": document.lang}


@bp.route("", methods=["GET"])
def index():
    """Offer the code lookup and the upload form; a code given in the query is looked up."""
    form = CodeForm(request.args)
    if form.code.data:
        document = document_by_code(form.code.data)
        if document is not None:
            return redirect(url_for(".token", token=document.token))
        return render_template("verify/index.html", code_form=form, upload_form=UploadForm(),
                               not_found=True), 404
    return render_template("verify/index.html", code_form=form, upload_form=UploadForm())


@bp.route("/<token>")
def token(token: str):
    """Show the public facts of the document with this token (or printed code)."""
    document = document_by_code(token) if len(token) <= 64 else None
    if document is None:
        return render_template("verify/unknown.html"), 404
    return render_template("verify/token.html", facts=public_facts(document))


@bp.app_template_filter("document_kind")
def document_kind(kind: str) -> str:
    """Return the translated name of a document kind."""
    return str(KIND_LABELS.get(kind, kind))


@bp.route("/upload", methods=["POST"])
@upload_route
def upload():
    """Check an uploaded PDF: valid, invalid (tampered) or not issued by this system."""
    if request.content_length and request.content_length > MAX_UPLOAD + 4096:
        abort(413)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("verify/index.html", code_form=CodeForm(formdata=None),
                               upload_form=form), 400
    data = form.pdf.data.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        abort(413)
    result = check_upload(data)
    facts = public_facts(result.document) if result.document is not None else None
    return render_template("verify/result.html", result=result, facts=facts,
                           headline=STATUS_LABELS[result.status],
                           explanation=REASONS.get(result.code, result.reason))
