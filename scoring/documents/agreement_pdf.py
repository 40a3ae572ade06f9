"""The chair's and administrator's agreement reports as PDFs (rendered by ``scoring worker``).

The same templates and figures as the pages (:mod:`scoring.chair.agreement_report`, over the scores
the
viewer may see); rendered outside any request, in the language the report was asked in.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale

__all__ = ["REPORT_KINDS", "render_agreement_pdf"]

# What a report job makes: the agreement report of one panel, or of a whole session.
REPORT_KINDS = ("panel_report", "session_report")


def render_agreement_pdf(kind: str, session, panel, viewer, target: float, lang: str) -> bytes:
    """Return the PDF of ``kind`` for ``session`` (or ``panel``) as ``viewer`` may see it."""
    from ..chair import agreement_report as agreement
    from ..chair import interpret, report_lead
    from .render import render_pdf

    env = current_app.jinja_env
    with force_locale(lang):
        if kind == "panel_report":
            report = agreement.panel_report(panel, target, viewer=viewer)
            html = env.get_template("chair/report_pdf.html").render(
                r=report, i=interpret, charts=interpret.panel_charts(report), lang=lang,
                **report_lead.context(report))
        elif kind == "session_report":
            report = agreement.session_report(session, target, viewer=viewer)
            criteria = report["criteria"]
            leads = {p["panel"]["id"]: {**report_lead.context({**p, "criteria": criteria}),
                                        "evidence_url": None}  # a PDF has no links
                     for p in report["panels"]}
            html = env.get_template("chair/session_pdf.html").render(
                r=report, i=interpret, chart=interpret.session_chart(report), lang=lang,
                leads=leads)
        else:
            raise ValueError(f"unknown report kind {kind!r}; expected one of {REPORT_KINDS}")
    css = env.loader.get_source(env, "chair/report.css")[0]
    return render_pdf(html, css).pdf
