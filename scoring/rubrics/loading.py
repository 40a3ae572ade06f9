"""Load rubrics from YAML or a JSON snapshot, and check files."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from . import check as _rubric_check
from . import yaml_lines as _rubric_yaml
from .messages import N_, msg, place
from .model import RubricError

if TYPE_CHECKING:
    from .model import Rubric


def parse_rubric(text: str, source: str = "<string>") -> Rubric:
    """Parse and validate rubric YAML; raise the first :class:`RubricError` found."""
    rubric, errors = _analyse(text, source)
    if errors:
        raise errors[0]
    assert rubric is not None  # _analyse returns a rubric whenever there are no errors
    return rubric


def load_rubric(path: str | os.PathLike[str]) -> Rubric:
    """Read and validate the rubric file at ``path``; errors name the path as given."""
    source = os.fspath(path)
    return parse_rubric(_read(source), source)


def rubric_from_json(text: str, source: str = "<snapshot>") -> Rubric:
    """Rebuild a rubric from a stored snapshot (the output of :meth:`Rubric.to_json`)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise RubricError(source, line, "", msg(N_("not valid JSON: %(error)s"),
                                                error=str(exc))) from None
    rubric, errors = _rubric_check.check(data, _rubric_check.Context(source, json_keys=True))
    if errors:
        raise errors[0]
    assert rubric is not None
    return rubric


def check_rubrics(
    paths: Iterable[str | os.PathLike[str]],
) -> list[tuple[str, Rubric | None, list[RubricError]]]:
    """Validate rubric files (a directory means its *.yaml and *.yml) and report every error.

    Besides each file's own errors, two files that share an id and version but differ in
    content are reported: a changed rubric needs a new version.
    """
    results: list[tuple[str, Rubric | None, list[RubricError]]] = []
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for source in _expand(paths):
        try:
            rubric, errors = _analyse(_read(source), source)
        except (OSError, RubricError) as exc:
            error = exc if isinstance(exc, RubricError) else RubricError(
                source, None, "", msg(N_("cannot read the file: %(error)s"),
                                      error=exc.strerror or str(exc)))
            results.append((source, None, [error]))
            continue
        if rubric is not None:
            key = (rubric.id, rubric.version)
            other = seen.setdefault(key, (source, rubric.content_hash))
            if other[1] != rubric.content_hash:
                errors.append(
                    RubricError(
                        source,
                        None,
                        "version",
                        msg(N_("%(other)s has id %(id)s and version %(version)s with different "
                               "content; give a changed rubric a new version"),
                            other=other[0], id=repr(rubric.id), version=repr(rubric.version)),
                    )
                )
                rubric = None
        results.append((source, rubric, errors))
    return results


def _expand(paths: Iterable[str | os.PathLike[str]]) -> Iterator[str]:
    for path in map(os.fspath, paths):
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.endswith((".yaml", ".yml")))
            yield from (os.path.join(path, name) for name in names)
        else:
            yield path


def _read(source: str) -> str:
    with open(source, "rb") as handle:
        raw = handle.read()
    try:
        return raw.decode("utf-8-sig")  # tolerate the BOM some Windows editors write
    except UnicodeDecodeError as exc:
        raise RubricError(source, None, "", msg(N_("file is not UTF-8 text (%(reason)s)"),
                                                reason=exc.reason)) from None


def _analyse(text: str, source: str) -> tuple[Rubric | None, list[RubricError]]:
    try:
        doc = _rubric_yaml.read(text)
    except _rubric_yaml.YamlSyntaxError as exc:
        return None, [RubricError(source, exc.line, "", exc.message)]
    context = _rubric_check.Context(source, lines=doc.lines, raw=doc.raw, flow=doc.flow)
    codes = _rubric_check.criteria_codes(doc.data)
    for path, line, message in doc.problems:
        context.errors.append(RubricError(source, line, place(path, codes), message))
    if doc.data is None and not doc.problems:
        return None, [RubricError(source, None, "", msg(
            N_("the file is empty; expected a rubric mapping")))]
    return _rubric_check.check(doc.data, context)
