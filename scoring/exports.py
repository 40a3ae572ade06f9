"""Write tabular exports as CSV (UTF-8 with BOM, for spreadsheets) or XLSX.

Every cell goes through :func:`inert_cell` (CSV) or :func:`xlsx_cell` (XLSX), so a name,
position, panel name or reason that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return never becomes a live formula in the spreadsheet that opens the export (OWASP "CSV
injection"). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from numbers import Number

from .results import CandidateResult

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value):
    """Return ``value`` for a CSV cell: text that a spreadsheet would run gets a leading ``'``."""
    if isinstance(value, Number) or value is None:
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def inert_row(row: Iterable) -> list:
    """Return ``row`` with every cell made inert for CSV."""
    return [inert_cell(v) for v in row]


def csv_writer(buffer, **kwargs):
    """Return a CSV writer whose ``writerow``/``writerows`` neutralise formula-like text."""
    return _InertWriter(csv.writer(buffer, **kwargs))


class _InertWriter:
    def __init__(self, writer) -> None:
        self._writer = writer

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow(inert_row(row))

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def xlsx_cell(sheet, value):
    """Return a write-only XLSX cell for ``value``: text is always a string, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, bool) or value is None or (
            isinstance(value, Number) and not isinstance(value, complex)):
        return WriteOnlyCell(sheet, value=value)
    cell = WriteOnlyCell(sheet, value=str(value))
    cell.data_type = "s"  # openpyxl would otherwise store text starting with "=" as a formula
    return cell


def table_bytes(header: Sequence[str], rows: Iterable[Sequence], fmt: str) -> bytes:
    """Return ``rows`` under ``header`` as CSV or XLSX bytes."""
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv_writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        sheet.append([xlsx_cell(sheet, v) for v in header])
        for row in rows:
            sheet.append([xlsx_cell(sheet, v) for v in row])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    raise ValueError(f"fmt: expected 'csv' or 'xlsx', got {fmt!r}")


def results_table(results: list[CandidateResult], criteria: Sequence[str]):
    """Return the header and rows of a ranked results export, with the formula's inputs."""
    header = ["rank", "participant_number", "name", "position", "panel", "order", "status",
              "submitted_sheets", "recused", "quorum",
              *[f"mean_{c}" for c in criteria],
              "computed_score", "final_score", "overridden", "override_reason"]
    rows = [
        [r.rank or "", r.participant_number, r.name, r.position_applied, r.panel, r.order,
         r.status, r.submitted, r.recused, r.quorum,
         *[r.criterion_means.get(c, "") for c in criteria],
         "" if r.computed_score is None else r.computed_score,
         "" if r.final_score is None else r.final_score,
         "yes" if r.overridden else "no", r.override_reason or ""]
        for r in results
    ]
    return header, rows
