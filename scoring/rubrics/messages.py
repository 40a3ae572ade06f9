"""Rubric messages as codes and parameters, translated by whoever shows them.

The rubric engine is pure (no Flask, no Babel): it records each problem as a :class:`Msg`, an
English msgid with named parameters (themselves plain values or further messages). A caller
renders it with a translation function: the web page with Flask-Babel's catalogue for the page's
language, ``scoring rubric check --lang`` with the catalogue of the language asked for, and
tests and logs without one (English). ``N_`` only marks msgids for extraction (Babel's default
keywords include it), so every message sits in ``translations/``.

Places in a rubric are named the way people count: ``criterion 2 (KOM) › anchors.3`` for the
second criterion, whose code is KOM; other list items are numbered from 1 too (``questions #1``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Translate = Callable[[str], str]


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; translation happens when the message is rendered."""
    return msgid


def _same(msgid: str) -> str:
    return msgid


@dataclass(frozen=True)
class Msg:
    """A message: an English msgid with ``%(name)s`` placeholders and their values."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, translate: Translate | None = None) -> str:
        """Return the message in the language of ``translate`` (English without one)."""
        translate = translate or _same
        values = {k: render(v, translate) for k, v in self.params.items()}
        text = translate(self.msgid)
        return text % values if values else text

    def __str__(self) -> str:
        return self.render()


def msg(msgid: str, **params: Any) -> Msg:
    """Return a :class:`Msg` (``msgid`` must be marked with ``N_`` where it is written)."""
    return Msg(msgid, params)


def render(value: Any, translate: Translate | None = None) -> Any:
    """Render ``value`` if it is a message (or a list of them joined by commas)."""
    if isinstance(value, Msg):
        return value.render(translate)
    if isinstance(value, list | tuple):
        return ", ".join(str(render(v, translate)) for v in value)
    return value


def place(path: tuple, codes: Mapping[int, str] | None = None) -> Msg | None:
    """Name a place in a rubric: ``criterion 2 (KOM) › anchors.3``; None for the whole file.

    ``path`` is the raw path (``("criteria", 1, "anchors", "3")``, indices from 0) and
    ``codes`` the criteria codes by index, when known.
    """
    if not path:
        return None
    parts: list[Any] = []
    rest = list(path)
    if len(rest) >= 2 and rest[0] == "criteria" and isinstance(rest[1], int):
        index = rest[1]
        code = (codes or {}).get(index)
        parts.append(msg(N_("criterion %(n)s (%(code)s)"), n=index + 1, code=code) if code
                     else msg(N_("criterion %(n)s"), n=index + 1))
        rest = rest[2:]
    keys = ""
    for part in rest:
        if isinstance(part, int):
            keys += f" #{part + 1}"
        else:
            keys += f".{part}" if keys else str(part)
    if keys:
        parts.append(keys)
    template = " › ".join(f"%(p{i})s" for i in range(len(parts)))
    return Msg(template, {f"p{i}": p for i, p in enumerate(parts)})
