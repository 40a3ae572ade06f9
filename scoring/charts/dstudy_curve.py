"""The D-study curve: reliability against the number of examiners."""

from __future__ import annotations

from collections.abc import Sequence

from . import svg


def dstudy(
    rows: Sequence[dict],
    *,
    title: str,
    desc: str,
    chart_id: str,
    target: float,
    current: int | None,
    labels: dict[str, str],
    fmt: svg.Fmt = svg.fmt_default,
) -> str:
    """Return the D-study curve: G (solid, circles) and Phi (dashed, squares) by panel size.

    ``rows``: ``{"n_examiners", "g", "phi"}``; ``labels``: ``g``, ``phi``, ``target``,
    ``current``, ``x`` (axis title) and ``y``.
    """
    left, right, top, bottom = 60, svg.WIDTH - 24, 40, 260
    ns = [r["n_examiners"] for r in rows] or [1]
    sx = svg.linear(min(ns), max(ns), left + 10, right - 10)
    sy = lambda v: bottom - (min(max(v, 0.0), 1.0)) * (bottom - top)  # noqa: E731
    frame = (left, right, top, bottom)
    body = _axes(ns, sx, sy, frame, labels, fmt)
    body += _marks(ns, sx, sy, frame, labels, fmt, target, current)
    for key, colour, dash, marker in CURVES:
        pts = [(sx(r["n_examiners"]), sy(r[key])) for r in rows if svg.finite(r.get(key))]
        if len(pts) > 1:
            path = " ".join(f"{svg.coord(x)},{svg.coord(y)}" for x, y in pts)
            body.append(svg.element("polyline", points=path, fill="none", stroke=colour,
                                    stroke_width=2.5, stroke_dasharray=dash))
        body += [_marker(marker, x, y, 4.5, colour) for x, y in pts]
    body += _legend(left + 10 + 7 * len(labels["y"]) + 24, top - 22, labels)
    return svg.figure(bottom + 50, title, desc, body, chart_id)


# (key, colour, dash, marker): G solid with circles, Phi dashed with squares
CURVES = (("g", svg.OKABE_ITO[0], None, "circle"), ("phi", svg.OKABE_ITO[2], "7 4", "square"))


def _marker(shape: str, x: float, y: float, size: float, colour: str) -> str:
    if shape == "circle":
        return svg.element("circle", cx=svg.coord(x), cy=svg.coord(y), r=size, fill=colour,
                           stroke=svg.INK)
    return svg.element("rect", x=svg.coord(x - 4), y=svg.coord(y - 4), width=8, height=8,
                       fill=colour, stroke=svg.INK)


def _axes(ns, sx, sy, frame, labels, fmt) -> list[str]:
    """Return the reliability grid (0 to 1), the panel sizes and both axis titles."""
    left, right, top, bottom = frame
    body = []
    for t in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        body.append(svg.element("line", x1=left, x2=right, y1=svg.coord(sy(t)),
                                y2=svg.coord(sy(t)), stroke=svg.GRID))
        body.append(svg.text(left - 8, sy(t) + 4, fmt(t), 11, "end", svg.MUTED))
    body += [svg.text(sx(n), bottom + 18, n, 11, "middle", svg.MUTED) for n in ns]
    body.append(svg.text((left + right) / 2, bottom + 38, labels["x"], 12, "middle", svg.MUTED))
    body.append(svg.text(left, top - 22, labels["y"], 12, fill=svg.MUTED))
    return body


def _marks(ns, sx, sy, frame, labels, fmt, target, current) -> list[str]:
    """Return the line of this panel's size (when drawn) and the target line with its label."""
    left, right, top, bottom = frame
    body = []
    if current is not None and min(ns) <= current <= max(ns):
        x = sx(current)
        body.append(svg.element("line", x1=svg.coord(x), x2=svg.coord(x), y1=top, y2=bottom,
                                stroke=svg.MUTED, stroke_dasharray="2 3"))
        body.append(svg.text(x + 4, bottom - 6, labels["current"], 11, fill=svg.MUTED))
    body.append(svg.element("line", x1=left, x2=right, y1=svg.coord(sy(target)),
                            y2=svg.coord(sy(target)), stroke=svg.FLAG, stroke_width=1.5,
                            stroke_dasharray="6 4"))
    # below the line at the right end: the curves rise towards 1 there, so it stays clear
    body.append(svg.text(right, sy(target) + 15, f"{labels['target']} {fmt(target)}", 11, "end",
                         svg.FLAG_TEXT))
    return body


def _legend(lx: float, ly: float, labels: dict[str, str]) -> list[str]:
    """Return the legend of both curves: line, marker and name, side by side."""
    body = []
    for key, colour, dash, marker in CURVES:
        body.append(svg.element("line", x1=svg.coord(lx), x2=svg.coord(lx + 26), y1=ly - 4,
                                y2=ly - 4, stroke=colour, stroke_width=2.5,
                                stroke_dasharray=dash))
        body.append(_marker(marker, lx + 13, ly - 4, 4, colour))
        body.append(svg.text(lx + 32, ly, labels[key], 11))
        lx += 44 + 6.5 * len(labels[key])
    return body
