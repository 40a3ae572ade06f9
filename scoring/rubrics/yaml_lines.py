"""Read YAML into plain data while remembering the line of every key and list item.

PyYAML's ``safe_load`` forgets where values came from and silently keeps the last of
two duplicate keys. Rubric errors must name a line, and a duplicated key in a rubric
is almost always a mistake, so this module composes the node tree with a SafeLoader
and builds the plain data itself. Pure: stdlib and yaml only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .messages import N_, Msg, msg

Path = tuple[str | int, ...]

MAX_NODES = 100_000  # aliases can expand exponentially ("billion laughs")
MAX_DEPTH = 40  # a rubric is about six levels deep; recursive aliases never end

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlSyntaxError(Exception):
    """The text is not one well-formed YAML document."""

    def __init__(self, line: int | None, message: Msg) -> None:
        super().__init__(str(message))
        self.line = line
        self.message = message


@dataclass
class Document:
    """Plain data read from YAML, with 1-based lines and problems found on the way."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    raw: dict[Path, str] = field(default_factory=dict)  # source text of numeric scalars
    problems: list[tuple[Path, int, Msg]] = field(default_factory=list)
    flow: set[Path] = field(default_factory=set)  # mappings written inline, {id: .., en: ..}


def format_path(path: Path) -> str:
    """Render ``("criteria", 2, "anchors", "3")`` as ``criteria[2].anchors.3``.

    List indices are ints (shown 0-based in brackets); mapping keys are always strings
    in a path, so the anchor of level 3 reads ``anchors.3``, not ``anchors[3]``.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def key_part(key: Any) -> str:
    """Return the path segment for a mapping key."""
    if isinstance(key, bool):
        return str(key).lower()  # as YAML spells it
    return key if isinstance(key, str) else str(key)


class _Loader(yaml.SafeLoader):
    """A SafeLoader whose (recursive) composer stops at ``MAX_DEPTH`` levels of nesting.

    PyYAML composes nested lists and mappings by recursion, so ``[[[[...]]]]`` five thousand
    deep would end in Python's RecursionError instead of a rubric error naming the line.
    """

    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlSyntaxError(
                    mark.line + 1, f"document is nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def read(text: str) -> Document:
    """Parse ``text`` as a single YAML document into a :class:`Document`."""
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            raise YamlSyntaxError(_mark_line(exc), _syntax_message(exc, text)) from None
        except yaml.YAMLError as exc:  # e.g. a control character the reader rejects
            raise YamlSyntaxError(None, msg(N_("not valid YAML: %(error)s"),
                                            error=str(exc))) from None
        doc = Document(data=None)
        if node is not None:
            builder = _Builder(loader, doc)
            doc.data = builder.build(node, (), 0)
        return doc
    finally:
        loader.dispose()


def _mark_line(exc: yaml.MarkedYAMLError) -> int | None:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark is not None else None


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> Msg:
    context, start, end = exc.context, exc.context_mark, exc.problem_mark
    if (context == "while parsing a flow mapping" and start is not None and end is not None
            and start.line == end.line and "but got ':'" in (exc.problem or "")):
        source_line = text.splitlines()[start.line] if start.line < len(text.splitlines()) else ""
        fix = flow_fix(source_line)
        if fix:
            return msg(N_("YAML syntax error: a colon (:) or comma inside the text of an inline "
                          "{ } mapping ends the text there. Put the text in double quotes: "
                          "%(fix)s"), fix=fix.strip())
        return msg(N_("YAML syntax error: a colon (:) or comma inside the text of an inline "
                      "{ } mapping ends the text there. Put each text in double quotes, "
                      "e.g. {id: \"Catatan: penting\", en: \"Note: important\"}"))
    if context and start is not None and end is not None and start.line != end.line:
        context = f"{context} (from line {start.line + 1})"  # where the unclosed thing began
    return msg(N_("YAML syntax error: %(detail)s"),
               detail=", ".join(p for p in (context, exc.problem) if p))


_FLOW_KEY = re.compile(r"(?:^|,\s*)(id|en)\s*:\s+")


def flow_fix(line: str) -> str | None:
    """Return ``line`` with the texts of its inline ``{id: .., en: ..}`` mapping quoted.

    None when the line has no such mapping.
    """
    found = re.search(r"\{(.*)\}", line)
    if not found:
        return None
    parts = _FLOW_KEY.split(found.group(1).strip())
    if len(parts) < 3 or parts[0].strip():
        return None
    pairs = []
    for i in range(1, len(parts) - 1, 2):
        text = parts[i + 1].strip().strip('"')
        pairs.append(f'{parts[i]}: "{text.replace(chr(34), chr(92) + chr(34))}"')
    return line[:found.start()] + "{" + ", ".join(pairs) + "}" + line[found.end():]


class _Builder:
    """Turn composed nodes into dicts, lists and scalars, recording lines."""

    def __init__(self, loader: yaml.SafeLoader, doc: Document) -> None:
        self.loader = loader
        self.doc = doc
        self.count = 0

    def problem(self, path: Path, line: int, message: Msg) -> None:
        self.doc.problems.append((path, line, message))

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        line = node.start_mark.line + 1
        self.doc.lines.setdefault(path, line)
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            reason = (N_("the document has too many values (recursive or runaway aliases?)")
                      if self.count > MAX_NODES else
                      N_("the document is nested too deeply (recursive or runaway aliases?)"))
            raise YamlSyntaxError(line, msg(reason))
        if isinstance(node, yaml.MappingNode):
            if node.flow_style:
                self.doc.flow.add(path)
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self._child(item, path + (i,), depth) for i, item in enumerate(node.value)]
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.doc.raw[path] = node.value
        return value

    def _child(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.doc.lines[path] = node.start_mark.line + 1
        return self.build(node, path, depth + 1)

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                self.problem(path, line, msg(N_("YAML merge keys (<<) are not supported; repeat "
                                                "the keys")))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(path, line, msg(N_("a key must be a plain value, not a list or "
                                                "mapping")))
                continue
            key = self.loader.construct_object(key_node)
            sub = path + (key_part(key),)
            if key in out:
                first = self.doc.lines.get(sub)
                self.problem(sub, line, msg(N_("duplicate key %(key)s (first at line %(line)s)"),
                                            key=repr(key), line=first))
                continue
            self.doc.lines[sub] = line
            out[key] = self.build(value_node, sub, depth + 1)
        return out
