"""Validate rubric data (read from YAML or a JSON snapshot) and build the immutable Rubric.

Every check that can go on after a failure does, so ``scoring rubric check`` lists all the
errors of a file at once. Pure: stdlib only (and the sibling rubric modules).
"""

from __future__ import annotations

from typing import Any

from . import model as r
from .check_context import ID_RE, LANGUAGES, TOP_OPTIONAL, TOP_REQUIRED, Context, _slug, kind
from .check_fields import (
    _combination,
    _criteria,
    _evidence,
    _examiner_flags,
    _scale,
    _threshold,
    _version,
)
from .messages import N_, msg


def check(data: Any, ctx: Context) -> tuple[r.Rubric | None, list[r.RubricError]]:
    """Validate rubric data; return the rubric (None on any error) and the errors by line."""
    ctx.codes = criteria_codes(data)
    rubric = _rubric(data, ctx)
    errors = sorted(ctx.errors, key=lambda e: (e.line is None, e.line or 0))
    return (rubric if not errors else None), errors


def criteria_codes(data: Any) -> dict[int, str]:
    """Return the criteria codes by index as written (to name criteria in messages)."""
    items = data.get("criteria") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return {}
    return {i: item["code"] for i, item in enumerate(items)
            if isinstance(item, dict) and isinstance(item.get("code"), str)}


def _rubric(data: Any, ctx: Context) -> r.Rubric | None:
    """Return the rubric of the file's top mapping, or None after recording every error."""
    top = ctx.mapping(data, (), TOP_REQUIRED, TOP_OPTIONAL)
    if top is None:
        return None
    if "language" in top:
        if top["language"] in LANGUAGES:
            ctx.lang = top["language"]
        else:
            ctx.error(("language",), N_("expected 'id' or 'en', got %(got)s"),
                      got=kind(top["language"]))
    rid = None
    if "id" in top:
        rid = _slug(ctx, top["id"], ("id",), ID_RE,
                    msg(N_("a lowercase slug such as 'wawancara-asn'")))
    version = _version(ctx, top["version"], ("version",)) if "version" in top else None
    title = ctx.text(top["title"], ("title",)) if "title" in top else None
    description = None
    if top.get("description") is not None:
        description = ctx.text(top["description"], ("description",))
    scale, levels = _scale(ctx, top["scale"], ("scale",)) if "scale" in top else (None, None)
    span = levels[-1] - levels[0] if levels else None
    evidence = _evidence(ctx, top.get("evidence_required", []), levels)
    combination = _combination(ctx, top.get("combination", {}))
    quorum = ctx.integer(top["quorum"], ("quorum",), minimum=1) if "quorum" in top else None
    threshold = _threshold(ctx, top, span)
    flags = _examiner_flags(ctx, top.get("examiner_flags"))
    criteria = _criteria(ctx, top["criteria"], levels) if "criteria" in top else None
    if ctx.errors:
        return None
    return r.Rubric(id=rid, version=version, title=title, description=description, scale=scale,
                    criteria=criteria, evidence_required=evidence, combination=combination,
                    quorum=quorum, discrepancy_threshold=threshold, examiner_flags=flags)
