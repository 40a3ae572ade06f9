"""A small, safe Markdown subset for practice cases: paragraphs, lists, quotes, emphasis.

Everything is escaped first, so a case file can never inject HTML; only ``**bold**``,
``*italic*``, ``# headings``, ``- lists``, ``1. lists`` and ``> quotes`` become markup. Pure.
"""

from __future__ import annotations

import re
from html import escape

from markupsafe import Markup

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
_ITEM = re.compile(r"^\s*(?:[-*]|(\d+)\.)\s+(.*)$")


def _inline(text: str) -> str:
    text = escape(text, quote=False)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    return _ITALIC.sub(r"<em>\1</em>", text)


def render(text: str) -> Markup:
    """Return the HTML of ``text`` (the subset above; anything else stays plain text).

    Long because it is one small line-by-line state machine: the open paragraph, list and
    quote are its state, which the nested ``flush`` closes whenever a block ends.
    """
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []
    ordered = False
    quote: list[str] = []

    def flush() -> None:
        nonlocal items, para, quote
        if para:
            out.append("<p>" + "<br>".join(_inline(p) for p in para) + "</p>")
        if items:
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items)
                       + f"</{tag}>")
        if quote:
            out.append("<blockquote><p>" + "<br>".join(_inline(q) for q in quote)
                       + "</p></blockquote>")
        para, items, quote = [], [], []

    for line in (text or "").splitlines():
        stripped = line.strip()
        item = _ITEM.match(line)
        if not stripped:
            flush()
        elif stripped.startswith("#"):
            flush()
            level = min(len(stripped) - len(stripped.lstrip("#")), 3) + 2  # h3..h5 in a page
            out.append(f"<h{level}>{_inline(stripped.lstrip('#').strip())}</h{level}>")
        elif stripped.startswith(">"):
            if para or items:
                flush()
            quote.append(stripped[1:].strip())
        elif item:
            if para or quote:
                flush()
            ordered = item.group(1) is not None
            items.append(item.group(2))
        else:
            if items or quote:
                flush()
            para.append(stripped)
    flush()
    return Markup("\n".join(out))  # nosec B704: every piece of text was escaped above
