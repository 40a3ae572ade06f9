"""Calibration set files: YAML with practice cases and reference levels, validated like rubrics.

A set file names its rubric by id and version, gives what an attempt must reach to pass, and
lists the cases: a Markdown answer summary or transcript, optionally a media file beside the
YAML file, and per criterion the expert panel's reference level with a rationale. Every
problem is reported as ``file:line: place: problem`` (a :class:`CalibrationError`, which is a
:class:`~scoring.rubrics.RubricError` so it renders and translates the same way). Pure: no
Flask, no database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..rubrics import Rubric, RubricError
from ..rubrics import yaml_lines as _rubric_yaml
from ..rubrics.messages import N_, Msg, msg

MEDIA_TYPES = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg",
               ".m4a": "audio/mp4", ".wav": "audio/wav", ".mp4": "video/mp4",
               ".webm": "video/webm"}
MAX_MEDIA_BYTES = 200 * 1024 * 1024
MAX_CASES = 100
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
TOP_KEYS = {"code", "title", "description", "rubric", "pass", "cases"}
CASE_KEYS = {"code", "title", "summary", "media", "reference"}
PASS_KEYS = {"exact": (0.0, 1.0), "adjacent": (0.0, 1.0), "mean_deviation": (0.0, 10.0)}


class CalibrationError(RubricError):
    """A calibration set file is malformed: file, line, place and problem."""


@dataclass(frozen=True)
class Reference:
    """The expert panel's level for one criterion of a case, and why."""

    level: int
    rationale: str


@dataclass(frozen=True)
class Case:
    """One practice case of a set."""

    code: str
    title: str
    summary: str
    media: str | None  # a path relative to the set file
    reference: dict[str, Reference]


@dataclass(frozen=True)
class SetFile:
    """A validated calibration set, ready to import."""

    code: str
    title: str
    description: str
    rubric: Rubric
    min_exact: float
    min_adjacent: float
    max_abs_deviation: float
    cases: tuple[Case, ...]


class _Check:
    """Collects errors with the line of the path they concern."""

    def __init__(self, source: str, doc: _rubric_yaml.Document) -> None:
        self.source, self.doc, self.errors = source, doc, []

    def line(self, path: tuple) -> int | None:
        while path:
            if path in self.doc.lines:
                return self.doc.lines[path]
            path = path[:-1]
        return self.doc.lines.get((), None)

    def error(self, path: tuple, message: Msg) -> None:
        self.errors.append(CalibrationError(self.source, self.line(path),
                                            _place(path) or "", message))

    def mapping(self, value, path: tuple, keys: set[str]) -> dict | None:
        if not isinstance(value, dict):
            self.error(path, msg(N_("expected a mapping")))
            return None
        for key in value:
            if key not in keys:
                self.error((*path, key), msg(N_("unknown key; expected one of %(keys)s"),
                                             keys=", ".join(sorted(keys))))
        return value

    def text(self, data: dict, key: str, path: tuple, required: bool = True,
             limit: int = 200) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.error(path, msg(N_("%(key)s is missing"), key=key))
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error((*path, key), msg(N_("expected text")))
            return ""
        if len(value) > limit:
            self.error((*path, key), msg(N_("longer than %(n)s characters"), n=limit))
        return value.strip()


def _place(path: tuple) -> Msg | None:
    if not path:
        return None
    out, rest = [], list(path)
    if len(rest) >= 2 and rest[0] == "cases" and isinstance(rest[1], int):
        out.append(msg(N_("case %(n)s"), n=rest[1] + 1))
        rest = rest[2:]
    keys = ".".join(str(p + 1) if isinstance(p, int) else str(p) for p in rest)
    if keys:
        out.append(keys)
    return Msg(" › ".join(f"%(p{i})s" for i in range(len(out))),
               {f"p{i}": p for i, p in enumerate(out)})


def parse_set(text: str, source: str, find_rubric: Callable[[str, str], Rubric | None],
              media_root: str | os.PathLike | None = None) -> SetFile:
    """Validate a set file's text; raise the first :class:`CalibrationError` (all in ``.all``).

    ``find_rubric(id, version)`` returns the rubric the set names (or None); ``media_root``
    is the folder media paths are relative to (None: media are not checked on disk).
    """
    try:
        doc = _rubric_yaml.read(text)
    except _rubric_yaml.YamlSyntaxError as exc:
        raise CalibrationError(source, exc.line, "", exc.message) from None
    check = _Check(source, doc)
    for path, line, message in doc.problems:
        check.errors.append(CalibrationError(source, line, _place(path) or "", message))
    result = _check_set(check, doc.data, find_rubric, media_root)
    if check.errors:
        first = check.errors[0]
        first.all = list(check.errors)
        raise first
    return result


def _check_set(check: _Check, data, find_rubric, media_root) -> SetFile | None:
    if data is None:
        check.error((), msg(N_("the file is empty; expected a calibration set mapping")))
        return None
    top = check.mapping(data, (), TOP_KEYS)
    if top is None:
        return None
    code = check.text(top, "code", (), limit=64)
    if code and not CODE.match(code):
        check.error(("code",), msg(N_("use letters, digits, '.', '_' or '-' (at most 32)")))
    title = check.text(top, "title", ())
    description = check.text(top, "description", (), required=False, limit=5000)
    rubric = _rubric_of(check, top.get("rubric"), find_rubric)
    thresholds = _thresholds(check, top.get("pass", {}))
    cases = top.get("cases")
    if not isinstance(cases, list) or not cases:
        check.error(("cases",), msg(N_("expected a list of at least one case")))
        return None
    if len(cases) > MAX_CASES:
        check.error(("cases",), msg(N_("at most %(n)s cases"), n=MAX_CASES))
    out, seen = [], set()
    for i, raw in enumerate(cases):
        case = _case(check, raw, ("cases", i), rubric, media_root)
        if case is None:
            continue
        if case.code in seen:
            check.error(("cases", i, "code"), msg(N_("code %(code)s is used twice"),
                                                  code=case.code))
        seen.add(case.code)
        out.append(case)
    if rubric is None:
        return None
    return SetFile(code, title, description, rubric, *thresholds, tuple(out))


def _rubric_of(check: _Check, value, find_rubric) -> Rubric | None:
    ref = check.mapping(value, ("rubric",), {"id", "version"}) if value is not None else None
    if value is None:
        check.error((), msg(N_("%(key)s is missing"), key="rubric"))
    if ref is None:
        return None
    rid, version = ref.get("id"), ref.get("version")
    if not isinstance(rid, str) or not isinstance(version, str):
        check.error(("rubric",), msg(N_("give the rubric's id and version as text")))
        return None
    rubric = find_rubric(rid, version)
    if rubric is None:
        check.error(("rubric",), msg(N_("no rubric %(id)s version %(version)s is known "
                                        "(shipped in rubrics/ or used by a session)"),
                                     id=rid, version=version))
    return rubric


def _thresholds(check: _Check, value) -> tuple[float, float, float]:
    given = check.mapping(value, ("pass",), set(PASS_KEYS)) or {}
    out = []
    for key, default in (("exact", 0.6), ("adjacent", 0.9), ("mean_deviation", 0.5)):
        v = given.get(key, default)
        low, high = PASS_KEYS[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high:
            check.error(("pass", key), msg(N_("expected a number from %(low)s to %(high)s"),
                                           low=low, high=high))
            v = default
        out.append(float(v))
    return out[0], out[1], out[2]


def _case(check: _Check, raw, path: tuple, rubric: Rubric | None, media_root) -> Case | None:
    data = check.mapping(raw, path, CASE_KEYS)
    if data is None:
        return None
    code = check.text(data, "code", path, limit=32)
    if code and not CODE.match(code):
        check.error((*path, "code"), msg(N_("use letters, digits, '.', '_' or '-' (at most 32)")))
    title = check.text(data, "title", path)
    summary = check.text(data, "summary", path, limit=50_000)
    media = _media(check, data.get("media"), (*path, "media"), media_root)
    reference = {}
    ref = data.get("reference")
    if not isinstance(ref, dict):
        check.error((*path, "reference"), msg(N_("expected a mapping of criterion codes")))
        return None
    if rubric is not None:
        for crit_code in rubric.codes:
            if crit_code not in ref:
                check.error((*path, "reference"), msg(N_("no reference level for %(code)s"),
                                                      code=crit_code))
        for crit_code, entry in ref.items():
            where = (*path, "reference", crit_code)
            if crit_code not in rubric.codes:
                check.error(where, msg(N_("the rubric has no criterion %(code)s"),
                                       code=crit_code))
                continue
            item = check.mapping(entry, where, {"level", "rationale"})
            if item is None:
                continue
            level = item.get("level")
            if isinstance(level, bool) or not isinstance(level, int) or \
                    level not in rubric.scale.values:
                check.error((*where, "level"), msg(N_("expected a level of the scale "
                                                      "%(low)s-%(high)s"),
                                                   low=rubric.scale.min, high=rubric.scale.max))
                continue
            rationale = check.text(item, "rationale", where, limit=2000)
            reference[crit_code] = Reference(level, rationale)
    return Case(code, title, summary, media, reference)


def _media(check: _Check, value, path: tuple, media_root) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        check.error(path, msg(N_("expected a file name")))
        return None
    name = value.strip()
    parts = Path(name).parts
    if Path(name).is_absolute() or ".." in parts:
        check.error(path, msg(N_("give a path inside the set's folder")))
        return None
    if Path(name).suffix.lower() not in MEDIA_TYPES:
        check.error(path, msg(N_("media must be one of %(types)s"),
                              types=", ".join(sorted(MEDIA_TYPES))))
        return None
    if media_root is not None:
        full = Path(media_root) / name
        if not full.is_file():
            check.error(path, msg(N_("file %(name)s not found beside the set file"), name=name))
            return None
        if full.stat().st_size > MAX_MEDIA_BYTES:
            check.error(path, msg(N_("file is larger than %(n)s MB"),
                                  n=MAX_MEDIA_BYTES // (1024 * 1024)))
    return name
