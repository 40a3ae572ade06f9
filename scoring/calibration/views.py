"""Calibration pages: practice sets on the tablet (marked "Latihan"), feedback, the gate."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user

from ..documents.tables import LONG_HEADERS, MIMETYPES, header_names, table_bytes
from ..extensions import db
from ..i18n import current_language
from ..models import CalibrationCase, InterviewSession, User
from ..web.helpers import json_payload, request_info, role_required, upload_route
from ..workflow import calibration as verbs
from ..workflow import perform
from . import bp, queries
from .forms import ImportForm, OverrideForm, RequirementForm, StartForm
from .markdown import render as markdown

PRACTISING = ("examiner", "chair")


MAX_SET_BYTES = 1024 * 1024


@bp.route("/")
@role_required("examiner", "chair", "admin")
def index():
    """List the sets to practise and the user's own attempts with their figures."""
    return render_template("calibration/index.html", sets=queries.all_sets(),
                           attempts=queries.attempts_of(current_user), form=StartForm(),
                           upload=ImportForm() if current_user.role == "admin" else None)


@bp.route("/import", methods=["POST"])
@upload_route
@role_required("admin")
def import_set():
    """Import a set file (YAML, no media); every problem listed with its line."""
    upload = ImportForm()
    if upload.validate_on_submit():
        parsed, problems = queries.read_set_upload(upload.file.data, MAX_SET_BYTES)
        if not problems:
            cal_set = perform(verbs.import_set, parsed, None,
                              actor=current_user._get_current_object(), info=request_info())
            flash(gettext("Calibration set %(code)s imported.", code=cal_set.code), "success")
            return redirect(url_for(".index"))
        upload.file.errors = problems
    return render_template("calibration/index.html", sets=queries.all_sets(),
                           attempts=queries.attempts_of(current_user), form=StartForm(),
                           upload=upload), 400


@bp.route("/sets/<int:set_id>/start", methods=["POST"])
@role_required(*PRACTISING)
def start(set_id: int):
    """Start or continue a practice set; open its first case not yet submitted."""
    cal_set = db.get_or_404(verbs.CalibrationSet, set_id)
    if not StartForm().validate_on_submit():
        abort(400)
    attempt = perform(verbs.start_attempt, cal_set, current_user._get_current_object())
    return redirect(url_for(".case", attempt_id=attempt.id, number=_next_case(attempt)))


def _next_case(attempt) -> int:
    for number, case in enumerate(attempt.set.cases, start=1):
        answer = verbs.answer_of(attempt, case)
        if answer is None or answer.submitted_at is None:
            return number
    return len(attempt.set.cases)


def _case_of(attempt, number: int) -> CalibrationCase:
    cases = attempt.set.cases
    if not 1 <= number <= len(cases):
        abort(404)
    return cases[number - 1]


@bp.route("/attempts/<int:attempt_id>/<int:number>")
@role_required(*PRACTISING)
def case(attempt_id: int, number: int):
    """Show a practice case on the scoring component, or its feedback once submitted."""
    attempt = queries.own_attempt(current_user, attempt_id)
    item = _case_of(attempt, number)
    rubric = verbs.set_rubric(attempt.set)
    answer = verbs.answer_of(attempt, item)
    state = json.loads(answer.scores) if answer else {}
    common = dict(attempt=attempt, case=item, number=number, total=len(attempt.set.cases),
                  rubric=rubric, lang=current_language(), summary=markdown(item.summary))
    if answer is not None and answer.submitted_at is not None:
        return render_template(
            "calibration/feedback.html", **common, rows=_feedback(rubric, item, state),
            finished=attempt.finished_at is not None)
    # The examine component reads an assignment id and a sheet; here they are the case's.
    sheet = SimpleNamespace(client_seq=answer.client_seq if answer else 0, status="draft")
    return render_template(
        "calibration/case.html", **common, assignment=SimpleNamespace(id=item.id), sheet=sheet,
        state=state, direct={  # the component saves to the practice endpoints, not the outbox
            "key": f"calibration-{attempt.id}-{item.id}",
            "urls": {"draft": url_for(".save", attempt_id=attempt.id, number=number),
                     "submit": url_for(".submit", attempt_id=attempt.id, number=number),
                     "done": url_for(".case", attempt_id=attempt.id, number=number)}})


def _feedback(rubric, item, state) -> list[dict]:
    reference = queries.case_reference(item)
    rows = []
    for criterion in rubric.criteria:
        ref = reference[criterion.code]
        own = (state.get(criterion.code) or {}).get("level")
        rows.append({"criterion": criterion, "own": own, "reference": ref["level"],
                     "difference": None if own is None else own - ref["level"],
                     "anchor": criterion.anchor(ref["level"]),
                     "own_anchor": criterion.anchor(own) if own is not None else None,
                     "rationale": ref["rationale"]})
    return rows


@bp.route("/attempts/<int:attempt_id>/<int:number>/draft", methods=["POST"])
@role_required(*PRACTISING)
def save(attempt_id: int, number: int):
    """Save a practice case's state (the scoring component's draft call)."""
    data = json_payload()
    attempt = queries.own_attempt(current_user, attempt_id)
    answer, applied = perform(verbs.save_answer, attempt, _case_of(attempt, number),
                              current_user._get_current_object(), data.get("scores"),
                              data.get("seq"))
    return jsonify({"status": "draft", "applied": applied, "seq": answer.client_seq})


@bp.route("/attempts/<int:attempt_id>/<int:number>/submit", methods=["POST"])
@role_required(*PRACTISING)
def submit(attempt_id: int, number: int):
    """Submit a practice case (the signature the component sends is not kept)."""
    data = json_payload()
    attempt = queries.own_attempt(current_user, attempt_id)
    perform(verbs.submit_answer, attempt, _case_of(attempt, number),
            current_user._get_current_object(), data.get("scores"), data.get("seq"))
    return jsonify({"status": "submitted", "content_hash": "",
                    "receipt": gettext("Practice case submitted")})


@bp.route("/attempts/<int:attempt_id>/result")
@role_required(*PRACTISING)
def result(attempt_id: int):
    """Show the set's figures: agreement with the reference, deviation, criteria to watch."""
    attempt = queries.own_attempt(current_user, attempt_id)
    figures = verbs.attempt_figures(attempt)
    rubric = verbs.set_rubric(attempt.set)
    return render_template("calibration/result.html", attempt=attempt,
                           figures=figures, rubric=rubric, lang=current_language())


@bp.route("/attempts/<int:attempt_id>/scores.csv")
@role_required(*PRACTISING)
def scores_csv(attempt_id: int):
    """Download the attempt's levels beside the reference as a long file `scoring stats` reads."""
    attempt = queries.own_attempt(current_user, attempt_id)
    rubric = verbs.set_rubric(attempt.set)
    levels, reference = verbs.attempt_arrays(attempt, rubric)
    rows = []
    for i, item in enumerate(attempt.set.cases):
        for j, code in enumerate(rubric.codes):
            if levels[i, j] == levels[i, j]:  # not NaN: the case was submitted
                rows.append([item.code, attempt.examiner.username, code, int(levels[i, j]), "pre"])
                rows.append([item.code, "reference", code, int(reference[i, j]), "pre"])
    lang = current_language()  # the reader's CSV style; `scoring stats` reads both
    title = [gettext("Calibration set"), attempt.set.code, attempt.set.title]
    data = table_bytes(header_names(LONG_HEADERS["en"][:5], lang), rows, "csv", lang=lang,
                       title=title)
    return send_file(io.BytesIO(data), mimetype=MIMETYPES["csv"], as_attachment=True,
                     download_name=f"calibration-{attempt.set.code}-{attempt.id}.csv")


@bp.route("/media/<int:case_id>")
@role_required("examiner", "chair", "admin")
def media(case_id: int):
    """Serve a practice case's audio or video from the instance (range requests allowed)."""
    item = db.get_or_404(CalibrationCase, case_id)
    if not item.media:
        abort(404)
    path = verbs.media_dir() / item.media
    if not path.is_file():
        abort(404)
    return send_file(path, conditional=True)


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@role_required("admin")
def gate(session_id: int):
    """A session's certification gate: the requirement, who has passed, overrides."""
    session = db.get_or_404(InterviewSession, session_id)
    sets = [s for s in queries.all_sets() if s.rubric_id == session.rubric_id]
    req = queries.requirement(session)
    form = RequirementForm(prefix="req", data=_requirement_data(req, sets))
    form.set_id.choices = [(0, gettext("No requirement"))] + [(s.id, f"{s.code} · {s.title}")
                                                               for s in sets]
    rows = queries.gate_rows(session)
    override = OverrideForm(prefix="ovr")
    override.user_id.choices = [(r.user.id, f"{r.user.username} · {r.user.full_name}")
                                for r in rows if r.gap]
    if request.method == "POST":
        done = _gate_action(session, request.form.get("action"), form, override)
        if done:
            flash(done, "success")
            return redirect(url_for(".gate", session_id=session.id))
    return render_template("calibration/gate.html", session=session, req=req, form=form,
                           override=override, rows=rows, overrides=queries.overrides(session))


def _gate_action(session: InterviewSession, action: str | None, form: RequirementForm,
                 override: OverrideForm) -> str | None:
    """Apply the gate form's ``action``; return the message once done, None if invalid."""
    if action == "requirement":
        if not form.validate():
            return None
        perform(verbs.set_requirement, session, queries.calibration_set(form.set_id.data),
                min_exact=float(form.min_exact.data) / 100,
                min_adjacent=float(form.min_adjacent.data) / 100,
                max_abs_deviation=float(form.max_abs_deviation.data),
                valid_days=form.valid_days.data, actor=current_user._get_current_object(),
                info=request_info())
        return gettext("The certification requirement is saved.")
    if action == "override":
        if not override.validate():
            return None
        perform(verbs.override_certification, session,
                db.get_or_404(User, override.user_id.data), override.reason.data,
                actor=current_user._get_current_object(), info=request_info())
        return gettext("The override is recorded.")
    abort(400)


def _requirement_data(req, sets) -> dict:
    if req is not None:
        return {"set_id": req.set_id, "min_exact": round(req.min_exact * 100, 1),
                "min_adjacent": round(req.min_adjacent * 100, 1),
                "max_abs_deviation": req.max_abs_deviation, "valid_days": req.valid_days}
    first = sets[0] if sets else None
    return {"set_id": first.id if first else 0,
            "min_exact": round((first.min_exact if first else 0.6) * 100, 1),
            "min_adjacent": round((first.min_adjacent if first else 0.9) * 100, 1),
            "max_abs_deviation": first.max_abs_deviation if first else 0.5, "valid_days": 365}
