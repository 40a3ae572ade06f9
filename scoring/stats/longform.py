"""Long records (candidate, examiner, criterion, score) to rating arrays, kept apart from stats."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from . import _csvscan
from ._long_columns import LongFormatError, _codes, _finite, _parse_scores

__all__ = ["LongArrays", "LongFormatError", "long_to_arrays", "read_long_csv", "read_long_frame",
           "COLUMNS", "LONG_HEADERS"]

COLUMNS = ("candidate", "examiner", "criterion", "score")
# The long score export's columns in each language of the app (scoring.documents.tables writes them:
# English with "," and a decimal point, Indonesian with ";" and a decimal comma); the reader
# takes either, so a file downloaded in either language reads back.
LONG_HEADERS = {"en": ("candidate", "examiner", "criterion", "score", "phase", "state"),
                "id": ("peserta", "penguji", "kriteria", "nilai", "fase", "keadaan")}
ALIASES = dict(zip(LONG_HEADERS["id"], LONG_HEADERS["en"], strict=True))
PHASES = ("pre", "post")
BOM = "\ufeff".encode()


@dataclass(frozen=True)
class LongArrays:
    """Scores as an array of shape (n_candidates, n_examiners, n_criteria), NaN if absent.

    The label tuples give the order of each axis (order of first appearance).
    """

    ratings: np.ndarray
    candidates: tuple[str, ...]
    examiners: tuple[str, ...]
    criteria: tuple[str, ...]

    def criterion(self, name: str) -> np.ndarray:
        """Return the (n_candidates, n_examiners) array for one criterion."""
        return self.ratings[:, :, self.criteria.index(name)]


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
    if raw.startswith(BOM):
        raw = raw[len(BOM):]
    if not raw:
        raise LongFormatError("the file is empty", 1)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise LongFormatError(f"the file is not UTF-8 text ({exc.reason})", line) from None
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
    phase_pos = names.index("phase") if "phase" in names else None
    problems = [LongFormatError(f"expected {len(header)} fields, got {got}", row + skip)
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
    labels = [table.column(pos[c])[idx] for c in range(3)]
    scores = _parse_scores(table.column(pos[3])[idx], table.raw_column(pos[3], idx))
    return _assemble(labels, scores, table.rows[idx] + skip,
                     lambda i, c: table.raw(int(idx[i]), pos[c]))


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


def _assemble(labels, scores, rows: np.ndarray, raw) -> LongArrays:
    """Check the columns and build the array; the first bad row in file order is reported.

    ``labels`` are three stripped string arrays (candidate, examiner, criterion), ``scores``
    what :func:`_parse_scores` returns, ``rows`` each record's row number and ``raw(i, c)``
    the value of record ``i`` in column ``c`` as written, for the messages.
    """
    values, score_bad, score_message = scores
    problems = []  # (index, rank of the check within a record, error)
    for c, arr in enumerate(labels):
        empty = np.flatnonzero(arr == arr.dtype.type())
        if empty.size:
            i = int(empty[0])
            problems.append((i, c, LongFormatError("empty label", int(rows[i]), COLUMNS[c])))
    codes, names = zip(*(_codes(a) for a in labels), strict=True)
    shape = tuple(len(n) for n in names)
    key = (codes[0] * shape[1] + codes[1]) * shape[2] + codes[2]
    order = np.argsort(key, kind="stable")
    repeat = order[1:][key[order][1:] == key[order][:-1]]
    if repeat.size:
        i = int(repeat.min())
        problems.append((i, 3, LongFormatError(
            f"duplicate score for candidate {raw(i, 0)!r}, examiner {raw(i, 1)!r}, "
            f"criterion {raw(i, 2)!r}", int(rows[i]))))
    if score_bad is not None:
        problems.append((score_bad, 4, LongFormatError(score_message, int(rows[score_bad]),
                                                       "score")))
    if problems:
        raise min(problems, key=lambda p: p[:2])[2]
    arr = np.full(shape, np.nan)
    arr[codes[0], codes[1], codes[2]] = values
    return LongArrays(arr, *names)


def read_long_frame(frame, phase: str | None = "pre", *, first_row: int = 1) -> LongArrays:
    """Read long data from a DataFrame (pandas, polars, pyarrow, ... through narwhals).

    Parameters
    ----------
    frame : DataFrame
        Columns ``candidate, examiner, criterion, score`` and optionally ``phase``, matched
        case-insensitively; other columns are ignored. Labels may be numbers (taken as their
        text); a null score is a missing score.
    phase : {"pre", "post"} or None
        As :func:`read_long_csv`; None uses every row and ignores a ``phase`` column.
    first_row : int
        Row number reported for the frame's first row in error messages.

    Returns
    -------
    LongArrays

    Notes
    -----
    Neither pandas nor polars is needed by scoring: narwhals (a dependency-free layer over
    DataFrame libraries) reads whichever the caller has, one column at a time, vectorised.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin, 86(2), 420-428. (Tables 2 and 4: the example.)

    Examples
    --------
    Shrout & Fleiss (1979), Table 2, in a pandas DataFrame; ICC(2,1) is .29 as in their
    Table 4.

    >>> import pandas as pd
    >>> from scoring.stats import icc, read_long_frame
    >>> scores = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...           [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> records = [(f"t{t}", f"j{j}", "rating", s)
    ...            for t, row in enumerate(scores, 1) for j, s in enumerate(row, 1)]
    >>> frame = pd.DataFrame(records, columns=["candidate", "examiner", "criterion", "score"])
    >>> data = read_long_frame(frame)
    >>> round(icc(data.criterion("rating"))["ICC(2,1)"].value, 2)
    0.29
    """
    if phase is not None and phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES!r} or None; got {phase!r}")
    import narwhals.stable.v2 as nw

    try:
        df = nw.from_native(frame, eager_only=True)
    except TypeError:
        raise ValueError(f"frame must be a DataFrame (pandas, polars, pyarrow, ...); got "
                         f"{type(frame).__name__}") from None
    names = {str(c).strip().lower(): c for c in df.columns}
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise LongFormatError(f"the DataFrame lacks column(s) {missing}; found "
                              f"{list(df.columns)}", None, missing[0])
    n = len(df)
    rows = np.arange(first_row, first_row + n)
    keep = np.ones(n, dtype=bool)
    if phase is not None and "phase" in names:
        values = np.char.lower(_frame_text(df[names["phase"]], nw))
        bad = np.flatnonzero((values != "pre") & (values != "post"))
        if bad.size:
            i = int(bad[0])
            shown = _native(df[names["phase"]], i)
            raise LongFormatError(f"phase {shown!r} is not one of {PHASES}", int(rows[i]),
                                  "phase")
        keep = values == phase
    idx = np.flatnonzero(keep)
    if not idx.size:
        raise LongFormatError("no score rows" + (f" for phase {phase}" if phase else ""))
    series = [df[names[c]] for c in COLUMNS]
    labels = [_frame_text(s, nw)[idx] for s in series[:3]]
    score = series[3]
    if score.dtype.is_numeric():
        values = score.cast(nw.Float64).to_numpy().astype(float)
        values[score.is_null().to_numpy().astype(bool)] = np.nan
        scores = _finite(values[idx], _LazyRaw(score, idx))
    else:
        values = score.cast(nw.String).to_numpy()
        scores = _parse_scores(np.asarray(values, dtype=object)[idx], _LazyRaw(score, idx))
    return _assemble(labels, scores, rows[idx], lambda i, c: _native(series[c], int(idx[i])))


def _frame_text(series, nw) -> np.ndarray:
    """Return a column as stripped text ('' for a null)."""
    text = series.cast(nw.String).fill_null("").to_numpy()
    return np.char.strip(np.asarray(text, dtype=object).astype(str))


def _native(series, i: int):
    """Return the value of row ``i`` as a plain Python object (for messages)."""
    value = series.to_numpy()[i]
    return value.item() if isinstance(value, np.generic) else value


class _LazyRaw:
    """The values as written of a frame column, fetched only when a message needs one."""

    def __init__(self, series, idx: np.ndarray) -> None:
        self.series, self.idx = series, idx

    def __getitem__(self, i: int):
        return _native(self.series, int(self.idx[i]))


def _is_frame(obj) -> bool:
    """Return whether ``obj`` looks like a DataFrame rather than an iterable of records."""
    return any(hasattr(obj, name) for name in
               ("__narwhals_dataframe__", "__dataframe__", "__arrow_c_stream__"))
