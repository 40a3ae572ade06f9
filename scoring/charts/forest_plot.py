"""The forest plot of examiner effects with confidence intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence

from . import svg


def forest(
    rows: Sequence[dict],
    *,
    title: str,
    desc: str,
    axis_label: str,
    chart_id: str,
    flag_text: str = "",
    fmt: svg.Fmt = svg.fmt_default,
    ref: float = 0.0,
    domain: tuple[float, float] | None = None,
    signed: bool = True,
) -> str:
    """Return a forest plot: one row per item, a point with its CI, a reference line.

    ``rows``: ``{"label", "value", "low", "high", "flag": bool}``; missing CI ends are drawn as
    a point only. Flagged rows get a filled square and ``flag_text`` beside the label.
    """
    left, right, top, row_h = 170, svg.WIDTH - 150, 34, 30
    vals = [v for r in rows for v in (r.get("value"), r.get("low"), r.get("high")) if svg.finite(v)]
    if domain is None:
        lim = max([abs(v - ref) for v in vals] + [0.5])
        lim = math.ceil(lim * 4) / 4
        domain = (ref - lim, ref + lim)
    sx = svg.linear(*domain, left, right)
    height = top + row_h * max(len(rows), 1) + 46
    body = [svg.text(left, 16, axis_label, 12, fill=svg.MUTED)]
    for t in svg.nice_ticks(*domain):
        x = sx(t)
        body.append(svg.element("line", x1=svg.coord(x), x2=svg.coord(x), y1=top - 6,
                                y2=svg.coord(height - 38), stroke=svg.GRID))
        label = (("+" if t > 0 else "") + fmt(t)) if signed and t else fmt(t)
        body.append(svg.text(x, height - 22, label, 11, "middle", svg.MUTED))
    body.append(svg.element("line", x1=svg.coord(sx(ref)), x2=svg.coord(sx(ref)), y1=top - 6,
                            y2=svg.coord(height - 38), stroke=svg.INK, stroke_width=1.5))
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        flagged = bool(r.get("flag"))
        name = str(r["label"])[:24] + (f" {flag_text}" if flagged and flag_text else "")
        body.append(svg.text(left - 10, y + 4, name, 12, "end",
                             svg.FLAG_TEXT if flagged else svg.INK, "bold" if flagged else None))
        body += _row(r, y, sx, fmt, signed, right + 10)
    return svg.figure(height, title, desc, body, chart_id)


def _row(r: dict, y: float, sx, fmt: svg.Fmt, signed: bool, text_x: float) -> list[str]:
    """Return one row's interval (with end ticks), its point and its figures in words."""
    value, low, high = r.get("value"), r.get("low"), r.get("high")
    body = []
    if svg.finite(low, high):
        body.append(svg.element("line", x1=svg.coord(sx(low)), x2=svg.coord(sx(high)),
                                y1=svg.coord(y), y2=svg.coord(y), stroke=svg.INK, stroke_width=2))
        body += [svg.element("line", x1=svg.coord(sx(end)), x2=svg.coord(sx(end)),
                             y1=svg.coord(y - 5), y2=svg.coord(y + 5), stroke=svg.INK,
                             stroke_width=2) for end in (low, high)]
    if not svg.finite(value):
        return [*body, svg.text(text_x, y + 4, "–", 11, fill=svg.MUTED)]
    x = sx(value)
    if r.get("flag"):  # a filled square, not only a colour, marks a flagged row
        body.append(svg.element("rect", x=svg.coord(x - 6), y=svg.coord(y - 6), width=12,
                                height=12, fill=svg.FLAG, stroke=svg.INK))
    else:
        body.append(svg.element("circle", cx=svg.coord(x), cy=svg.coord(y), r=6,
                                fill=svg.OKABE_ITO[0], stroke=svg.INK))
    text = ("+" if signed and value > 0 else "") + fmt(value)
    if svg.finite(low, high):
        text += f"  [{fmt(low)}; {fmt(high)}]"
    return [*body, svg.text(text_x, y + 4, text, 11, fill=svg.INK)]
