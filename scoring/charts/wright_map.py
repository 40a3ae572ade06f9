"""The Wright map: candidates, examiners and criteria on one vertical logit ruler (SVG).

Drawn in the style of :mod:`scoring.charts` (presentation attributes only, a title and a
description, text beside every mark, Okabe-Ito colours, never colour alone), so the page and
the WeasyPrint PDF show the same picture. Up the ruler: more able candidates, harsher
examiners, harder criteria, as in FACETS' vertical rulers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from . import svg

__all__ = ["wright_map"]

LABEL_GAP = 14  # px between two labels in one column


def _spread(ys: list[float], top: float, bottom: float) -> list[float]:
    """Return label positions near ``ys`` (sorted ascending) at least LABEL_GAP apart."""
    out: list[float] = []
    for y in ys:
        out.append(max(y, out[-1] + LABEL_GAP) if out else y)
    overflow = out[-1] - bottom if out else 0
    if overflow > 0:  # push the whole column back up, keeping the gaps
        out = [y - overflow for y in out]
        for k in range(len(out) - 2, -1, -1):
            out[k] = min(out[k], out[k + 1] - LABEL_GAP)
    return [max(y, top) for y in out]


def wright_map(
    candidates: Sequence[float],
    examiners: Sequence[dict],
    criteria: Sequence[dict],
    *,
    title: str,
    desc: str,
    headings: Sequence[tuple[str, str]],
    axis_label: str,
    chart_id: str,
    fmt: svg.Fmt,
    flag_text: str = "",
) -> str:
    """Return the vertical ruler.

    ``candidates``: measures (a histogram in bins of 0.5 logit, with counts);
    ``examiners`` and ``criteria``: ``{"label", "measure", "flag": bool}``, drawn as marks
    with their labels (flagged examiners: a square and ``flag_text``). ``headings``: the
    three columns' (heading, direction up the ruler).
    """
    cand = [v for v in candidates if svg.finite(v)]
    marks = [r for r in [*examiners, *criteria] if svg.finite(r.get("measure"))]
    vals = cand + [r["measure"] for r in marks]
    lo = math.floor(min(vals + [-1.0]) * 2) / 2 - 0.5
    hi = math.ceil(max(vals + [1.0]) * 2) / 2 + 0.5
    top, bottom = 60.0, 60.0 + max(280.0, min(520.0, (hi - lo) * 48))
    height = bottom + 34

    def sy(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * (bottom - top)

    axis_x, cand_x, ex_x, cr_x = 64, 84, 250, 478
    body = [svg.text(axis_x, 44, axis_label, 11, "middle", svg.MUTED)]
    for x, (head, direction) in zip((cand_x, ex_x, cr_x), headings, strict=True):
        body.append(svg.text(x, 24, head, 12, weight="bold"))
        body.append(svg.text(x, 40, f"↑ {direction}", 11, fill=svg.MUTED))
    body += _ruler(lo, hi, sy, axis_x, fmt)
    body.append(svg.element("line", x1=axis_x, x2=axis_x, y1=svg.coord(top),
                            y2=svg.coord(bottom), stroke=svg.INK))
    body.extend(_histogram(cand, sy, cand_x, ex_x - 40))
    for column, base, colour in ((examiners, ex_x, svg.OKABE_ITO[0]),
                                 (criteria, cr_x, svg.OKABE_ITO[2])):
        body += _column(column, base, colour, sy, (top, bottom), fmt, flag_text)
    return svg.figure(height, title, desc, body, chart_id)


def _ruler(lo: float, hi: float, sy, axis_x: float, fmt: svg.Fmt) -> list[str]:
    """Return the logit grid lines with their signed labels (zero drawn stronger)."""
    body = []
    step = 1.0 if hi - lo <= 10 else 2.0
    t = math.ceil(lo / step) * step
    while t <= hi + 1e-9:
        y = sy(t)
        body.append(svg.element("line", x1=axis_x, x2=svg.WIDTH - 10, y1=svg.coord(y),
                                y2=svg.coord(y), stroke=svg.GRID,
                                stroke_width=1.5 if t == 0 else 1))
        body.append(svg.text(axis_x - 8, y + 4, ("+" if t > 0 else "") + fmt(t), 11, "end",
                             svg.INK if t == 0 else svg.MUTED))
        t += step
    return body


def _column(column, base: float, colour: str, sy, span: tuple[float, float], fmt: svg.Fmt,
            flag_text: str) -> list[str]:
    """Return one column's marks with their labels, spread apart so none hides another."""
    rows = sorted((r for r in column if svg.finite(r.get("measure"))),
                  key=lambda r: -r["measure"])
    ys = _spread([sy(r["measure"]) for r in rows], *span)
    body, prev, nudge = [], -math.inf, 0
    for r, ly in zip(rows, ys, strict=True):
        y = sy(r["measure"])
        # marks closer than their size step sideways so none hides another
        nudge = (nudge + 1) % 3 if y - prev < 10 else 0
        prev = y
        x = base + 11 * nudge
        flagged = bool(r.get("flag"))
        if flagged:
            body.append(svg.element("rect", x=svg.coord(x - 5), y=svg.coord(y - 5), width=10,
                                    height=10, fill=svg.FLAG, stroke=svg.INK))
        else:
            body.append(svg.element("circle", cx=x, cy=svg.coord(y), r=5, fill=colour,
                                    stroke=svg.INK))
        lx = base + 38
        body.append(svg.element("line", x1=x + 6, x2=lx - 4, y1=svg.coord(y), y2=svg.coord(ly),
                                stroke=svg.MUTED))
        label = str(r["label"])[:20] + (f" {flag_text}" if flagged and flag_text else "")
        body.append(svg.text(lx, ly + 4, f"{label} ({fmt(r['measure'])})", 11,
                             fill=svg.FLAG_TEXT if flagged else svg.INK,
                             weight="bold" if flagged else None))
    return body


def _histogram(values: list[float], sy, x0: float, x1: float) -> list[str]:
    """Return bars of candidate counts per half-logit bin, each with its count."""
    if not values:
        return []
    bins: dict[float, int] = {}
    for v in values:
        b = math.floor(v * 2) / 2
        bins[b] = bins.get(b, 0) + 1
    most = max(bins.values())
    out = []
    for b, n in sorted(bins.items()):
        y_top, y_bottom = sy(b + 0.5), sy(b)
        w = max(2.0, (x1 - x0 - 30) * n / most)
        out.append(svg.element("rect", x=x0, y=svg.coord(y_top + 1), width=svg.coord(w),
                               height=svg.coord(max(y_bottom - y_top - 2, 1)),
                               fill=svg.OKABE_ITO[4], stroke=svg.INK, stroke_width=0.5))
        out.append(svg.text(x0 + w + 4, (y_top + y_bottom) / 2 + 4, n, 10, fill=svg.INK))
    return out
