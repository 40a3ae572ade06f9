"""Hand-written SVG charts: pure functions from plain data to an SVG string.

The same string is embedded in the report page and in its PDF (WeasyPrint renders inline SVG),
so both show the same picture. No scripts, no ``style`` attributes (the pages' Content
Security Policy forbids them): presentation attributes only. Every chart has a ``<title>`` and
``<desc>``, text labels for every value, and never uses colour alone: flagged examiners get a
different marker shape and a text mark, the two D-study lines differ in dash and marker.
Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies).
Numbers are formatted by the caller's ``fmt`` (the page's locale: 0,75 in Indonesian).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape, quoteattr

__all__ = ["forest", "distribution", "agreement", "dstudy", "SEQUENTIAL", "OKABE_ITO"]

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


def forest(
    rows: Sequence[dict],
    *,
    title: str,
    desc: str,
    axis_label: str,
    chart_id: str,
    flag_text: str = "",
    fmt: Fmt = _fmt_default,
    ref: float = 0.0,
    domain: tuple[float, float] | None = None,
    signed: bool = True,
) -> str:
    """Return a forest plot: one row per item, a point with its CI, a reference line.

    ``rows``: ``{"label", "value", "low", "high", "flag": bool}``; missing CI ends are drawn as
    a point only. Flagged rows get a filled square and ``flag_text`` beside the label.
    """
    left, right, top, row_h = 170, WIDTH - 150, 34, 30
    vals = [v for r in rows for v in (r.get("value"), r.get("low"), r.get("high")) if _finite(v)]
    if domain is None:
        lim = max([abs(v - ref) for v in vals] + [0.5])
        lim = math.ceil(lim * 4) / 4
        domain = (ref - lim, ref + lim)
    sx = _scale(*domain, left, right)
    height = top + row_h * max(len(rows), 1) + 46
    body = [_text(left, 16, axis_label, 12, fill=MUTED)]
    for t in _nice_ticks(*domain):
        x = sx(t)
        body.append(_el("line", x1=_r(x), x2=_r(x), y1=top - 6, y2=_r(height - 38), stroke=GRID))
        label = (("+" if t > 0 else "") + fmt(t)) if signed and t else fmt(t)
        body.append(_text(x, height - 22, label, 11, "middle", MUTED))
    body.append(
        _el(
            "line",
            x1=_r(sx(ref)),
            x2=_r(sx(ref)),
            y1=top - 6,
            y2=_r(height - 38),
            stroke=INK,
            stroke_width=1.5,
        )
    )
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        flagged = bool(r.get("flag"))
        name = str(r["label"])[:24] + (f" {flag_text}" if flagged and flag_text else "")
        body.append(
            _text(
                left - 10,
                y + 4,
                name,
                12,
                "end",
                FLAG_TEXT if flagged else INK,
                "bold" if flagged else None,
            )
        )
        value, low, high = r.get("value"), r.get("low"), r.get("high")
        if _finite(low, high):
            body.append(
                _el(
                    "line",
                    x1=_r(sx(low)),
                    x2=_r(sx(high)),
                    y1=_r(y),
                    y2=_r(y),
                    stroke=INK,
                    stroke_width=2,
                )
            )
            for end in (low, high):
                body.append(
                    _el(
                        "line",
                        x1=_r(sx(end)),
                        x2=_r(sx(end)),
                        y1=_r(y - 5),
                        y2=_r(y + 5),
                        stroke=INK,
                        stroke_width=2,
                    )
                )
        if _finite(value):
            x = sx(value)
            if flagged:
                body.append(
                    _el(
                        "rect", x=_r(x - 6), y=_r(y - 6), width=12, height=12, fill=FLAG, stroke=INK
                    )
                )
            else:
                body.append(_el("circle", cx=_r(x), cy=_r(y), r=6, fill=OKABE_ITO[0], stroke=INK))
            text = ("+" if signed and value > 0 else "") + fmt(value)
            if _finite(low, high):
                text += f"  [{fmt(low)}; {fmt(high)}]"
            body.append(_text(right + 10, y + 4, text, 11, fill=INK))
        else:
            body.append(_text(right + 10, y + 4, "–", 11, fill=MUTED))
    return _svg(height, title, desc, body, chart_id)


def distribution(
    rows: Sequence[dict],
    levels: Sequence[int],
    *,
    title: str,
    desc: str,
    chart_id: str,
    legend_label: str,
    fmt_pct: Callable[[float], str] | None = None,
    n_label: Callable[[int], str] | None = None,
) -> str:
    """Return 100 % stacked bars: the share of each level in each examiner's scores.

    ``rows``: ``{"label", "counts"}`` with one count per level, lowest level first. Every
    segment wide enough carries its share as text; the legend names the levels.
    """
    fmt_pct = fmt_pct or (lambda v: f"{v:.0%}")
    n_label = n_label or (lambda n: f"n = {n}")
    colours = SEQUENTIAL.get(len(levels)) or SEQUENTIAL[7][: len(levels)]
    left, right, top, row_h = 170, WIDTH - 70, 44, 30
    height = top + row_h * max(len(rows), 1) + 12
    body = [_text(left, 16, legend_label, 12, fill=MUTED)]
    lx = left + 8 + 7.5 * len(legend_label)
    for i, level in enumerate(levels):
        body.append(
            _el(
                "rect",
                x=_r(lx),
                y=6,
                width=22,
                height=14,
                fill=colours[i],
                stroke=INK,
                stroke_width=0.5,
            )
        )
        body.append(_text(lx + 11, 17, level, 11, "middle", _on(colours[i])))
        lx += 30
    for r_i, r in enumerate(rows):
        y = top + row_h * r_i
        total = sum(r["counts"])
        body.append(_text(left - 10, y + row_h / 2 + 2, str(r["label"])[:24], 12, "end"))
        body.append(_text(right + 8, y + row_h / 2 + 2, n_label(total), 11, fill=MUTED))
        x = left
        for i, count in enumerate(r["counts"]):
            if not total or not count:
                continue
            w = (right - left) * count / total
            body.append(
                _el(
                    "rect",
                    x=_r(x),
                    y=_r(y + 4),
                    width=_r(w),
                    height=row_h - 10,
                    fill=colours[i],
                    stroke="#ffffff",
                    stroke_width=1,
                )
            )
            if w >= 34:
                body.append(
                    _text(
                        x + w / 2,
                        y + row_h / 2 + 2,
                        fmt_pct(count / total),
                        11,
                        "middle",
                        _on(colours[i]),
                    )
                )
            x += w
    return _svg(height, title, desc, body, chart_id)


def _on(fill: str) -> str:
    """Return black or white, whichever reads better on ``fill``."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    lum = 0.2126 * r**2.2 + 0.7152 * g**2.2 + 0.0722 * b**2.2
    return INK if lum > 0.25 else "#ffffff"


def agreement(
    rows: Sequence[dict],
    *,
    title: str,
    desc: str,
    chart_id: str,
    bands: Sequence[tuple[float, float, str]],
    legend: tuple[str, str],
    fmt: Fmt = _fmt_default,
) -> str:
    """Return agreement per criterion: ICC(2,1) with its CI (circle) and alpha (diamond).

    ``rows``: ``{"label", "value", "low", "high", "alpha"}``; ``bands``: ``(from, to, name)``
    shaded behind the points (e.g. Koo & Li's), named along the top.
    """
    left, right, top, row_h = 170, WIDTH - 30, 58, 26
    lows = [r["low"] for r in rows if _finite(r.get("low"))]
    lows += [r["alpha"] for r in rows if _finite(r.get("alpha"))]
    lows += [r["value"] for r in rows if _finite(r.get("value"))]
    lo = min([0.0] + [math.floor(v * 5) / 5 for v in lows])  # a multiple of 0.2
    sx = _scale(lo, 1.0, left, right)
    height = top + row_h * max(len(rows), 1) + 34
    shades = ("#f3f5f7", "#e5e9ee")
    body = []
    for i, (a, b, name) in enumerate(bands):
        a, b = max(a, lo), min(b, 1.0)
        if b <= a:
            continue
        body.append(
            _el(
                "rect",
                x=_r(sx(a)),
                y=top - 8,
                width=_r(sx(b) - sx(a)),
                height=_r(row_h * len(rows) + 8),
                fill=shades[i % 2],
            )
        )
        body.append(_text((sx(a) + sx(b)) / 2, top - 14, name, 11, "middle", MUTED))
    # legend: circle + line = ICC(2,1) with CI, diamond = alpha
    body.append(_el("line", x1=left, x2=left + 24, y1=14, y2=14, stroke=INK, stroke_width=2))
    body.append(_el("circle", cx=left + 12, cy=14, r=5, fill=OKABE_ITO[0], stroke=INK))
    body.append(_text(left + 30, 18, legend[0], 11))
    lx = left + 40 + 6.5 * len(legend[0])
    body.append(_diamond(lx, 14, OKABE_ITO[1]))
    body.append(_text(lx + 10, 18, legend[1], 11))
    for t in (round(lo + 0.2 * i, 10) for i in range(round((1.0 - lo) / 0.2) + 1)):
        x = sx(t)
        body.append(_el("line", x1=_r(x), x2=_r(x), y1=top - 8, y2=_r(height - 32), stroke=GRID))
        body.append(_text(x, height - 16, fmt(t), 11, "middle", MUTED))
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        body.append(_text(left - 10, y + 4, str(r["label"])[:24], 12, "end"))
        if _finite(r.get("low"), r.get("high")):
            body.append(
                _el(
                    "line",
                    x1=_r(sx(r["low"])),
                    x2=_r(sx(r["high"])),
                    y1=_r(y),
                    y2=_r(y),
                    stroke=INK,
                    stroke_width=2,
                )
            )
        if _finite(r.get("value")):
            body.append(
                _el("circle", cx=_r(sx(r["value"])), cy=_r(y), r=5, fill=OKABE_ITO[0], stroke=INK)
            )
        if _finite(r.get("alpha")):
            body.append(_diamond(sx(r["alpha"]), y, OKABE_ITO[1]))
    return _svg(height, title, desc, body, chart_id)


def _diamond(x: float, y: float, fill: str, s: float = 6) -> str:
    pts = f"{_r(x)},{_r(y - s)} {_r(x + s)},{_r(y)} {_r(x)},{_r(y + s)} {_r(x - s)},{_r(y)}"
    return _el("polygon", points=pts, fill=fill, stroke=INK)


def dstudy(
    rows: Sequence[dict],
    *,
    title: str,
    desc: str,
    chart_id: str,
    target: float,
    current: int | None,
    labels: dict[str, str],
    fmt: Fmt = _fmt_default,
) -> str:
    """Return the D-study curve: G (solid, circles) and Phi (dashed, squares) by panel size.

    ``rows``: ``{"n_examiners", "g", "phi"}``; ``labels``: ``g``, ``phi``, ``target``,
    ``current``, ``x`` (axis title) and ``y``.
    """
    left, right, top, bottom = 60, WIDTH - 24, 40, 260
    ns = [r["n_examiners"] for r in rows] or [1]
    sx = _scale(min(ns), max(ns), left + 10, right - 10)
    sy = lambda v: bottom - (min(max(v, 0.0), 1.0)) * (bottom - top)  # noqa: E731
    body = []
    for t in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        body.append(_el("line", x1=left, x2=right, y1=_r(sy(t)), y2=_r(sy(t)), stroke=GRID))
        body.append(_text(left - 8, sy(t) + 4, fmt(t), 11, "end", MUTED))
    for n in ns:
        body.append(_text(sx(n), bottom + 18, n, 11, "middle", MUTED))
    body.append(_text((left + right) / 2, bottom + 38, labels["x"], 12, "middle", MUTED))
    body.append(_text(left, top - 22, labels["y"], 12, fill=MUTED))
    if current is not None and min(ns) <= current <= max(ns):
        x = sx(current)
        body.append(
            _el("line", x1=_r(x), x2=_r(x), y1=top, y2=bottom, stroke=MUTED, stroke_dasharray="2 3")
        )
        body.append(_text(x + 4, bottom - 6, labels["current"], 11, fill=MUTED))
    body.append(
        _el(
            "line",
            x1=left,
            x2=right,
            y1=_r(sy(target)),
            y2=_r(sy(target)),
            stroke=FLAG,
            stroke_width=1.5,
            stroke_dasharray="6 4",
        )
    )
    body.append(
        # below the line at the right end: the curves rise towards 1 there, so it stays clear
        _text(right, sy(target) + 15, f"{labels['target']} {fmt(target)}", 11, "end", FLAG_TEXT)
    )
    for key, colour, dash, marker in (
        ("g", OKABE_ITO[0], None, "circle"),
        ("phi", OKABE_ITO[2], "7 4", "square"),
    ):
        pts = [(sx(r["n_examiners"]), sy(r[key])) for r in rows if _finite(r.get(key))]
        if len(pts) > 1:
            path = " ".join(f"{_r(x)},{_r(y)}" for x, y in pts)
            body.append(
                _el(
                    "polyline",
                    points=path,
                    fill="none",
                    stroke=colour,
                    stroke_width=2.5,
                    stroke_dasharray=dash,
                )
            )
        for x, y in pts:
            body.append(
                _el("circle", cx=_r(x), cy=_r(y), r=4.5, fill=colour, stroke=INK)
                if marker == "circle"
                else _el(
                    "rect", x=_r(x - 4), y=_r(y - 4), width=8, height=8, fill=colour, stroke=INK
                )
            )
    # legend
    lx, ly = left + 10, top - 22
    lx += 7 * len(labels["y"]) + 24
    for key, colour, dash, marker in (
        ("g", OKABE_ITO[0], None, "circle"),
        ("phi", OKABE_ITO[2], "7 4", "square"),
    ):
        body.append(
            _el(
                "line",
                x1=_r(lx),
                x2=_r(lx + 26),
                y1=ly - 4,
                y2=ly - 4,
                stroke=colour,
                stroke_width=2.5,
                stroke_dasharray=dash,
            )
        )
        body.append(
            _el("circle", cx=_r(lx + 13), cy=ly - 4, r=4, fill=colour, stroke=INK)
            if marker == "circle"
            else _el("rect", x=_r(lx + 9), y=ly - 8, width=8, height=8, fill=colour, stroke=INK)
        )
        body.append(_text(lx + 32, ly, labels[key], 11))
        lx += 44 + 6.5 * len(labels[key])
    return _svg(bottom + 50, title, desc, body, chart_id)
