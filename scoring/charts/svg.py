"""SVG primitives, palette and scales shared by the charts."""

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


def _fmt_default(value: float) -> str:
    return f"{value:.2f}"


def _a(**attrs) -> str:
    """Return SVG attributes (``stroke_width`` -> ``stroke-width``), values escaped."""
    return " ".join(
        f"{k.rstrip('_').replace('_', '-')}={quoteattr(str(v))}"
        for k, v in attrs.items()
        if v is not None
    )


def _el(tag: str, **attrs) -> str:
    """Return an empty SVG element."""
    return f"<{tag} {_a(**attrs)}/>"


def _text(x, y, content, size=12, anchor="start", fill=INK, weight=None) -> str:
    attrs = _a(x=_r(x), y=_r(y), font_size=size, text_anchor=anchor, fill=fill,
               font_weight=weight)
    return f"<text {attrs}>{escape(str(content))}</text>"


def _r(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _svg(height: float, title: str, desc: str, body: list[str], chart_id: str) -> str:
    tid, did = f"{chart_id}-title", f"{chart_id}-desc"
    attrs = _a(class_="chart", viewBox=f"0 0 {WIDTH} {_r(height)}", width=WIDTH,
               height=_r(height), role="img", aria_labelledby=f"{tid} {did}", font_family=FONT)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" {attrs}>'
        f"<title {_a(id=tid)}>{escape(title)}</title><desc {_a(id=did)}>{escape(desc)}</desc>"
    )
    return head + "".join(body) + "</svg>"


def _finite(*values) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def _scale(lo: float, hi: float, x0: float, x1: float):
    span = (hi - lo) or 1.0
    return lambda v: x0 + (min(max(v, lo), hi) - lo) / span * (x1 - x0)


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=mag)
    start = math.ceil(lo / step - 1e-9) * step
    ticks, v = [], start
    while v <= hi + 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks
