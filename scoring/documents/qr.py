"""QR codes as SVG data URIs (segno: no dependencies, sized by CSS)."""

from __future__ import annotations

import segno


def qr_data_uri(text: str) -> str:
    """Return an SVG data URI of a QR code encoding ``text`` (error correction M)."""
    code = segno.make_qr(text, error="m")
    return code.svg_data_uri(scale=4, border=2, omitsize=True)
