"""Printable reset-code slips: one per person, with a QR code to the redeem page."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale

from .qr import qr_data_uri
from .render import render_pdf


def reset_slips_pdf(slips, *, base_url: str, title: str, lang: str = "id") -> bytes:
    """Render ``slips`` (ResetSlip) as an A4 PDF, several slips a page, to cut apart."""
    base = base_url.rstrip("/")
    rows = [{"username": s.username, "full_name": s.full_name, "role": s.role, "code": s.code,
             "link": f"{base}/auth/reset/{s.code}", "qr": qr_data_uri(f"{base}/auth/reset/"
                                                                       f"{s.code}")}
            for s in slips]
    return slips_pdf("reports/reset_slips.html", lang, slips=rows, title=title,
                     redeem=f"{base}/auth/reset/")


def slips_pdf(template: str, lang: str, **context) -> bytes:
    """Render a slips ``template`` in ``lang`` with the one slip stylesheet as an A4 PDF."""
    env = current_app.jinja_env
    with force_locale(lang):
        html = env.get_template(template).render(
            lang=lang, institution=current_app.config.get("INSTITUTION_NAME"), **context)
    css = env.loader.get_source(env, "reports/reset_slips.css")[0]
    return render_pdf(html, css).pdf
