"""Public pages, no login: published criteria (page and PDF) and closed sessions' results.

Public pages show participant numbers; never a NIK, and names only for sessions configured
to publish them. Criteria are public once a session leaves draft; results once it is published
(closed), and then as last published: a correction is a new publication.
"""

from __future__ import annotations

import hashlib
import io

from flask import Blueprint, render_template, request, send_file

from .. import i18n
from ..i18n import current_language
from ..manage.queries import list_page
from ..rules.visibility import session_public
from ..workflow.finality import publications
from . import queries as pq
from .criteria_pdf import html_to_pdf

bp = Blueprint("public", __name__, url_prefix="/public")

RESULTS_PER_PAGE = 100


@bp.route("/")
def index():
    """List the sessions whose criteria (and, once closed, results) are public."""
    return render_template("public/index.html", sessions=pq.published_sessions())


@bp.route("/<code>/")
def criteria(code: str):
    """Show a session's criteria, anchors, weights, scale, combination and quorum rule."""
    session = pq.published_session_or_404(code)
    return render_template("public/criteria.html", c=pq.criteria_context(session,
                                                                         current_language()))


@bp.route("/<code>/criteria.pdf")
def criteria_pdf(code: str):
    """Download the published criteria as an A4 PDF (for notice boards and sosialisasi)."""
    session = pq.published_session_or_404(code)
    lang = current_language()
    context = pq.criteria_context(session, lang)
    html = render_template("public/criteria_pdf.html", c=context)
    # Keyed on the page's own HTML: whatever it shows (status, panels, quorums) is in the key,
    # so no server can hand out a PDF older than its page.
    pdf = html_to_pdf(html, hashlib.sha256(html.encode("utf-8")).hexdigest())
    return send_file(io.BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"kriteria-{session.code}.pdf", max_age=300)


@bp.route("/<code>/results")
def results(code: str):
    """Show a closed session's results by participant number, with each panel's agreement."""
    session = pq.published_session_or_404(code)
    if not session_public(session):
        return render_template("public/results_pending.html", session=session), 404
    rows, agreements = pq.session_outcome(session)
    q = (request.args.get("q") or "").strip()[:64]
    if q:
        rows = [r for r in rows if q.lower() in r.participant_number.lower()]
    page = list_page(rows, request.args.get("page", 1, type=int), RESULTS_PER_PAGE)
    return render_template("public/results.html", session=session, page=page, q=q,
                           agreements=agreements, publications=publications(session),
                           outcome_words=i18n.OUTCOME_WORDS)
