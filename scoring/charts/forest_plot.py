"""The forest plot of examiner effects with confidence intervals."""

from __future__ import annotations

import math
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
    _nice_ticks,
    _r,
    _scale,
    _svg,
    _text,
)

if TYPE_CHECKING:
    from .svg import Fmt


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
