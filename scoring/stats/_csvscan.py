"""Vectorised reading of a plain CSV: numpy over the file's bytes, no Python object per field.

The long score files are plain: no quotes, one record per line, the same number of fields on
every line. For those, every field boundary is found with one pass of numpy over the bytes and
each wanted column is gathered into a fixed-width bytes array (``S`` dtype), which
:mod:`scoring.stats.longform` turns into labels and scores without a per-row Python loop.
Anything else (a quote, a lone carriage return, a line with more fields than the header) is
left to the standard library's ``csv`` module by returning None.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

NEWLINE = 10
# bytes stripped around a field, as str.strip() does for ASCII (space, \t, \n, \v, \f, \r)
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 11, 12, 13, 32]] = True


@dataclass(frozen=True)
class Scan:
    """A plain CSV split into fields.

    ``header`` is the list of header fields (unstripped); ``rows`` the 1-based record number
    of every kept data line (the header is row 1; blank lines are skipped but counted);
    ``short`` the record numbers and field counts of lines with too few fields.
    """

    data: np.ndarray  # the file's bytes
    header: list[str]
    rows: np.ndarray
    starts: np.ndarray  # (n_rows, n_fields): first byte of each field
    ends: np.ndarray  # (n_rows, n_fields): one past the last byte
    short: tuple[tuple[int, int], ...]
    spaces: bool = True  # False: no space, tab, \v or \f anywhere, so no field to strip

    def column(self, j: int, strip: bool = True) -> np.ndarray:
        """Return field ``j`` of every row as a bytes array (whitespace stripped)."""
        s, e = self.starts[:, j].copy(), self.ends[:, j].copy()
        if strip and self.spaces:
            _strip(self.data, s, e)
        return _gather(self.data, s, e)

    def raw_column(self, j: int, idx: np.ndarray) -> _RawColumn:
        """Return field ``j`` of the kept rows ``idx`` as written, read only when indexed."""
        return _RawColumn(self, j, idx)

    def raw(self, i: int, j: int) -> str:
        """Return field ``j`` of kept row ``i`` exactly as written (for messages)."""
        return bytes(self.data[self.starts[i, j]:self.ends[i, j]]).decode("utf-8", "replace")


class _RawColumn:
    """One column's fields as written, decoded only when a message needs one."""

    def __init__(self, table: Scan, j: int, idx: np.ndarray) -> None:
        self.table, self.j, self.idx = table, j, idx

    def __getitem__(self, i: int) -> str:
        return self.table.raw(int(self.idx[i]), self.j)


def scan(raw: bytes, delimiter: str = ",") -> Scan | None:
    """Split ``raw`` (UTF-8, BOM removed) into fields; None if it needs the full CSV grammar.

    ``delimiter`` is one ASCII character: "," or, as spreadsheets write CSV in locales with a
    decimal comma (Indonesian), ";".
    """
    if b'"' in raw or raw.count(b"\r") != raw.count(b"\r\n"):
        return None
    if not raw.endswith(b"\n"):
        raw += b"\n"
    sep = ord(delimiter)
    b = np.frombuffer(raw, dtype=np.uint8)
    delim = np.flatnonzero((b == sep) | (b == NEWLINE))
    nl = np.flatnonzero(b[delim] == NEWLINE)  # positions in `delim` of each line's end
    first = np.empty_like(nl)  # position in `delim` of each line's first delimiter
    first[0], first[1:] = 0, nl[:-1] + 1
    n_commas = nl - first
    line_start = np.empty_like(nl)
    line_start[0], line_start[1:] = 0, delim[nl[:-1]] + 1
    header = bytes(b[: delim[nl[0]]]).decode("utf-8").rstrip("\r").split(delimiter)
    width = len(header)
    data_lines = np.arange(1, nl.size)
    regular = data_lines[n_commas[1:] == width - 1]
    odd = data_lines[n_commas[1:] != width - 1]
    short = []
    for line in odd.tolist():
        text = bytes(b[line_start[line]:delim[nl[line]]])
        if not text.replace(delimiter.encode(), b"").strip():
            continue  # a blank line: skipped, as the csv reader's caller does
        if n_commas[line] > width - 1:
            return None  # extra fields are allowed but need the general reader
        short.append((line + 1, int(n_commas[line]) + 1))
    fields = delim[first[regular][:, None] + np.arange(width)]  # each field's end
    starts = np.empty_like(fields)
    starts[:, 0] = line_start[regular]
    starts[:, 1:] = fields[:, :-1] + 1
    last = fields[:, -1]
    fields[:, -1] -= (last > starts[:, -1]) & (b[np.maximum(last - 1, 0)] == 13)  # CRLF
    # a regular line can still be blank (",,,,"): drop it like the csv path does. Inside
    # fields only space, tab, \v and \f can be stripped (a \r only ends a CRLF line)
    spaces = any(c in raw for c in (b" ", b"\t", b"\x0b", b"\x0c"))
    keep = ~_blank(b, starts, fields, spaces)
    return Scan(b, header, regular[keep] + 1, starts[keep], fields[keep], tuple(short), spaces)


def lower(values: np.ndarray) -> np.ndarray:
    """Return a bytes array with ASCII letters in lower case (str arrays: ``np.char.lower``)."""
    if values.dtype.kind != "S" or not values.size:
        return np.char.lower(values)
    codes = values.view(np.uint8)
    upper = (codes >= 65) & (codes <= 90)
    return np.where(upper, codes + 32, codes).astype(np.uint8).view(values.dtype)


def _blank(b: np.ndarray, starts: np.ndarray, ends: np.ndarray, spaces: bool) -> np.ndarray:
    """Return which rows have only empty (or whitespace) fields."""
    blank = np.ones(starts.shape[0], dtype=bool)
    for j in range(starts.shape[1]):
        s, e = starts[:, j].copy(), ends[:, j].copy()
        if spaces:
            _strip(b, s, e)
        blank &= e <= s
        if not blank.any():
            break
    return blank


def _strip(b: np.ndarray, s: np.ndarray, e: np.ndarray) -> None:
    """Move ``s`` and ``e`` inwards past whitespace (in place; usually no step at all)."""
    while True:
        move = (s < e) & _SPACE[b[np.minimum(s, b.size - 1)]]
        if not move.any():
            break
        s += move
    while True:
        move = (e > s) & _SPACE[b[np.maximum(e - 1, 0)]]
        if not move.any():
            break
        e -= move


def _gather(b: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Return the byte ranges [s, e) as a fixed-width bytes array.

    Rows of a read-only strided view of the bytes (row r = bytes r .. r + width − 1) are
    copied at once, then the bytes past each field's end are zeroed (the ``S`` dtype's
    padding).
    """
    length = e - s
    width = int(length.max()) if length.size else 0
    if width == 0:
        return np.zeros(s.size, dtype="S1")
    if int(s.max()) + width > b.size:
        b = np.concatenate([b, np.zeros(width, dtype=np.uint8)])
    rows = as_strided(b, shape=(b.size - width + 1, width), strides=(b.strides[0],) * 2,
                      writeable=False)
    block = rows[s]
    short = np.flatnonzero(length < width)
    if short.size:
        block[short] *= np.arange(width) < length[short, None]
    return block.view(f"S{width}").ravel()
