"""The published criteria of a session as an A4 PDF (WeasyPrint, from already-rendered HTML).

The HTML is rendered from plain data (``public_queries.criteria_context``) and carries its
own stylesheet. It goes through the one WeasyPrint wrapper (:mod:`scoring.documents.render`):
the same URL fetcher (``data:`` only, so a rubric's text can never make the renderer read a
local file or reach the network) and the same font-cache lock. Rendered PDFs are cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from ..documents.render import render_pdf

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 32


def html_to_pdf(html: str, key: Hashable | None = None) -> bytes:
    """Render self-contained ``html`` to PDF bytes; the same ``key`` returns cached bytes."""
    if key is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    pdf = render_pdf(html).pdf
    if key is not None:
        _CACHE[key] = pdf
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return pdf
