"""SVG primitives, palette and scales shared by the charts.

Every chart module imports this one module (``from . import svg``) and draws with
``svg.element``, ``svg.text``, ``svg.linear`` ... inside ``svg.figure``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")


# Ordinal levels, light to dark (ColorBrewer "Blues", colour-blind safe); text colour per fill.
SEQUENTIAL = {
    2: ("#c6dbef", "#08519c"),
    3: ("#c6dbef", "#4292c6", "#08306b"),
    4: ("#deebf7", "#9ecae1", "#3182bd", "#08306b"),
    5: ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"),
    6: ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"),
    7: ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"),
}


INK, MUTED, GRID, FLAG = "#1b1f23", "#4b5563", "#d5dbe1", "#D55E00"


FLAG_TEXT = "#8a3200"  # the vermilion darkened for text: 8.4:1 on white


FONT = "DejaVu Sans, Verdana, Arial, sans-serif"


WIDTH = 640


Fmt = Callable[[float], str]


def fmt_default(value: float) -> str:
    """Return ``value`` with two decimals (the charts' format when the caller gives none)."""
    return f"{value:.2f}"


def _a(**attrs) -> str:
    """Return SVG attributes (``stroke_width`` -> ``stroke-width``), values escaped."""
    return " ".join(
        f"{k.rstrip('_').replace('_', '-')}={quoteattr(str(v))}"
        for k, v in attrs.items()
        if v is not None
    )


def element(tag: str, **attrs) -> str:
    """Return an empty SVG element."""
    return f"<{tag} {_a(**attrs)}/>"


def text(x, y, content, size=12, anchor="start", fill=INK, weight=None) -> str:
    """Return a text element at (x, y), its content escaped."""
    attrs = _a(x=coord(x), y=coord(y), font_size=size, text_anchor=anchor, fill=fill,
               font_weight=weight)
    return f"<text {attrs}>{escape(str(content))}</text>"


def coord(v: float) -> str:
    """Return a coordinate rounded to a tenth, without trailing zeros."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


def figure(height: float, title: str, desc: str, body: list[str], chart_id: str) -> str:
    """Return the whole chart: the ``svg`` element with its title and description, then body."""
    tid, did = f"{chart_id}-title", f"{chart_id}-desc"
    attrs = _a(class_="chart", viewBox=f"0 0 {WIDTH} {coord(height)}", width=WIDTH,
               height=coord(height), role="img", aria_labelledby=f"{tid} {did}", font_family=FONT)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" {attrs}>'
        f"<title {_a(id=tid)}>{escape(title)}</title><desc {_a(id=did)}>{escape(desc)}</desc>"
    )
    return head + "".join(body) + "</svg>"


def finite(*values) -> bool:
    """Return whether every value is a finite number (not None, not NaN or infinite)."""
    return all(v is not None and math.isfinite(v) for v in values)


def linear(lo: float, hi: float, x0: float, x1: float):
    """Return the map of [lo, hi] onto [x0, x1] (values outside are clamped)."""
    span = (hi - lo) or 1.0
    return lambda v: x0 + (min(max(v, lo), hi) - lo) / span * (x1 - x0)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Return about ``n`` round tick values from ``lo`` to ``hi`` (steps of 1, 2, 2.5, 5)."""
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=mag)
    start = math.ceil(lo / step - 1e-9) * step
    ticks, v = [], start
    while v <= hi + 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def diamond(x: float, y: float, fill: str, s: float = 6) -> str:
    """Return a diamond marker centred on (x, y)."""
    pts = f"{coord(x)},{coord(y - s)} {coord(x + s)},{coord(y)} {coord(x)},{coord(y + s)} " \
          f"{coord(x - s)},{coord(y)}"
    return element("polygon", points=pts, fill=fill, stroke=INK)
