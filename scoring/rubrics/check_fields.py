"""The checks of a rubric's parts: version, scale, levels, evidence, combination, flags, criteria
and their questions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import model as r
from .check_context import (
    CODE_RE,
    CRITERION_KEYS,
    MAX_DECIMALS,
    MAX_LEVELS,
    VERSION_RE,
    _slug,
    kind,
)
from .messages import N_, Msg, msg, place
from .yaml_lines import Path, key_part

if TYPE_CHECKING:
    from .check_context import Context


def _version(ctx: Context, value: Any, path: Path) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = ctx.raw.get(path, str(value))  # keep "1.10" as written, not 1.1
    what = msg(N_("a version such as '1', '2.1' or '2025-06' (letters, digits, '.', '_', "
                  "'+', '-')"))
    return _slug(ctx, value, path, VERSION_RE, what)


def _scale(ctx: Context, value: Any, path: Path) -> tuple[r.Scale | None, tuple[int, ...] | None]:
    """Return the scale (None on error) and its levels (None if min or max is unusable)."""
    m = ctx.mapping(value, path, ("min", "max", "midpoint", "labels"))
    if m is None:
        return None, None
    lo = ctx.integer(m["min"], path + ("min",)) if "min" in m else None
    hi = ctx.integer(m["max"], path + ("max",)) if "max" in m else None
    levels = None
    if lo is not None and hi is not None:
        if lo >= hi:
            ctx.error(path + ("max",), N_("max (%(max)s) must be greater than min (%(min)s)"),
                      max=hi, min=lo)
        elif hi - lo + 1 > MAX_LEVELS:
            ctx.error(path + ("max",), N_("a scale has at most %(n)s levels, %(lo)s-%(hi)s has "
                                          "more"), n=MAX_LEVELS, lo=lo, hi=hi)
        else:
            levels = tuple(range(lo, hi + 1))
    midpoint = m.get("midpoint")
    if "midpoint" in m and not isinstance(midpoint, bool):
        ctx.error(path + ("midpoint",), N_("expected true or false, got %(got)s"),
                  got=kind(midpoint))
    elif levels and "midpoint" in m and midpoint != (len(levels) % 2 == 1):
        n = len(levels)
        need = (N_("midpoint: %(value)s needs an odd number of levels; %(lo)s-%(hi)s has "
                   "%(n)s, so midpoint must be %(must)s") if midpoint else
                N_("midpoint: %(value)s needs an even number of levels; %(lo)s-%(hi)s has "
                   "%(n)s, so midpoint must be %(must)s"))
        ctx.error(path + ("midpoint",), need, value=str(midpoint).lower(), lo=lo, hi=hi, n=n,
                  must=str(n % 2 == 1).lower())
    labels = (
        _level_texts(ctx, m["labels"], path + ("labels",), levels, msg(N_("label")))
        if "labels" in m
        else None
    )
    if levels is None or labels is None or not isinstance(midpoint, bool):
        return None, levels
    return r.Scale(lo, hi, midpoint, tuple(r.Level(v, labels[v]) for v in levels)), levels


def _level_texts(
    ctx: Context, value: Any, path: Path, levels: tuple[int, ...] | None, noun: Msg
) -> dict[int, r.Text] | None:
    if not isinstance(value, dict):
        ctx.error(path, N_("expected a mapping from each level to its %(noun)s, got %(got)s"),
                  noun=noun, got=kind(value))
        return None
    before = len(ctx.errors)
    out: dict[int, r.Text] = {}
    present: set[int] = set()
    for key, text in value.items():
        sub = path + (key_part(key),)
        level = key if isinstance(key, int) and not isinstance(key, bool) else None
        if ctx.json_keys and isinstance(key, str) and re.fullmatch(r"-?[0-9]+", key):
            level = int(key)
        if level is None:
            ctx.error(sub, N_("expected a whole-number level as key, got %(got)s"), got=kind(key))
            continue
        if level in present:
            ctx.error(sub, N_("level %(level)s appears twice"), level=level)
            continue
        present.add(level)
        if levels is not None and level not in levels:
            ctx.error(sub, N_("level %(level)s is not on the scale %(lo)s-%(hi)s"), level=level,
                      lo=levels[0], hi=levels[-1])
            continue
        checked = ctx.text(text, sub)
        if checked is not None:
            out[level] = checked
    for level in levels or ():
        if level not in present:
            ctx.error(path, N_("level %(level)s has no %(noun)s"), level=level, noun=noun)
    return out if len(ctx.errors) == before and levels is not None else None


def _evidence(ctx: Context, value: Any, levels: tuple[int, ...] | None) -> frozenset[int] | None:
    path: Path = ("evidence_required",)
    if not isinstance(value, list):
        ctx.error(path, N_("expected a list of levels, e.g. [1, 4], got %(got)s"),
                  got=kind(value))
        return None
    seen: set[int] = set()
    for i, item in enumerate(value):
        level = ctx.integer(item, path + (i,))
        if level is None:
            continue
        if level in seen:
            ctx.error(path + (i,), N_("level %(level)s is listed twice"), level=level)
        elif levels is not None and level not in levels:
            ctx.error(path + (i,), N_("level %(level)s is not on the scale %(lo)s-%(hi)s"),
                      level=level, lo=levels[0], hi=levels[-1])
        seen.add(level)
    return frozenset(seen)


def _combination(ctx: Context, value: Any) -> r.Combination | None:
    path: Path = ("combination",)
    m = ctx.mapping(value, path, (), ("method", "decimals"))
    if m is None:
        return None
    default = r.Combination()
    method = m.get("method", default.method)
    if method not in r.COMBINATION_METHODS:
        expected = ", ".join(r.COMBINATION_METHODS)
        ctx.error(path + ("method",), N_("expected one of %(expected)s, got %(got)s"),
                  expected=expected, got=kind(method))
        method = None
    decimals = ctx.integer(m.get("decimals", default.decimals), path + ("decimals",), 0)
    if decimals is not None and decimals > MAX_DECIMALS:
        ctx.error(path + ("decimals",), N_("at most %(n)s decimals, got %(value)s"),
                  n=MAX_DECIMALS, value=decimals)
        decimals = None
    return None if method is None or decimals is None else r.Combination(method, decimals)


def _threshold(ctx: Context, top: dict[Any, Any], span: int | None) -> float | None:
    path: Path = ("discrepancy_threshold",)
    if "discrepancy_threshold" not in top:
        return None if span is None else float(min(2, span))
    threshold = ctx.positive(top["discrepancy_threshold"], path)
    if threshold is not None and span is not None and threshold > span:
        ctx.error(path, N_("must not exceed the scale's range max - min = %(span)s, got "
                           "%(value)s"), span=span, value=f"{threshold:g}")
        return None
    return threshold


def _examiner_flags(ctx: Context, value: Any) -> r.ExaminerFlags | None:
    path: Path = ("examiner_flags",)
    if value is None:
        return None
    m = ctx.mapping(value, path, ("flag_share", "watch_share"))
    if m is None:
        return None
    shares = {}
    for key in ("flag_share", "watch_share"):
        if key not in m:
            continue
        share = ctx.positive(m[key], path + (key,))
        if share is not None and share > 1:
            ctx.error(path + (key,), f"a fraction of the scale range, at most 1; got {share:g}")
            share = None
        shares[key] = share
    flag, watch = shares.get("flag_share"), shares.get("watch_share")
    if flag is None or watch is None:
        return None
    if watch > flag:
        ctx.error(path + ("watch_share",), f"must not exceed flag_share ({flag:g}); got {watch:g}")
        return None
    return r.ExaminerFlags(flag, watch)


def _criteria(ctx: Context, value: Any, levels: tuple[int, ...] | None) -> tuple[r.Criterion, ...]:
    path: Path = ("criteria",)
    if not isinstance(value, list):
        ctx.error(path, N_("expected a list of criteria, got %(got)s"), got=kind(value))
        return ()
    if not value:
        ctx.error(path, N_("expected at least one criterion, got an empty list"))
    out = []
    codes: dict[str, int] = {}
    for i, item in enumerate(value):
        sub = path + (i,)
        m = ctx.mapping(item, sub, CRITERION_KEYS)
        if m is None:
            continue
        code = None
        if "code" in m:
            code = _slug(
                ctx, m["code"], sub + ("code",), CODE_RE,
                msg(N_("an upper-case code such as 'KOM'"))
            )
        if code in codes:
            ctx.error(sub + ("code",), N_("code %(code)s is already used by %(other)s"),
                      code=repr(code), other=place(path + (codes[code],), ctx.codes))
        elif code is not None:
            codes[code] = i
        name = ctx.text(m["name"], sub + ("name",)) if "name" in m else None
        definition = ctx.text(m["definition"], sub + ("definition",)) if "definition" in m else None
        weight = ctx.positive(m["weight"], sub + ("weight",)) if "weight" in m else None
        anchors = None
        if "anchors" in m:
            anchors = _level_texts(ctx, m["anchors"], sub + ("anchors",), levels,
                                   msg(N_("anchor text")))
        questions = (
            _questions(ctx, m["questions"], sub + ("questions",)) if "questions" in m else ()
        )
        if None not in (code, name, definition, weight, anchors):
            out.append(r.Criterion(code, name, definition, weight, r.LevelMap(anchors), questions))
    return tuple(out)


def _questions(ctx: Context, value: Any, path: Path) -> tuple[r.Question, ...]:
    if not isinstance(value, list) or not value:
        got = msg(N_("an empty list")) if value == [] else kind(value)
        ctx.error(path, N_("expected a list of at least one question, got %(got)s"), got=got)
        return ()
    out = []
    for i, item in enumerate(value):
        sub = path + (i,)
        m = ctx.mapping(item, sub, ("type", "text"), ("probes",))
        if m is None:
            continue
        qtype = m.get("type")
        if "type" in m and qtype not in r.QUESTION_TYPES:
            expected = ", ".join(r.QUESTION_TYPES)
            ctx.error(sub + ("type",), N_("expected one of %(expected)s, got %(got)s"),
                      expected=expected, got=kind(qtype))
        text = ctx.text(m["text"], sub + ("text",)) if "text" in m else None
        probes = _probes(ctx, m.get("probes", []), sub + ("probes",))
        if qtype in r.QUESTION_TYPES and text is not None and probes is not None:
            out.append(r.Question(qtype, text, probes))
    return tuple(out)


def _probes(ctx: Context, value: Any, path: Path) -> tuple[r.Text, ...] | None:
    if not isinstance(value, list):
        ctx.error(path, N_("expected a list of probe texts, got %(got)s"), got=kind(value))
        return None
    probes = [ctx.text(item, path + (i,)) for i, item in enumerate(value)]
    return None if None in probes else tuple(probes)
