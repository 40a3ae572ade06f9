"""Examiner records: one page per examiner, the table of all, the briefing PDF."""

from __future__ import annotations

import io
import math

from flask import abort, current_app, render_template, request, send_file
from flask_login import current_user

from ..chair.interpret import FLAG_LABELS
from ..documents.render import render_pdf
from ..extensions import db
from ..i18n import current_language
from ..models import User
from ..rules.sheet_facts import session_rubric
from ..web.helpers import role_required
from ..workflow.institution_seal import document_css
from . import bp, briefing, queries

SORTS = ("username", "sessions", "mean_deviation", "last_deviation", "consistency", "flags",
         "calibration_exact", "certified")


def _may_see(user: User) -> bool:
    """Examiners see their own record; chairs and administrators see everyone's."""
    return current_user.id == user.id or current_user.has_role("admin") or \
        current_user.has_role("chair")


def _subject(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if user.role not in ("examiner", "chair") or not _may_see(user):
        abort(404)
    return user


@bp.route("/")
@role_required("chair", "admin")
def index():
    """The table of every examiner's figures, sortable by any of them."""
    key = request.args.get("sort", "username")
    key = key if key in SORTS else "username"
    descending = request.args.get("desc") == "1"
    rows = [(r, r.summary()) for r in queries.all_records(current_user)]

    def order(item):
        value = item[1][key]
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        if key == "mean_deviation" and not missing:
            value = abs(value)
        return (missing, value if not missing else 0)
    rows.sort(key=order, reverse=False)
    if descending:
        present = [r for r in rows if not order(r)[0]]
        rows = present[::-1] + [r for r in rows if order(r)[0]]
    return render_template("examiners/index.html", rows=rows, sort=key, desc=descending)


@bp.route("/<int:user_id>")
@role_required("examiner", "chair", "admin")
def record(user_id: int):
    """One examiner's record across sessions, calibration and shadow results, trend chart."""
    user = _subject(user_id)
    rec = queries.examiner_record(user, current_user)
    return render_template("examiners/record.html", record=rec, subject=user,
                           reasons=briefing.reasons(rec), flag_labels=FLAG_LABELS,
                           chart=briefing.trend_chart(rec, f"trend-{user.id}"))


@bp.route("/<int:user_id>/briefing.pdf")
@role_required("examiner", "chair", "admin")
def briefing_pdf(user_id: int):
    """The one-page briefing PDF: tendencies so far and the anchors to watch."""
    user = _subject(user_id)
    rec = queries.examiner_record(user, current_user, per_criterion=True)
    session = queries.upcoming_session(user) or queries.last_session(rec)
    if session is None:
        abort(404)
    rubric = session_rubric(session)
    lang = current_language()
    content = briefing.briefing(rec, rubric, lang)
    html = render_template("examiners/briefing_pdf.html", record=rec, subject=user,
                           session=session, rubric=rubric, lang=lang, brief=content,
                           flag_labels=FLAG_LABELS,
                           chart=briefing.trend_chart(rec, "trend"),
                           institution=current_app.config.get("INSTITUTION_NAME"))
    pdf = render_pdf(html, document_css()).pdf
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=False,
                     download_name=f"briefing-{user.username}.pdf")
