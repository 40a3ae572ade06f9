"""The published criteria of a session as an A4 PDF (WeasyPrint, from already-rendered HTML).

The HTML is rendered from plain data (``public_queries.criteria_context``) and carries its
own stylesheet; the URL fetcher refuses every URL, so a rubric's text can never make the
renderer read a local file or reach the network. Fonts come from the system (DejaVu).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 32


class RefusedURL(ValueError):
    """A document asked for an external resource; the criteria PDF uses none."""


def refuse_url(url: str, *args, **kwargs):
    """Refuse every fetch: no ``file:``, no remote URLs (the HTML is self-contained)."""
    raise RefusedURL(f"external resources are not allowed in PDFs: {url[:80]}")


def html_to_pdf(html: str, key: Hashable | None = None) -> bytes:
    """Render self-contained ``html`` to PDF bytes; the same ``key`` returns cached bytes."""
    if key is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    pdf = _render(html)
    if key is not None:
        _CACHE[key] = pdf
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return pdf


def _render(html: str) -> bytes:
    # Imported late: WeasyPrint is slow to import and only PDFs need it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    class Refusing(URLFetcher):
        def fetch(self, url, headers=None):
            return refuse_url(url)

    return HTML(string=html, url_fetcher=Refusing(), base_url=None).write_pdf()
