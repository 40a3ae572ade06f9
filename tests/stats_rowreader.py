"""The row-by-row long CSV reader that scoring.stats.longform replaced, kept as a test oracle.

Verbatim from the version before the vectorised reader, but for raising
scoring.stats.LongFormatError so that messages compare directly, and for taking the
column names and phases from scoring.stats.longform (one definition).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping

import numpy as np

from scoring.stats.longform import COLUMNS, PHASES, LongArrays, LongFormatError


def _score(value, row: int | None) -> float:
    if value is None:
        return math.nan
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return math.nan
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # decimal comma, as exported in id_ID locales
        try:
            out = float(text)
        except ValueError:
            raise LongFormatError(f"score {value!r} is not a number", row, "score") from None
    else:
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise LongFormatError(f"score {value!r} is not a number", row, "score") from None
    if math.isinf(out):
        raise LongFormatError(f"score {value!r} is not finite", row, "score")
    return out


def long_to_arrays(records: Iterable, *, first_row: int = 1) -> LongArrays:
    """Build the rating array from long records.

    Parameters
    ----------
    records : iterable
        Each record is a mapping with keys ``candidate, examiner, criterion, score`` or a
        4-sequence in that order. A blank or None score is a missing score; a repeated
        (candidate, examiner, criterion) raises LongFormatError.
    first_row : int
        Row number reported for the first record in error messages.

    Returns
    -------
    LongArrays
    """
    index: dict[str, dict[str, int]] = {c: {} for c in COLUMNS[:3]}
    cells: dict[tuple[int, int, int], float] = {}
    for row, rec in enumerate(records, start=first_row):
        if isinstance(rec, Mapping):
            try:
                vals = [rec[c] for c in COLUMNS]
            except KeyError as exc:
                raise LongFormatError("record lacks a field", row, str(exc.args[0])) from None
        else:
            vals = list(rec)
            if len(vals) != 4:
                raise LongFormatError(f"expected 4 fields {COLUMNS}, got {len(vals)}", row)
        key = []
        for col, val in zip(COLUMNS[:3], vals[:3], strict=True):
            label = "" if val is None else str(val).strip()
            if not label:
                raise LongFormatError("empty label", row, col)
            key.append(index[col].setdefault(label, len(index[col])))
        cell = (key[0], key[1], key[2])
        if cell in cells:
            raise LongFormatError(
                f"duplicate score for candidate {vals[0]!r}, examiner {vals[1]!r}, "
                f"criterion {vals[2]!r}", row)
        cells[cell] = _score(vals[3], row)
    if not cells:
        raise LongFormatError("no score records")
    shape = tuple(len(index[c]) for c in COLUMNS[:3])
    arr = np.full(shape, np.nan)
    idx = np.array(list(cells.keys()))
    arr[idx[:, 0], idx[:, 1], idx[:, 2]] = np.fromiter(cells.values(), float, len(cells))
    return LongArrays(arr, *(tuple(index[c]) for c in COLUMNS[:3]))


def read_long_csv(source, phase: str = "pre") -> LongArrays:
    """Read a long CSV (header ``candidate,examiner,criterion,score[,phase]``).

    Parameters
    ----------
    source : path or text file
        The CSV; column names are matched case-insensitively, extra columns are ignored.
    phase : {"pre", "post"}
        When a ``phase`` column is present only rows of this phase are used (``pre``:
        scores before moderation, the independent ones agreement must be computed on).

    Returns
    -------
    LongArrays
    """
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES!r}; got {phase!r}")
    if isinstance(source, str | os.PathLike):
        with open(source, newline="", encoding="utf-8-sig") as fh:
            return _read(fh, phase)
    if isinstance(source, io.TextIOBase) or hasattr(source, "read"):
        return _read(source, phase)
    raise ValueError(f"source must be a path or a text file; got {type(source).__name__}")


def _read(fh, phase: str) -> LongArrays:
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        raise LongFormatError("the file is empty", 1) from None
    except csv.Error as exc:
        raise LongFormatError(f"not a readable CSV ({exc})", 1) from None
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise LongFormatError(f"header lacks column(s) {missing}; found {header}", 1,
                              missing[0])
    pos = [names.index(c) for c in COLUMNS]
    phase_pos = names.index("phase") if "phase" in names else None

    def rows():
        try:
            for lineno, rec in enumerate(reader, start=2):
                if not any(f.strip() for f in rec):
                    continue
                if len(rec) < len(header):
                    raise LongFormatError(f"expected {len(header)} fields, got {len(rec)}",
                                          lineno)
                if phase_pos is not None:
                    value = rec[phase_pos].strip().lower()
                    if value not in PHASES:
                        raise LongFormatError(f"phase {rec[phase_pos]!r} is not one of "
                                              f"{PHASES}", lineno, "phase")
                    if value != phase:
                        continue
                yield lineno, [rec[p] for p in pos]
        except csv.Error as exc:
            raise LongFormatError(f"not a readable CSV ({exc})", reader.line_num) from None

    numbered = list(rows())
    if not numbered:
        raise LongFormatError(f"no score rows{' for phase ' + phase if phase_pos else ''}")
    try:
        return long_to_arrays((r for _, r in numbered), first_row=0)
    except LongFormatError as exc:
        if exc.row is None:
            raise
        # report the true CSV line of a bad record, even when rows were skipped
        raise LongFormatError(exc.message, numbered[exc.row][0], exc.column) from None
