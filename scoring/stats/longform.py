"""Long records (candidate, examiner, criterion, score) to rating arrays, kept apart from stats."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping

import numpy as np

from . import _csvscan
from ._long_columns import (
    COLUMNS,
    PHASES,
    LongArrays,
    LongFormatError,
    _assemble,
    _parse_scores,
)
from .longframe import _is_frame, read_long_frame

__all__ = ["LongArrays", "LongFormatError", "long_to_arrays", "read_long_csv", "read_long_frame",
           "COLUMNS", "LONG_HEADERS"]

# The long score export's columns in each language of the app (scoring.documents.tables writes them:
# English with "," and a decimal point, Indonesian with ";" and a decimal comma); the reader
# takes either, so a file downloaded in either language reads back.
LONG_HEADERS = {"en": ("candidate", "examiner", "criterion", "score", "phase", "state"),
                "id": ("peserta", "penguji", "kriteria", "nilai", "fase", "keadaan")}
ALIASES = dict(zip(LONG_HEADERS["id"], LONG_HEADERS["en"], strict=True))
BOM = "\ufeff".encode()


def long_to_arrays(records: Iterable, *, first_row: int = 1) -> LongArrays:
    """Build the rating array from long records.

    Parameters
    ----------
    records : iterable or DataFrame
        Each record is a mapping with keys ``candidate, examiner, criterion, score`` or a
        4-sequence in that order. A blank or None score is a missing score; a repeated
        (candidate, examiner, criterion) raises LongFormatError. A pandas, polars or other
        DataFrame that narwhals reads is taken as long data too, every row counted (see
        :func:`read_long_frame` to select a phase).
    first_row : int
        Row number reported for the first record in error messages.

    Returns
    -------
    LongArrays

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin, 86(2), 420-428. (Tables 2 and 4: the example.)

    Examples
    --------
    Shrout & Fleiss (1979), Table 2, as long records (target, judge, criterion, score);
    ICC(2,1) is .29 as in their Table 4.

    >>> from scoring.stats import icc, long_to_arrays
    >>> scores = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...           [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> records = [(f"t{t}", f"j{j}", "rating", s)
    ...            for t, row in enumerate(scores, 1) for j, s in enumerate(row, 1)]
    >>> data = long_to_arrays(records)
    >>> data.ratings.shape, data.examiners
    ((6, 4, 1), ('j1', 'j2', 'j3', 'j4'))
    >>> round(icc(data.criterion("rating"))["ICC(2,1)"].value, 2)
    0.29
    """
    if _is_frame(records):
        return read_long_frame(records, phase=None, first_row=first_row)
    cols: tuple[list, list, list, list] = ([], [], [], [])
    failure = None
    for row, rec in enumerate(records, start=first_row):
        if isinstance(rec, Mapping):
            try:
                vals = [rec[c] for c in COLUMNS]
            except KeyError as exc:
                failure = LongFormatError("record lacks a field", row, str(exc.args[0]))
                break
        else:
            vals = list(rec)
            if len(vals) != 4:
                failure = LongFormatError(f"expected 4 fields {COLUMNS}, got {len(vals)}", row)
                break
        for col, val in zip(cols, vals, strict=True):
            col.append(val)
    n = len(cols[0])
    if n == 0:
        raise failure or LongFormatError("no score records")
    labels = [np.array(["" if v is None else str(v).strip() for v in c], dtype=str)
              for c in cols[:3]]
    scores = _parse_scores(np.array(cols[3], dtype=object))
    result = _assemble(labels, scores, np.arange(first_row, first_row + n),
                       lambda i, c: cols[c][i])
    if failure is not None:
        raise failure  # the records before the broken one are all well formed
    return result


def read_long_csv(source, phase: str = "pre") -> LongArrays:
    """Read a long CSV (header ``candidate,examiner,criterion,score[,phase]``).

    Parameters
    ----------
    source : path or text file
        The CSV; column names are matched case-insensitively, extra columns are ignored,
        and a row whose ``state`` column is not empty (a candidate without scores) is skipped.
        The app's exports are read in either language (:data:`LONG_HEADERS`: Indonesian
        uses ";" and a decimal comma), with or without the first row naming the session.
    phase : {"pre", "post"}
        When a ``phase`` column is present only rows of this phase are used (``pre``:
        scores before moderation, the independent ones agreement must be computed on).

    Returns
    -------
    LongArrays

    Notes
    -----
    A plain file (no quotes, one record per line) is split by numpy over its bytes, with no
    Python object per field (:mod:`scoring.stats._csvscan`); any other file is read by the
    standard library's ``csv`` module. Both give the same arrays and the same messages.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin, 86(2), 420-428. (Tables 2 and 4: the example.)

    Examples
    --------
    Shrout & Fleiss (1979), Table 2, as a long CSV; ICC(2,1) is .29 as in their Table 4.

    >>> import io
    >>> from scoring.stats import icc, read_long_csv
    >>> scores = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...           [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> records = [(f"t{t}", f"j{j}", "rating", s)
    ...            for t, row in enumerate(scores, 1) for j, s in enumerate(row, 1)]
    >>> text = "candidate,examiner,criterion,score\\n" + "".join(
    ...     f"{t},{j},{c},{s}\\n" for t, j, c, s in records)
    >>> data = read_long_csv(io.StringIO(text))
    >>> data.candidates[:3], data.criteria
    (('t1', 't2', 't3'), ('rating',))
    >>> round(icc(data.criterion("rating"))["ICC(2,1)"].value, 2)
    0.29
    """
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES!r}; got {phase!r}")
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            raw = fh.read()
    elif isinstance(source, io.TextIOBase) or hasattr(source, "read"):
        raw = source.read()
        raw = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    else:
        raise ValueError(f"source must be a path or a text file; got {type(source).__name__}")
    return _read(raw, phase)


def _read(raw: bytes, phase: str) -> LongArrays:
    """Read the bytes of a long CSV: layout, header, the rows kept, then the arrays."""
    raw = _checked_text(raw)
    skip, delimiter = _layout(raw)
    if skip:
        raw = raw.split(b"\n", skip)[skip]
    table = _csvscan.scan(raw, delimiter) or _Records(raw, delimiter, skip)
    header = table.header
    names = [_name(h) for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise LongFormatError(f"header lacks column(s) {missing}; found {header}", 1 + skip,
                              missing[0])
    pos = [names.index(c) for c in COLUMNS]
    idx = _kept_rows(table, names, skip, phase)
    labels = [table.column(pos[c])[idx] for c in range(3)]
    scores = _parse_scores(table.column(pos[3])[idx], table.raw_column(pos[3], idx))
    return _assemble(labels, scores, table.rows[idx] + skip,
                     lambda i, c: table.raw(int(idx[i]), pos[c]))


def _checked_text(raw: bytes) -> bytes:
    """Return the file's bytes without a BOM; raise if it is empty or not UTF-8."""
    if raw.startswith(BOM):
        raw = raw[len(BOM):]
    if not raw:
        raise LongFormatError("the file is empty", 1)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise LongFormatError(f"the file is not UTF-8 text ({exc.reason})", line) from None
    return raw


def _kept_rows(table, names: list[str], skip: int, phase: str) -> np.ndarray:
    """Return the indices of the rows to read: no ``state``, the wanted ``phase``.

    The first problem in file order (a short row, an unknown phase) is raised.
    """
    phase_pos = names.index("phase") if "phase" in names else None
    problems = [LongFormatError(f"expected {len(names)} fields, got {got}", row + skip)
                for row, got in table.short[:1]]
    keep = np.ones(table.rows.size, dtype=bool)
    # The app's exports put a hidden candidate's state, never a score, on a row of its own.
    if "state" in names:
        states = table.column(names.index("state"))
        keep &= states == states.dtype.type()
    if phase_pos is not None:
        values = _csvscan.lower(table.column(phase_pos))
        pre, post = (np.asarray(p, dtype=values.dtype) for p in PHASES)
        bad = np.flatnonzero(keep & (values != pre) & (values != post))
        if bad.size:
            i = int(bad[0])
            problems.append(LongFormatError(f"phase {table.raw(i, phase_pos)!r} is not one of "
                                            f"{PHASES}", int(table.rows[i]) + skip, "phase"))
        keep &= values == np.asarray(phase, dtype=values.dtype)
    if problems:
        raise min(problems, key=lambda e: e.row)
    idx = np.flatnonzero(keep)
    if not idx.size:
        raise LongFormatError(f"no score rows{' for phase ' + phase if phase_pos else ''}")
    return idx


def _name(header_field: str) -> str:
    """Return a header field as a column name (lower case; an Indonesian name in English)."""
    name = header_field.strip().strip('"').lower().lstrip("\ufeff")
    return ALIASES.get(name, name)


def _layout(raw: bytes) -> tuple[int, str]:
    """Return (lines before the header, delimiter) of a long CSV.

    The app's exports open with a row naming the session and its date; the header is the
    first of the first two lines that names every column. The delimiter is the one the header
    line uses most (";" in Indonesian exports, "," otherwise).
    """
    lines = raw.split(b"\n", 2)[:2]
    for skip, line in enumerate(lines):
        text = line.decode("utf-8", "replace").rstrip("\r")
        delimiter = ";" if text.count(";") > text.count(",") else ","
        if set(COLUMNS) <= {_name(f) for f in text.split(delimiter)}:
            return skip, delimiter
    first = lines[0]
    return 0, ";" if first.count(b";") > first.count(b",") else ","


class _Records:
    """The general CSV grammar (quotes, embedded newlines) through the ``csv`` module."""

    def __init__(self, raw: bytes, delimiter: str = ",", skip: int = 0) -> None:
        reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), delimiter=delimiter)
        try:
            self.header = next(reader)
            recs, rows, short = [], [], []
            for lineno, rec in enumerate(reader, start=2):
                if not any(f.strip() for f in rec):
                    continue
                if len(rec) < len(self.header):
                    short.append((lineno, len(rec)))
                    continue
                recs.append(rec)
                rows.append(lineno)
        except StopIteration:
            raise LongFormatError("the file is empty", 1) from None
        except csv.Error as exc:
            raise LongFormatError(f"not a readable CSV ({exc})", reader.line_num + skip) from None
        self.recs, self.rows, self.short = recs, np.array(rows, dtype=np.int64), short

    def column(self, j: int) -> np.ndarray:
        """Return field ``j`` of every kept record, stripped."""
        if not self.recs:
            return np.zeros(0, dtype="U1")
        return np.array([r[j].strip() for r in self.recs], dtype=str)

    def raw_column(self, j: int, idx: np.ndarray) -> list[str]:
        """Return field ``j`` of the records ``idx`` as written."""
        return [self.recs[i][j] for i in idx.tolist()]

    def raw(self, i: int, j: int) -> str:
        """Return field ``j`` of kept record ``i`` as written."""
        return self.recs[i][j]
