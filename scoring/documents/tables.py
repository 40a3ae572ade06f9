"""Write tabular exports as CSV (UTF-8 with BOM, for spreadsheets) or XLSX.

Every cell goes through :func:`inert_cell` (CSV) or :func:`xlsx_cell` (XLSX), so a name,
position, panel name or reason that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return never becomes a live formula in the spreadsheet that opens the export (OWASP "CSV
injection"). Numbers stay numbers.

The app's exports follow the reader's language (:data:`CSV_STYLES`): in Indonesian a
semicolon between fields, a decimal comma and Indonesian column names (as a spreadsheet in an
Indonesian locale expects); in English a comma, a decimal point and English names. The first
row names the session and its date (:func:`title_row`); ``scoring stats`` reads both
(:func:`scoring.stats.read_long_csv`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Number

from ..rules.results import CandidateResult, by_position
from ..stats.longform import LONG_HEADERS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvStyle:
    """How a CSV separates fields and writes a decimal number."""

    delimiter: str
    decimal: str


CSV_STYLES = {"id": CsvStyle(";", ","), "en": CsvStyle(",", ".")}
# Column names of the exports in Indonesian (the keys are the English names); the long score
# columns are the reader's own (scoring.stats.longform.LONG_HEADERS).
HEADERS_ID = {
    **dict(zip(LONG_HEADERS["en"], LONG_HEADERS["id"], strict=True)),
    "position": "formasi", "position_rank": "peringkat_formasi", "rank": "peringkat_sesi",
    "participant_number": "nomor_peserta", "name": "nama", "panel": "panel",
    "order": "urutan", "status": "status", "submitted_sheets": "lembar_dikirim",
    "recused": "dikecualikan", "quorum": "kuorum", "computed_score": "nilai_rumus",
    "final_score": "nilai_akhir", "overridden": "diubah_ketua",
    "override_reason": "alasan_perubahan",
}
MEAN_PREFIX = {"en": "mean_", "id": "rerata_"}
# What a table export is sent as; Werkzeug adds "; charset=utf-8" to text/csv (once).
MIMETYPES = {"csv": "text/csv",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
YES_NO = {"en": ("yes", "no"), "id": ("ya", "tidak")}


def header_names(keys: Sequence[str], lang: str) -> list[str]:
    """Return the column names of ``keys`` (English names) in ``lang``."""
    if lang != "id":
        return list(keys)
    out = []
    for key in keys:
        if key.startswith(MEAN_PREFIX["en"]) and key not in HEADERS_ID:
            out.append(MEAN_PREFIX["id"] + key[len(MEAN_PREFIX["en"]):])
        else:
            out.append(HEADERS_ID.get(key, key))
    return out


def title_row(session, panel=None) -> list[str]:
    """Return an export's first row: the session, its date (ISO) and the panel, translated.

    Call it in the locale of the export (a request, or ``force_locale`` on the command line).
    """
    from flask_babel import gettext as _

    row = [_("Session"), session.code, session.name, _("Date"), session.held_on.isoformat()]
    if panel is not None:
        row += [_("Panel"), panel.name]
    return row


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


def csv_writer(buffer, decimal: str = ".", **kwargs):
    """Return a CSV writer whose ``writerow``/``writerows`` neutralise formula-like text.

    ``decimal`` "," writes a float with a decimal comma (with ``delimiter=";"``).
    """
    return _InertWriter(csv.writer(buffer, **kwargs), decimal)


def _decimal(value, decimal: str):
    if decimal != "." and isinstance(value, float):
        return repr(value).replace(".", decimal)
    return value


class _InertWriter:
    def __init__(self, writer, decimal: str = ".") -> None:
        self._writer = writer
        self._decimal = decimal

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow([_decimal(v, self._decimal) for v in inert_row(row)])

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


def table_bytes(header: Sequence[str], rows: Iterable[Sequence], fmt: str, *,
                lang: str = "en", title: Sequence | None = None) -> bytes:
    """Return ``rows`` under ``header`` as CSV or XLSX bytes.

    ``lang`` chooses the CSV style (:data:`CSV_STYLES`; XLSX cells are typed, so numbers
    stay numbers in any locale); ``title``, when given, is a first row above the header.
    """
    if fmt == "csv":
        style = CSV_STYLES.get(lang, CSV_STYLES["en"])
        buffer = io.StringIO(newline="")
        writer = csv_writer(buffer, decimal=style.decimal, delimiter=style.delimiter)
        if title is not None:
            writer.writerow(title)
        writer.writerow(header)
        writer.writerows(rows)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        if title is not None:
            sheet.append([xlsx_cell(sheet, v) for v in title])
        sheet.append([xlsx_cell(sheet, v) for v in header])
        for row in rows:
            sheet.append([xlsx_cell(sheet, v) for v in row])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    raise ValueError(f"fmt: expected 'csv' or 'xlsx', got {fmt!r}")


def results_table(results: list[CandidateResult], criteria: Sequence[str], lang: str = "en"):
    """Return the header and rows of a results export, with the formula's inputs.

    Rows are grouped by position applied for (formasi) and ranked within it
    (:func:`scoring.rules.results.by_position`), as appointments are made per position; the
    session-wide rank stays beside it. ``keys`` are the English column names
    (:func:`header_names` translates them); yes/no are in ``lang``, statuses in the current
    locale (call it in the export's locale).
    """
    keys = ["position", "position_rank", "participant_number", "name", "rank", "panel",
            "order", "status", "submitted_sheets", "recused", "quorum",
            *[f"mean_{c}" for c in criteria],
            "computed_score", "final_score", "overridden", "override_reason"]
    from ..i18n import result_status

    yes, no = YES_NO.get(lang, YES_NO["en"])
    rows = [
        [r.position_applied, r.position_rank or "", r.participant_number, r.name,
         r.rank or "", r.panel, r.order, result_status(r.status), r.submitted, r.recused,
         r.quorum,
         *[r.criterion_means.get(c, "") for c in criteria],
         "" if r.computed_score is None else r.computed_score,
         "" if r.final_score is None else r.final_score,
         yes if r.overridden else no, r.override_reason or ""]
        for r in by_position(results)
    ]
    return keys, rows


def long_rows(rows: Iterable[Sequence]) -> list[list]:
    """Return long score rows with a hidden candidate's state in the current locale."""
    from ..i18n import result_status

    return [[*row[:5], result_status(row[5]) if row[5] else ""] for row in rows]


def session_table(keys: Sequence[str], rows: Iterable[Sequence], fmt: str, lang: str,
                  session, panel=None) -> bytes:
    """Return an export of ``session`` (or one panel) in ``lang``: the title row naming the
    session and its date, the column names in ``lang``, then ``rows``."""
    return table_bytes(header_names(keys, lang), rows, fmt, lang=lang,
                       title=title_row(session, panel))
