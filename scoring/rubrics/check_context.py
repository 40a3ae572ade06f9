"""What every rubric check shares: the limits, the context that collects errors, and the wording of
a value's kind.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from . import model as r
from .messages import N_, Msg, msg, place
from .yaml_lines import Path, key_part

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


def _slug(ctx: Context, value: Any, path: Path, pattern: re.Pattern[str], what: Msg) -> Any:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        ctx.error(path, N_("expected %(what)s, got %(got)s"), what=what, got=kind(value))
        return None
    return value
