"""Agreement bars per criterion."""

from __future__ import annotations

import math
from collections.abc import Sequence

from . import svg


def _on(fill: str) -> str:
    """Return black or white, whichever reads better on ``fill``."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    lum = 0.2126 * r**2.2 + 0.7152 * g**2.2 + 0.0722 * b**2.2
    return svg.INK if lum > 0.25 else "#ffffff"


def agreement(
    rows: Sequence[dict],
    *,
    title: str,
    desc: str,
    chart_id: str,
    bands: Sequence[tuple[float, float, str]],
    legend: tuple[str, str],
    fmt: svg.Fmt = svg.fmt_default,
) -> str:
    """Return agreement per criterion: ICC(2,1) with its CI (circle) and alpha (diamond).

    ``rows``: ``{"label", "value", "low", "high", "alpha"}``; ``bands``: ``(from, to, name)``
    shaded behind the points (e.g. Koo & Li's), named along the top.
    """
    left, right, top, row_h = 170, svg.WIDTH - 30, 58, 26
    lows = [r["low"] for r in rows if svg.finite(r.get("low"))]
    lows += [r["alpha"] for r in rows if svg.finite(r.get("alpha"))]
    lows += [r["value"] for r in rows if svg.finite(r.get("value"))]
    lo = min([0.0] + [math.floor(v * 5) / 5 for v in lows])  # a multiple of 0.2
    sx = svg.linear(lo, 1.0, left, right)
    height = top + row_h * max(len(rows), 1) + 34
    body = _bands(bands, lo, sx, top, row_h * len(rows) + 8) + _legend(left, legend)
    for t in (round(lo + 0.2 * i, 10) for i in range(round((1.0 - lo) / 0.2) + 1)):
        x = sx(t)
        body.append(svg.element("line", x1=svg.coord(x), x2=svg.coord(x), y1=top - 8,
                                y2=svg.coord(height - 32), stroke=svg.GRID))
        body.append(svg.text(x, height - 16, fmt(t), 11, "middle", svg.MUTED))
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        body.append(svg.text(left - 10, y + 4, str(r["label"])[:24], 12, "end"))
        if svg.finite(r.get("low"), r.get("high")):
            body.append(svg.element("line", x1=svg.coord(sx(r["low"])),
                                    x2=svg.coord(sx(r["high"])), y1=svg.coord(y),
                                    y2=svg.coord(y), stroke=svg.INK, stroke_width=2))
        if svg.finite(r.get("value")):
            body.append(svg.element("circle", cx=svg.coord(sx(r["value"])), cy=svg.coord(y),
                                    r=5, fill=svg.OKABE_ITO[0], stroke=svg.INK))
        if svg.finite(r.get("alpha")):
            body.append(svg.diamond(sx(r["alpha"]), y, svg.OKABE_ITO[1]))
    return svg.figure(height, title, desc, body, chart_id)


def _bands(bands, lo: float, sx, top: float, height: float) -> list[str]:
    """Return the bands shaded behind the rows (alternating greys), each named along the top."""
    shades = ("#f3f5f7", "#e5e9ee")
    body = []
    for i, (a, b, name) in enumerate(bands):
        a, b = max(a, lo), min(b, 1.0)
        if b <= a:
            continue
        body.append(svg.element("rect", x=svg.coord(sx(a)), y=top - 8,
                                width=svg.coord(sx(b) - sx(a)), height=svg.coord(height),
                                fill=shades[i % 2]))
        body.append(svg.text((sx(a) + sx(b)) / 2, top - 14, name, 11, "middle", svg.MUTED))
    return body


def _legend(left: float, legend: tuple[str, str]) -> list[str]:
    """Return the legend: circle and line = ICC(2,1) with its CI, diamond = alpha."""
    lx = left + 40 + 6.5 * len(legend[0])
    return [svg.element("line", x1=left, x2=left + 24, y1=14, y2=14, stroke=svg.INK,
                        stroke_width=2),
            svg.element("circle", cx=left + 12, cy=14, r=5, fill=svg.OKABE_ITO[0],
                        stroke=svg.INK),
            svg.text(left + 30, 18, legend[0], 11),
            svg.diamond(lx, 14, svg.OKABE_ITO[1]),
            svg.text(lx + 10, 18, legend[1], 11)]
