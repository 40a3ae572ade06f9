"""Printable access-code slips for candidates: one per candidate, a QR code to /hasil."""

from __future__ import annotations

from urllib.parse import quote

from .qr import qr_data_uri
from .reset_slips import slips_pdf


def candidate_slips_pdf(slips, *, base_url: str, title: str, lang: str = "id") -> bytes:
    """Render ``slips`` (CodeSlip) as an A4 PDF, several a page, to cut apart.

    The QR code carries the participant number only (it fills in the form): the code is
    typed by hand, so it never lands in a browser history or a server log.
    """
    base = base_url.rstrip("/")
    rows = []
    for s in slips:
        link = f"{base}/hasil?p={quote(s.participant_number)}"
        rows.append({"participant_number": s.participant_number, "name": s.name,
                     "position": s.position, "panel": s.panel, "code": s.code, "link": link,
                     "qr": qr_data_uri(link)})
    return slips_pdf("reports/candidate_slips.html", lang, slips=rows, title=title,
                     page=f"{base}/hasil")
