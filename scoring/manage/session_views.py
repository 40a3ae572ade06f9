"""Administration: interview sessions (create, edit, open, close, rubric) and their results."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user
from wtforms import SelectChoice

from .. import workflow
from ..documents.tables import MIMETYPES, results_table, session_table
from ..extensions import db
from ..i18n import current_language, page_catalogue
from ..models import InterviewSession
from ..rubrics import Rubric, check_rubrics
from ..rules.results import by_position
from ..rules.visible_results import visible_results
from ..web.helpers import request_info, upload_route
from ..workflow import WorkflowError, session_rubric
from ..workflow.finality import publications, session_has_levels
from . import queries as mq
from .forms import ActionForm, SessionForm
from .guard import actor, admin_blueprint, list_args

bp = admin_blueprint("manage", __name__)

MAX_RUBRIC_BYTES = 1024 * 1024
STATUS_ACTIONS = ("draft", "open", "closed")


@bp.route("/")
def index():
    """List sessions: searchable, sortable, filtered by status, paginated."""
    args = list_args(mq.SESSION_SORTS, "held_on", filters=("status",), default_desc=True)
    return render_template("manage/index.html", page=mq.sessions_page(args), args=args)


def _rubric_field_choices(form: SessionForm, keep_label: str | None = None) -> list:
    choices = [SelectChoice(c.filename,
                            f"{c.rubric.title.get('id')} ({c.filename}, v{c.rubric.version})")
               for c in mq.rubric_choices() if c.rubric is not None]
    first = [SelectChoice("", keep_label or gettext("Choose a rubric"))]
    form.rubric_file.choices = first + choices
    return choices


def _uploaded_rubric(form: SessionForm) -> Rubric | None:
    """Validate an uploaded rubric; put every error next to the upload field."""
    upload = form.rubric_upload.data
    data = upload.read(MAX_RUBRIC_BYTES + 1)
    if len(data) > MAX_RUBRIC_BYTES:
        form.rubric_upload.errors = [gettext("The rubric file is larger than 1 MB.")]
        return None
    name = Path(upload.filename or "rubric.yaml").name
    if not name.endswith((".yaml", ".yml")):
        name += ".yaml"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        [(_source, rubric, errors)] = check_rubrics([path])
    if errors:
        translate = page_catalogue()
        form.rubric_upload.errors = [
            (gettext("line %(n)s", n=e.line) + ": " if e.line else "") + e.localised(translate)
            for e in errors
        ]
        return None
    return rubric


def _chosen_rubric(form: SessionForm, required: bool) -> tuple[bool, Rubric | None]:
    """Return (ok, rubric) from the upload or the list; ``rubric`` None means keep."""
    upload = form.rubric_upload.data
    if upload is not None and getattr(upload, "filename", ""):
        rubric = _uploaded_rubric(form)
        return rubric is not None, rubric
    if form.rubric_file.data:
        for choice in mq.rubric_choices():
            if choice.filename == form.rubric_file.data and choice.rubric is not None:
                return True, choice.rubric
        form.rubric_file.errors = [gettext("Not a valid choice.")]
        return False, None
    if required:
        form.rubric_file.errors = [gettext("Choose a rubric from the list or upload one.")]
        return False, None
    return True, None


@bp.route("/sessions/new", methods=["GET", "POST"])
@upload_route
def session_new():
    """Create a session in draft with a validated rubric."""
    form = SessionForm()
    _rubric_field_choices(form)
    if form.validate_on_submit():
        ok, rubric = _chosen_rubric(form, required=True)
        if ok:
            try:
                session = workflow.perform(
                    workflow.create_session, form.code.data.strip(), form.name.data.strip(),
                    form.held_on.data, rubric, place=(form.place.data or "").strip(),
                    publish_names=bool(form.publish_names.data), actor=actor(),
                    info=request_info())
            except WorkflowError as exc:
                field = form.rubric_upload if exc.code == "rubric_conflict" else form.code
                field.errors = [exc.message]
            else:
                flash(gettext("Session %(c)s created (draft).", c=session.code), "success")
                return redirect(url_for("manage.session", session_id=session.id))
    return render_template("manage/session_new.html", form=form,
                           invalid=[c for c in mq.rubric_choices() if c.rubric is None])


@bp.route("/sessions/<int:session_id>")
def session(session_id: int):
    """Show a session: status, rubric, panels, candidates and conflict warnings."""
    session = db.get_or_404(InterviewSession, session_id)
    args = list_args(mq.ASSIGNMENT_SORTS, "panel")
    return render_template(
        "manage/session.html", session=session, rubric=session_rubric(session),
        panels=mq.session_panels(session), counts=mq.assignment_counts(session),
        warnings=mq.conflict_warnings(session), page=mq.session_assignments_page(session, args),
        args=args, locked=session_has_levels(session), action_form=ActionForm(),
        publications=publications(session))


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@upload_route
def session_edit(session_id: int):
    """Edit a session's details; change its rubric while no sheet exists."""
    session = db.get_or_404(InterviewSession, session_id)
    locked = session_has_levels(session)
    form = SessionForm(obj=session)
    del form.code
    _rubric_field_choices(form, keep_label=gettext("Keep the current rubric"))
    if form.validate_on_submit():
        ok, rubric = (True, None) if locked else _chosen_rubric(form, required=False)
        if ok:
            try:
                workflow.perform(workflow.edit_session, session, name=form.name.data,
                                 held_on=form.held_on.data, place=form.place.data or "",
                                 publish_names=form.publish_names.data, rubric=rubric,
                                 actor=actor(), info=request_info())
            except WorkflowError as exc:
                form.rubric_upload.errors = [exc.message]
            else:
                flash(gettext("Session saved."), "success")
                return redirect(url_for("manage.session", session_id=session.id))
    return render_template("manage/session_edit.html", form=form, session=session,
                           locked=locked, rubric=session_rubric(session))


@bp.route("/sessions/<int:session_id>/status/<status>", methods=["POST"])
def session_status(session_id: int, status: str):
    """Open, close or return a session to draft."""
    session = db.get_or_404(InterviewSession, session_id)
    if status not in STATUS_ACTIONS:
        abort(404)
    if ActionForm().validate_on_submit():
        # Closing (publishing) and returning to draft cannot be undone: the verb checks the box.
        confirm = request.form.get("confirm") == "y"
        try:
            workflow.perform(workflow.set_session_status, session, status, actor=actor(),
                             info=request_info(), confirm=confirm)
            flash(gettext("The session is now: %(s)s.", s=_status_label(status)), "success")
        except WorkflowError as exc:
            flash(str(exc.message), "error")
    return redirect(url_for("manage.session", session_id=session.id))


def _status_label(status: str) -> str:
    from ..i18n import SESSION_STATUS_LABELS, label

    return str(label(SESSION_STATUS_LABELS, status))


@bp.route("/sessions/<int:session_id>/results")
def session_results_page(session_id: int):
    """Show the ranked results, overrides and amendments of a session."""
    session = db.get_or_404(InterviewSession, session_id)
    rubric = session_rubric(session)
    return render_template(
        "manage/session_results.html", session=session, rubric=rubric,
        results=by_position(visible_results(session, current_user)),
        overrides=mq.overrides(session),
        amendments=mq.amendments(session))


@bp.route("/sessions/<int:session_id>/results.<fmt>")
def session_export(session_id: int, fmt: str):
    """Download the results by position as CSV or XLSX (the export is recorded)."""
    session = db.get_or_404(InterviewSession, session_id)
    if fmt not in MIMETYPES:
        abort(404)
    lang = current_language()
    keys, rows = results_table(visible_results(session, current_user),
                               session_rubric(session).codes, lang)
    data = session_table(keys, rows, fmt, lang, session)
    workflow.record_export(session, "results.export", fmt, len(rows), actor=actor(),
                           info=request_info())
    return send_file(io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=f"results-{session.code}.{fmt}")
