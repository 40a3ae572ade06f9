"""Administration: import candidates and examiners from CSV/XLSX in two steps.

Step 1 (upload) validates every row with the same functions as ``scoring import`` and does a
dry run of the import, then rolls back: the preview lists every problem (row, column,
reason) or the counts that would change. Only a clean file is kept, server-side under
``imports/`` of the storage folder every app server shares (:mod:`scoring.ops.storage`), keyed by
a random token, and step 2 (confirm), on whichever server, imports exactly that file.
Nothing is written before the confirmation, and nothing at all if any row is bad.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from wtforms import SelectChoice

from .. import workflow
from ..extensions import db
from ..models import InterviewSession
from ..web.helpers import request_info, upload_route
from ..workflow.uploads import TOKEN, discard_upload, stage_upload, staged_upload
from . import queries as mq
from .forms import ActionForm, ImportForm
from .guard import actor, admin_blueprint
from .import_files import ImportFileError, limits_from_config, parse_candidates, parse_examiners

bp = admin_blueprint("manage_imports", __name__)

KINDS = ("candidates", "examiners")


def _parse(kind: str, data: bytes, filename: str):
    """Parse an upload outside any transaction; return (parsed or None, file error or None).

    The transaction this request opened (loading the user, the form's choices) ends first: on
    SQLite every transaction holds the write lock, and examiners' saves must not wait for a
    large file to be read.
    """
    workflow.discard()
    parse = parse_candidates if kind == "candidates" else parse_examiners
    try:
        return parse(data, filename, limits_from_config(current_app.config)), None
    except ImportFileError as exc:
        return None, str(exc)


def _analyse(kind: str, data: bytes, filename: str, session_id: int | None, dry_run: bool):
    """Parse, then (dry-)run the import; return (report or None, file error, session)."""
    parsed, file_error = _parse(kind, data, filename)
    session = db.get_or_404(InterviewSession, session_id) if session_id else None
    if parsed is None:
        return None, file_error, session
    if kind == "candidates":
        report = workflow.import_candidates(parsed, session=session, dry_run=dry_run,
                                            actor=actor(), info=request_info())
    else:
        report = workflow.import_examiners(parsed, dry_run=dry_run, actor=actor(),
                                           info=request_info())
    return report, None, session


def _form(kind: str) -> ImportForm:
    form = ImportForm()
    if kind == "candidates":
        sessions = mq.session_choices()
        form.session.choices = [SelectChoice(0, gettext("No session (candidates only)"))] + [
            SelectChoice(i, f"{c} · {n}") for i, c, n in sessions]
    else:
        del form.session
    return form


@bp.route("/import/<kind>", methods=["GET", "POST"])
@upload_route
def upload(kind: str):
    """Upload a file and show the preview: every problem, or what would change."""
    if kind not in KINDS:
        abort(404)
    form = _form(kind)
    if request.method == "GET" and kind == "candidates" and request.args.get("session"):
        form.session.data = request.args.get("session", type=int)
    if not form.validate_on_submit():
        return render_template("manage/import.html", kind=kind, form=form)
    upload = form.file.data
    filename = Path(upload.filename or "upload.csv").name
    data = upload.read()
    session_id = form.session.data if kind == "candidates" and form.session.data else None
    report, file_error, session = _analyse(kind, data, filename, session_id, dry_run=True)
    workflow.discard()  # a dry run writes nothing; make sure of it
    token = None
    if report is not None and report.ok:
        token = stage_upload(kind, filename, data, session.id if session else None, actor().id)
    return render_template("manage/import_preview.html", kind=kind, filename=filename,
                           report=report, file_error=file_error, token=token, session=session,
                           confirm_form=ActionForm())


@bp.route("/import/<kind>/confirm", methods=["POST"])
def confirm(kind: str):
    """Import the previewed file; every row is validated again inside the transaction."""
    token = request.form.get("token", "")
    if kind not in KINDS or not TOKEN.match(token) or not ActionForm().validate_on_submit():
        abort(400)
    staged = staged_upload(token)
    if staged is None:
        flash(gettext("That upload has expired; upload the file again."), "error")
        return redirect(url_for("manage_imports.upload", kind=kind))
    if staged.kind != kind or staged.user_id != actor().id:
        abort(400)
    report, file_error, session = workflow.perform_if(
        lambda result: result[0] is not None and result[0].ok, _analyse, kind, staged.data,
        staged.filename, staged.session_id, dry_run=False)
    if report is None or not report.ok:
        # The database changed since the preview (e.g. a panel was renamed): nothing written.
        return render_template("manage/import_preview.html", kind=kind,
                               filename=staged.filename, report=report, file_error=file_error,
                               token=None, session=session, confirm_form=ActionForm())
    discard_upload(token)
    flash(gettext("Imported: %(c)d created, %(u)d updated, %(n)d unchanged, %(a)d assigned to "
                  "panels.", c=report.created, u=report.updated, n=report.unchanged,
                  a=report.assigned), "success")
    return redirect(_after_import(kind, session))


def _after_import(kind: str, session: InterviewSession | None) -> str:
    """Return where an import lands: the people list, or the session it placed candidates in."""
    if kind == "examiners":
        return url_for("manage_people.users")
    if session is not None:
        return url_for("manage.session", session_id=session.id)
    return url_for("manage_people.candidates")
