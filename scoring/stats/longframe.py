"""Long score data from a DataFrame (pandas, polars, pyarrow, ...) through narwhals."""

from __future__ import annotations

import numpy as np

from ._long_columns import (
    COLUMNS,
    PHASES,
    LongArrays,
    LongFormatError,
    _assemble,
    _finite,
    _parse_scores,
)

__all__ = ["read_long_frame"]


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
