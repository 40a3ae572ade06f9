"""Long columns parsed: the error naming row and column, scores from text, labels to codes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

COLUMNS = ("candidate", "examiner", "criterion", "score")
PHASES = ("pre", "post")


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


class LongFormatError(ValueError):
    """A bad long record; ``row`` (1-based, the CSV header is row 1) and ``column`` say where."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.message = message
        self.row = row
        self.column = column


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


def _parse_scores(values: np.ndarray, raw=None) -> tuple[np.ndarray, int | None, str | None]:
    """Return (scores, index of the first bad one or None, its message).

    ``values`` holds stripped strings (bytes or str: empty is missing) or Python objects
    (None, numbers, strings); ``raw`` the values as written, for the messages.
    """
    if values.dtype.kind in "SU":
        empty = values == values.dtype.type()
        out = np.full(values.size, np.nan)
        try:
            out[~empty] = _whole_numbers(values[~empty])
        except ValueError:
            values = values.astype(object)  # a decimal comma or a bad value: the slow way
        else:
            return _finite(out, raw if raw is not None else values)
    out = np.empty(values.size)
    for i, v in enumerate(values.tolist()):
        try:
            out[i] = _score(v.decode() if isinstance(v, bytes) else v, None)
        except LongFormatError:
            shown = raw[i] if raw is not None else v
            try:
                _score(shown if not isinstance(shown, bytes) else shown.decode(), None)
            except LongFormatError as exc:
                return out, i, exc.message
            return out, i, f"score {shown!r} is not a number"
    return _finite(out, raw if raw is not None else values)


def _whole_numbers(values: np.ndarray) -> np.ndarray:
    """Return string scores as floats; plain digits (the usual levels) without a float parse."""
    if values.dtype.kind == "S" and values.size:
        width = values.dtype.itemsize
        digits = values.view(np.uint8).reshape(-1, width).astype(np.int64) - 48
        pad = digits == -48  # the zero bytes after a shorter value
        if ((digits >= 0) & (digits <= 9) | pad).all() and not pad[:, 0].any():
            out = np.zeros(values.size)
            for k in range(width):
                out = np.where(pad[:, k], out, out * 10 + digits[:, k])
            return out
    return values.astype(np.float64)


def _finite(out: np.ndarray, raw) -> tuple[np.ndarray, int | None, str | None]:
    bad = np.flatnonzero(np.isinf(out))
    if not bad.size:
        return out, None, None
    i = int(bad[0])
    shown = raw[i].decode() if isinstance(raw[i], bytes) else raw[i]
    return out, i, f"score {shown!r} is not finite"


def _codes(labels: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Return integer codes in order of first appearance, and the labels in that order.

    Long files usually hold each candidate's (and examiner's) rows together: the distinct
    labels of the runs of equal labels are coded then repeated, a much smaller sort.
    """
    n = labels.size
    if n > 1:
        start = np.flatnonzero(np.concatenate(([True], labels[1:] != labels[:-1])))
        if start.size <= n // 4:
            run_codes, names = _codes_sorted(labels[start])
            return np.repeat(run_codes, np.diff(np.append(start, n))), names
    return _codes_sorted(labels)


def _codes_sorted(labels: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Return :func:`_codes` by sorting every label."""
    keys = labels
    if labels.dtype.kind == "S" and labels.dtype.itemsize <= 8:
        # short labels compare as 8-byte integers: sorting those is several times faster
        padded = np.zeros(labels.size, dtype="S8")
        padded[:] = labels
        keys = padded.view(np.uint64)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    names = labels[first[order]].tolist()
    return rank[inverse.ravel()], tuple(n.decode("utf-8") if isinstance(n, bytes) else n
                                        for n in names)


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
