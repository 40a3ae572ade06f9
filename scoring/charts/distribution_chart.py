"""The distribution of each examiner's levels."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import svg
from .agreement_bars import _on


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
    colours = svg.SEQUENTIAL.get(len(levels)) or svg.SEQUENTIAL[7][: len(levels)]
    left, right, top, row_h = 170, svg.WIDTH - 70, 44, 30
    height = top + row_h * max(len(rows), 1) + 12
    body = [svg.text(left, 16, legend_label, 12, fill=svg.MUTED)]
    lx = left + 8 + 7.5 * len(legend_label)
    for i, level in enumerate(levels):
        body.append(svg.element("rect", x=svg.coord(lx), y=6, width=22, height=14,
                                fill=colours[i], stroke=svg.INK, stroke_width=0.5))
        body.append(svg.text(lx + 11, 17, level, 11, "middle", _on(colours[i])))
        lx += 30
    for r_i, r in enumerate(rows):
        y = top + row_h * r_i
        total = sum(r["counts"])
        body.append(svg.text(left - 10, y + row_h / 2 + 2, str(r["label"])[:24], 12, "end"))
        body.append(svg.text(right + 8, y + row_h / 2 + 2, n_label(total), 11, fill=svg.MUTED))
        x = left
        for i, count in enumerate(r["counts"]):
            if not total or not count:
                continue
            w = (right - left) * count / total
            body.append(svg.element("rect", x=svg.coord(x), y=svg.coord(y + 4),
                                    width=svg.coord(w), height=row_h - 10, fill=colours[i],
                                    stroke="#ffffff", stroke_width=1))
            if w >= 34:
                body.append(svg.text(x + w / 2, y + row_h / 2 + 2, fmt_pct(count / total), 11,
                                     "middle", _on(colours[i])))
            x += w
    return svg.figure(height, title, desc, body, chart_id)
