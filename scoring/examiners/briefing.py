"""The one-page briefing an examiner prints before a session: tendencies and anchors to watch.

Built as plain data from the examiner's record (:mod:`.queries`), rendered to HTML by a
template and to PDF by the document pipeline (:func:`scoring.documents.render.render_pdf`).
"""

from __future__ import annotations

from flask_babel import gettext as _

from .. import charts
from ..chair.interpret import examiner_sentences, num
from ..rubrics import Rubric
from .queries import Record

WATCH = 0.3  # a criterion whose mean deviation over the recent sessions reaches this is named
RECENT = 2  # the sessions the briefing speaks of


def trend_chart(record: Record, chart_id: str) -> str:
    """Return the SVG of the examiner's deviation per session (oldest first), with 95% CIs."""
    rows = [{"label": f"{s.held_on:%Y-%m-%d} {s.panel}", "value": s.deviation, "low": s.ci_low,
             "high": s.ci_high, "flag": bool({"lenient", "severe"} & set(s.flags))}
            for s in record.sessions]
    return charts.forest(
        rows, chart_id=chart_id, fmt=num, flag_text="⚑",
        title=_("Your deviation from your panels, session by session"),
        desc=_("Mean difference in score points between the examiner and the other panelists "
               "on the same candidates, per session, with %(ci)s confidence intervals; flagged "
               "sessions are marked with a square.", ci="95%"),
        axis_label=_("← more severe · score points · more lenient →"))


def reasons(record: Record) -> list[list[str]]:
    """Return the plain-language reasons of each session's figures (the report's sentences)."""
    out = []
    for s in record.sessions:
        e = {**s.effect, "name": record.user.full_name} if s.effect else None
        out.append(examiner_sentences(e, s.min_candidates) if e else [])
    return out


def briefing(record: Record, rubric: Rubric, lang: str) -> dict:
    """Return the briefing's content: overall tendency, criteria and anchors to watch."""
    recent = [s for s in record.sessions if s.deviation is not None][-RECENT:]
    overall = sum(s.deviation for s in recent) / len(recent) if recent else None
    watch = []
    for criterion in rubric.criteria:
        values = [s.criteria.get(criterion.code) for s in recent]
        values = [v for v in values if v is not None]
        if len(values) < len(recent) or not values:
            continue
        mean = sum(values) / len(values)
        if abs(mean) < WATCH:
            continue
        levels = rubric.scale.values
        pair = levels[-2:] if mean > 0 else levels[:2]
        watch.append({"name": criterion.name.get(lang), "deviation": mean,
                      "levels": [{"level": v, "anchor": criterion.anchor(v).get(lang)}
                                 for v in pair]})
    watch.sort(key=lambda w: -abs(w["deviation"]))
    flags = sorted({f for s in recent for f in s.flags})
    return {"recent": len(recent), "overall": overall, "watch": watch[:4], "flags": flags,
            "calibration": record.calibration[-1] if record.calibration else None}
