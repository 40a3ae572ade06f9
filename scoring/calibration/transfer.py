"""Move calibration sets in and out: a YAML file plus its media files beside it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from ..models import CalibrationSet
from ..workflow.calibration import media_dir
from .queries import find_rubric
from .sets import CalibrationError, SetFile, parse_set


class _Dumper(yaml.SafeDumper):
    """Write multi-line text (the case summaries) as literal blocks, as a person would."""


def _text(dumper, value: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                   style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


def read_set_file(path: str | Path) -> SetFile:
    """Read and validate a set file; media are looked up beside it."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CalibrationError(str(path), None, "", f"file is not UTF-8 text ({exc.reason})") \
            from None
    return parse_set(text, str(path), find_rubric, media_root=path.parent)


def set_document(cal_set: CalibrationSet, media_names: dict[int, str]) -> dict:
    """Return the set as the plain data of its YAML file."""
    cases = []
    for case in cal_set.cases:
        entry = {"code": case.code, "title": case.title, "summary": case.summary}
        if case.id in media_names:
            entry["media"] = media_names[case.id]
        entry["reference"] = json.loads(case.reference)
        cases.append(entry)
    doc = {"code": cal_set.code, "title": cal_set.title}
    if cal_set.description:
        doc["description"] = cal_set.description
    doc["rubric"] = {"id": cal_set.rubric_id, "version": cal_set.rubric_version}
    doc["pass"] = {"exact": cal_set.min_exact, "adjacent": cal_set.min_adjacent,
                   "mean_deviation": cal_set.max_abs_deviation}
    doc["cases"] = cases
    return doc


def export_set(cal_set: CalibrationSet, output: str | Path) -> list[Path]:
    """Write the set's YAML to ``output`` and its media beside it; return the files written."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    written, names = [], {}
    for case in cal_set.cases:
        if case.media:
            name = f"{cal_set.code}-{case.code}{Path(case.media).suffix}"
            shutil.copyfile(media_dir() / case.media, output.parent / name)
            names[case.id] = name
            written.append(output.parent / name)
    text = yaml.dump(set_document(cal_set, names), Dumper=_Dumper, allow_unicode=True,
                     sort_keys=False, width=96)
    output.write_text("# Calibration set (scoring calibration export)\n" + text,
                      encoding="utf-8")
    return [output, *written]
