"""HTML to PDF with WeasyPrint: only in-memory resources, fonts embedded, A4.

The HTML comes already rendered from plain data (see :mod:`scoring.documents.context`). The URL
fetcher serves ``data:`` URIs (the QR code, the drawn signature) and refuses everything else,
so a template or a value in it can never read a local file or reach the network.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

__all__ = ["RenderError", "RenderedPdf", "SafeURLFetcher", "render_pdf"]

SIGNATURE_ANCHOR = "signature-box"
PX_TO_PT = 0.75  # CSS px are 1/96 in, PDF points 1/72 in


class SafeURLFetcher(URLFetcher):
    """Fetch ``data:`` URIs only; any other URL stops the rendering."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, fail_on_errors=True)

    def fetch(self, url, headers=None):
        """Refuse anything but ``data:`` (file:, http:, https:, relative paths)."""
        if not url.lower().startswith("data:"):
            raise ValueError(f"refused to fetch {url[:80]!r}: documents use embedded data only")
        return super().fetch(url, headers)


class RenderError(RuntimeError):
    """The document could not be rendered (a refused or failed resource)."""


@dataclass(frozen=True)
class RenderedPdf:
    """A rendered PDF and where its signature box is (PDF points, origin bottom-left)."""

    pdf: bytes
    pages: int
    signature_page: int | None
    signature_box: tuple[float, float, float, float] | None


# WeasyPrint shares font caches across renders; one render at a time keeps that safe for
# the background export thread and request threads alike.
_lock = threading.Lock()
_fonts: FontConfiguration | None = None
_css: dict[str, CSS] = {}


def render_pdf(html: str, css: str = "", *, pdf_variant: str | None = None) -> RenderedPdf:
    """Render ``html`` (with the stylesheet text ``css``) to PDF and locate the signature box."""
    global _fonts
    with _lock, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if _fonts is None:
            _fonts = FontConfiguration()
        sheet = _css.get(css)
        if sheet is None:
            sheet = _css[css] = CSS(string=css, font_config=_fonts,
                                    url_fetcher=SafeURLFetcher())
        try:
            document = HTML(string=html, url_fetcher=SafeURLFetcher()).render(
                stylesheets=[sheet], font_config=_fonts)
        except FatalURLFetchingError as exc:  # a BaseException: would escape `except Exception`
            why = exc.__cause__ or exc.__context__
            raise RenderError(f"{exc}: {why}" if why else str(exc)) from exc
        page_index, box = _signature_box(document)
        pdf = document.write_pdf(pdf_variant=pdf_variant)
    return RenderedPdf(pdf, len(document.pages), page_index, box)


def _signature_box(document) -> tuple[int | None, tuple[float, float, float, float] | None]:
    """Return the page and PDF-point box of the element with id ``signature-box``."""
    for index, page in enumerate(document.pages):
        anchor = page.anchors.get(SIGNATURE_ANCHOR)
        if anchor is not None:
            x1, y1, x2, y2 = anchor
            height = page.height * PX_TO_PT
            return index, (x1 * PX_TO_PT, height - y2 * PX_TO_PT,
                           x2 * PX_TO_PT, height - y1 * PX_TO_PT)
    return None, None
