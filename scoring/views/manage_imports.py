"""Administration: import candidates and examiners from CSV/XLSX in two steps.

Step 1 (upload) validates every row with the same functions as ``scoring import`` and does a
dry run of the import, then rolls back: the preview lists every problem (row, column,
reason) or the counts that would change. Only a clean file is kept, server-side under
``imports/`` of the storage folder every app server shares (:mod:`scoring.storage`), keyed by
a random token, and step 2 (confirm), on whichever server, imports exactly that file.
Nothing is written before the confirmation, and nothing at all if any row is bad.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from wtforms import SelectChoice

from .. import workflow
from ..extensions import db
from ..forms_manage import ActionForm, ImportForm
from ..imports import ImportFileError, limits_from_config, parse_candidates, parse_examiners
from ..models import InterviewSession
from ..private_files import write_private
from ..storage import storage_folder
from .manage_common import actor, admin_blueprint
from .util import request_info, upload_route

bp = admin_blueprint("manage_imports", __name__)

KINDS = ("candidates", "examiners")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEEP_SECONDS = 24 * 3600
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


def _folder() -> Path:
    return storage_folder("imports")


def _sweep(folder: Path) -> None:
    """Delete uploads nobody confirmed within a day."""
    cutoff = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _parse(kind: str, data: bytes, filename: str):
    """Parse an upload outside any transaction; return (parsed or None, file error or None).

    The transaction this request opened (loading the user, the form's choices) ends first: on
    SQLite every transaction holds the write lock, and examiners' saves must not wait for a
    large file to be read.
    """
    db.session.rollback()
    parse = parse_candidates if kind == "candidates" else parse_examiners
    try:
        return parse(data, filename, limits_from_config(current_app.config)), None
    except ImportFileError as exc:
        return None, str(exc)


def _analyse(kind: str, data: bytes, filename: str, session_id: int | None, dry_run: bool):
    """Parse, then (dry-)run the import; return (report or None, file error, session)."""
    parsed, file_error = _parse(kind, data, filename)
    session = db.session.get(InterviewSession, session_id) if session_id else None
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
        sessions = db.session.execute(
            db.select(InterviewSession.id, InterviewSession.code, InterviewSession.name)
            .order_by(InterviewSession.held_on.desc())).all()
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
    db.session.rollback()  # a dry run writes nothing; make sure of it
    token = None
    if report is not None and report.ok:
        suffix = Path(filename).suffix.lower()
        token = secrets.token_hex(16)
        folder = _folder()
        _sweep(folder)
        write_private(folder / f"{token}.data", data)
        write_private(folder / f"{token}.json", json.dumps({
            "kind": kind, "filename": filename if suffix in SUFFIXES else filename + ".csv",
            "session_id": session.id if session else None, "user_id": actor().id}))
    return render_template("manage/import_preview.html", kind=kind, filename=filename,
                           report=report, file_error=file_error, token=token, session=session,
                           confirm_form=ActionForm())


@bp.route("/import/<kind>/confirm", methods=["POST"])
def confirm(kind: str):
    """Import the previewed file; every row is validated again inside the transaction."""
    token = request.form.get("token", "")
    if kind not in KINDS or not TOKEN.match(token) or not ActionForm().validate_on_submit():
        abort(400)
    folder = _folder()
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.data"
    if not meta_path.is_file() or not data_path.is_file():
        flash(gettext("That upload has expired; upload the file again."), "error")
        return redirect(url_for("manage_imports.upload", kind=kind))
    meta = json.loads(meta_path.read_text())
    if meta["kind"] != kind or meta["user_id"] != actor().id:
        abort(400)
    report, file_error, session = _analyse(kind, data_path.read_bytes(), meta["filename"],
                                           meta["session_id"], dry_run=False)
    if report is None or not report.ok:
        # The database changed since the preview (e.g. a panel was renamed): nothing written.
        db.session.rollback()
        return render_template("manage/import_preview.html", kind=kind,
                               filename=meta["filename"], report=report, file_error=file_error,
                               token=None, session=session, confirm_form=ActionForm())
    db.session.commit()
    meta_path.unlink(missing_ok=True)
    data_path.unlink(missing_ok=True)
    flash(gettext("Imported: %(c)d created, %(u)d updated, %(n)d unchanged, %(a)d assigned to "
                  "panels.", c=report.created, u=report.updated, n=report.unchanged,
                  a=report.assigned), "success")
    if kind == "examiners":
        return redirect(url_for("manage_people.users"))
    if session is not None:
        return redirect(url_for("manage.session", session_id=session.id))
    return redirect(url_for("manage_people.candidates"))
