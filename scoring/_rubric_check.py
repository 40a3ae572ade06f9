"""Validate rubric data (read from YAML or a JSON snapshot) and build the immutable Rubric.

Every check that can go on after a failure does, so ``scoring rubric check`` lists all the
errors of a file at once. Pure: stdlib only (and the sibling rubric modules).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from . import rubrics as r
from ._rubric_messages import N_, Msg, msg, place
from ._rubric_yaml import Path, key_part

ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
CODE_RE = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
VERSION_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._+-]{0,31}")
LANGUAGES = ("id", "en")
MAX_LEVELS = 21
MAX_DECIMALS = 6

TOP_REQUIRED = ("id", "version", "title", "scale", "quorum", "criteria")
TOP_OPTIONAL = (
    "language",
    "description",
    "evidence_required",
    "combination",
    "discrepancy_threshold",
    "examiner_flags",
)
CRITERION_KEYS = ("code", "name", "definition", "weight", "anchors", "questions")


@dataclass
class Context:
    """Where the data came from, and the errors found so far."""

    source: str
    lines: dict[Path, int] = field(default_factory=dict)
    raw: dict[Path, str] = field(default_factory=dict)
    json_keys: bool = False  # JSON object keys are strings: accept "3" as level 3
    lang: str = "id"  # language of plain-string text
    errors: list[r.RubricError] = field(default_factory=list)
    codes: dict[int, str] = field(default_factory=dict)  # criteria codes by index, for places
    flow: set[Path] = field(default_factory=set)  # mappings written inline in the YAML

    def line(self, path: Path) -> int | None:
        """Return the line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def error(self, path: Path, msgid: str | Msg, **params: Any) -> None:
        """Record an error at ``path``: a msgid (marked with ``N_``) and its parameters."""
        message = msgid if isinstance(msgid, Msg) else msg(msgid, **params)
        self.errors.append(r.RubricError(self.source, self.line(path),
                                         place(path, self.codes), message))

    def mapping(
        self, value: Any, path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[Any, Any] | None:
        """Check ``value`` is a mapping with all ``required`` keys and no unknown ones."""
        if not isinstance(value, dict):
            keys = ", ".join(required + optional)
            self.error(path, N_("expected a mapping (keys: %(keys)s), got %(got)s"), keys=keys,
                       got=kind(value))
            return None
        known = required + optional
        for key in value:
            if key not in known:
                self.error(path + (key_part(key),), unknown_key(key, known))
        for key in required:
            if key not in value:
                self.error(path + (key,), N_("required key is missing"))
        return value

    def integer(self, value: Any, path: Path, minimum: int | None = None) -> int | None:
        """Check ``value`` is a whole number (not a boolean), at least ``minimum``."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, N_("expected a whole number, got %(got)s"), got=kind(value))
            return None
        if minimum is not None and value < minimum:
            self.error(path, N_("must be at least %(min)s, got %(value)s"), min=minimum,
                       value=value)
            return None
        return value

    def positive(self, value: Any, path: Path) -> float | None:
        """Check ``value`` is a finite number greater than zero."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, N_("expected a positive number, got %(got)s"), got=kind(value))
            return None
        if not math.isfinite(value) or value <= 0:
            self.error(path, N_("expected a positive finite number, got %(value)s"),
                       value=value)
            return None
        return float(value)

    def text(self, value: Any, path: Path) -> r.Text | None:
        """Check localised text: a string, or a mapping with ``id`` and/or ``en``."""
        if isinstance(value, str):
            if not value.strip():
                self.error(path, N_("text is empty"))
                return None
            return r.Text(**{self.lang: value.strip()})
        if not isinstance(value, dict):
            self.error(path, N_("expected text (a string, or 'id'/'en' strings), got %(got)s"),
                       got=kind(value))
            return None
        before = len(self.errors)
        if path in self.flow and any(k not in LANGUAGES and v is None for k, v in value.items()):
            self.error(path, N_("a comma inside the text split it: in an inline { } mapping a "
                                "comma ends the text. Put the text in double quotes: %(fix)s"),
                       fix=quoted_flow(value))
            return None
        self.mapping(value, path, (), LANGUAGES)
        parts = {}
        for lang in LANGUAGES:
            if lang not in value:
                continue
            part = value[lang]
            if not isinstance(part, str) or not part.strip():
                got = msg(N_("empty text")) if isinstance(part, str) else kind(part)
                self.error(path + (lang,), N_("expected non-empty text, got %(got)s"), got=got)
            else:
                parts[lang] = part.strip()
        if not parts and len(self.errors) == before:
            self.error(path, N_("expected text in 'id' (Indonesian) and/or 'en' (English)"))
        return r.Text(**parts) if parts and len(self.errors) == before else None


def quoted_flow(value: dict[Any, Any]) -> str:
    """Rebuild ``{id: Jujur, bertanggung jawab}`` (read as two keys) with the text quoted."""
    pairs: list[list[str]] = []
    for key, text in value.items():
        if key in LANGUAGES or not pairs:
            pairs.append([str(key), "" if text is None else str(text)])
        else:
            pairs[-1][1] += f", {key}" + ("" if text is None else f": {text}")
    quoted = ", ".join(f'{k}: "{t}"' for k, t in pairs)
    return "{" + quoted + "}"


def kind(value: Any) -> Msg:
    """Name the type of a YAML/JSON value for an error message."""
    if value is None:
        return msg(N_("nothing (null)"))
    if isinstance(value, bool):
        return msg(N_("a boolean (%(value)s)"), value=str(value).lower())
    if isinstance(value, int | float):
        return msg(N_("a number (%(value)s)"), value=value)
    if isinstance(value, str):
        return msg(N_("a string (%(value)s)"), value=repr(value)) if len(value) <= 40 else msg(
            N_("a string"))
    if isinstance(value, dt.date):
        return msg(N_("a date (%(value)s); quote it to make it a string"), value=value)
    if isinstance(value, dict):
        return msg(N_("a mapping"))
    if isinstance(value, list):
        return msg(N_("a list"))
    return Msg(type(value).__name__)


def unknown_key(key: Any, known: tuple[str, ...]) -> Msg:
    """Say a key is unknown, suggesting the known key it was probably meant to be."""
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if close:
        return msg(N_("unknown key %(key)s; did you mean '%(close)s'?"), key=repr(key),
                   close=close[0])
    return msg(N_("unknown key %(key)s; expected one of: %(known)s"), key=repr(key),
               known=", ".join(known))


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
    return r.Rubric(
        id=rid,
        version=version,
        title=title,
        description=description,
        scale=scale,
        criteria=criteria,
        evidence_required=evidence,
        combination=combination,
        quorum=quorum,
        discrepancy_threshold=threshold,
        examiner_flags=flags,
    )


def _slug(ctx: Context, value: Any, path: Path, pattern: re.Pattern[str], what: Msg) -> Any:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        ctx.error(path, N_("expected %(what)s, got %(got)s"), what=what, got=kind(value))
        return None
    return value


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
