"""The D-study curve: reliability against the number of examiners."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .svg import (
    FLAG,
    FLAG_TEXT,
    GRID,
    INK,
    MUTED,
    OKABE_ITO,
    WIDTH,
    _el,
    _finite,
    _fmt_default,
    _r,
    _scale,
    _svg,
    _text,
)

if TYPE_CHECKING:
    from .svg import Fmt


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
