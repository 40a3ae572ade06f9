"""Read candidate and examiner lists from CSV or XLSX and validate every row.

Nothing here touches the database: the result is a list of clean records and a list of
problems, each naming the spreadsheet row (header = row 1), the column and the reason.
``scoring.workflow.imports`` applies clean records in one transaction.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l

from ..models import NIK_MESSAGE, is_nik


@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be imported."""

    row: int | None
    column: str | None
    reason: object  # str or lazy string

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return (", ".join(where) + ": " if where else "") + str(self.reason)


@dataclass
class Parsed:
    """Validated records, keyed by the row they came from, and every problem found."""

    kind: str
    records: list[tuple[int, dict]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    # canonical column -> the header as the file spells it ("nama"), in the file's order
    headers: dict[str, str] = field(default_factory=dict)


class ImportFileError(ValueError):
    """The file cannot be read at all (format, encoding, no header)."""


# Canonical column -> accepted headers (lower-cased, spaces and dashes as underscores).
CANDIDATE_COLUMNS = {
    "participant_number": ("participant_number", "nomor_peserta", "no_peserta", "no_ujian"),
    "name": ("name", "nama", "nama_peserta"),
    "position": ("position", "jabatan", "formasi", "position_applied"),
    "nik": ("nik",),
    "panel": ("panel",),
    "order": ("order", "urutan", "no_urut"),
}
CANDIDATE_REQUIRED = ("participant_number", "name")

EXAMINER_COLUMNS = {
    "username": ("username", "nama_pengguna", "user"),
    "full_name": ("full_name", "nama", "nama_lengkap", "name"),
    "role": ("role", "peran"),
    "nip": ("nip",),
    "email": ("email", "surel"),
}
EXAMINER_REQUIRED = ("username", "full_name")
ROLE_WORDS = {
    "examiner": "examiner", "penguji": "examiner", "chair": "chair", "ketua": "chair",
    "ketua_panel": "chair", "ketua panel": "chair",
}

PARTICIPANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]{0,63}$")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
# str.isdigit() and \d accept "²" or "٣", which int() then rejects or reads: ASCII only.
ASCII_DIGITS = re.compile(r"[0-9]{1,9}")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Limits:
    """How much of an upload is read: rows (header included) and columns."""

    rows: int = 20_000
    columns: int = 50
    # Uncompressed size of the parts of an XLSX, as its ZIP directory declares them (the ZIP
    # reader never inflates a member past its declared size).
    xlsx_bytes: int = 200 * 1024 * 1024


DEFAULT_LIMITS = Limits()


def limits_from_config(config) -> Limits:
    """Return the import limits set by ``IMPORT_MAX_ROWS`` and ``IMPORT_MAX_COLUMNS``."""
    return Limits(rows=int(config.get("IMPORT_MAX_ROWS", DEFAULT_LIMITS.rows)),
                  columns=int(config.get("IMPORT_MAX_COLUMNS", DEFAULT_LIMITS.columns)))


def read_rows(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS,
              ) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return the header and the data rows (with spreadsheet row numbers) of a CSV or XLSX.

    Both readers stream and stop at ``limits``: a file with more rows or columns is refused
    with a message that names the limit, whatever size its sheet claims to have.
    """
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(data, limits)
    elif suffix in (".csv", ".txt", ""):
        rows = _csv_rows(data, limits)
    else:
        raise ImportFileError(_l("Unsupported file type %(s)s: use CSV or XLSX.", s=suffix))
    if not rows:
        raise ImportFileError(_l("The file is empty."))
    (_, header), body = rows[0], rows[1:]
    return [h.strip() for h in header], body


def _keep(number: int, row: list[str], rows: list, limits: Limits) -> None:
    """Append a non-blank row, refusing one past the row or column limit."""
    while row and not row[-1].strip():
        row.pop()  # trailing empty cells are not columns
    if not row:
        return
    if len(row) > limits.columns:
        raise ImportFileError(_l(
            "Row %(n)d has more than %(c)d columns; an import reads at most %(c)d columns.",
            n=number, c=limits.columns))
    if len(rows) >= limits.rows:
        raise ImportFileError(_l(
            "The file has more than %(r)d rows; split it into files of at most %(r)d rows.",
            r=limits.rows))
    rows.append((number, row))


def _csv_rows(data: bytes, limits: Limits) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _l("The file is not UTF-8 text (byte %(n)d); save it as CSV UTF-8.", n=exc.start)
        ) from exc
    first = text.split("\n", 1)[0]
    # Spreadsheets in Indonesian locales export with semicolons (the comma is the decimal mark).
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            _keep(reader.line_num, row, rows, limits)
    except csv.Error as exc:
        raise ImportFileError(_l("Line %(n)d: %(e)s", n=reader.line_num, e=str(exc))) from exc
    return rows


def _xlsx_rows(data: bytes, limits: Limits) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    _check_xlsx_size(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ImportFileError(_l("The XLSX file cannot be read: %(e)s", e=str(exc))) from exc
    rows: list[tuple[int, list[str]]] = []
    try:
        sheet = book.worksheets[0]
        # The declared dimension (e.g. A1:XFD20000) is a claim, not data: openpyxl would pad
        # every row to it. Forget it, read one column past the limit to notice a wider row.
        sheet.reset_dimensions()
        cells = sheet.iter_rows(max_col=limits.columns + 1, values_only=True)
        for number, row in enumerate(cells, start=1):
            if row.count(None) < len(row):  # blank rows (padding included) are skipped fast
                _keep(number, [_cell_text(v) for v in row], rows, limits)
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet part
        raise ImportFileError(_l("The XLSX file cannot be read: %(e)s", e=str(exc))) from exc
    finally:
        book.close()
    return rows


def _check_xlsx_size(data: bytes, limits: Limits) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ImportFileError(_l("The XLSX file cannot be read: %(e)s", e=str(exc))) from exc
    if declared > limits.xlsx_bytes:
        raise ImportFileError(_l(
            "The XLSX file unpacks to %(m)d MB; an import reads at most %(l)d MB.",
            m=declared // 2**20, l=limits.xlsx_bytes // 2**20))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # numbers typed into a spreadsheet come back as floats
    return str(value)


def _map_header(header: list[str], columns: dict, required: tuple, parsed: Parsed) -> dict:
    aliases = {alias: canon for canon, names in columns.items() for alias in names}
    index: dict[str, int] = {}
    for position, raw in enumerate(header):
        key = re.sub(r"[\s-]+", "_", raw.strip().lower())
        canon = aliases.get(key)
        if canon is None:
            parsed.problems.append(Problem(1, raw or f"#{position + 1}", _l(
                "Unknown column; expected one of: %(c)s", c=", ".join(columns))))
        elif canon in index:
            parsed.problems.append(Problem(1, raw, _l("Column appears twice.")))
        else:
            index[canon] = position
    for name in required:
        if name not in index:
            parsed.problems.append(Problem(1, name, _l("Required column is missing.")))
    parsed.columns = tuple(index)
    parsed.headers = {canon: header[position] for canon, position in index.items()}
    return index


def _parse(
    data: bytes, filename: str, kind: str, columns: dict, required: tuple,
    validate: Callable[[dict, Callable[[str, object], None]], dict | None], key: str,
    limits: Limits,
) -> Parsed:
    parsed = Parsed(kind)
    header, body = read_rows(data, filename, limits)
    index = _map_header(header, columns, required, parsed)
    if parsed.problems:
        return parsed
    seen: dict[str, int] = {}
    for number, row in body:
        values = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
        row_problems: list[Problem] = []

        def problem(column: str, reason, _n=number, _p=row_problems) -> None:
            _p.append(Problem(_n, column, reason))

        record = validate(values, problem)
        if record is not None and not row_problems:
            first = seen.setdefault(record[key], number)
            if first != number:
                problem(key, _l("Duplicate of row %(n)d.", n=first))
        parsed.problems.extend(row_problems)
        if not row_problems and record is not None:
            parsed.records.append((number, record))
    if not body:
        parsed.problems.append(Problem(None, None, _l("The file has a header but no rows.")))
    return parsed


def _validate_candidate(values: dict, problem) -> dict | None:
    number = values.get("participant_number", "")
    if not number:
        problem("participant_number", _l("Missing participant number."))
    elif not PARTICIPANT.match(number):
        problem("participant_number", _l("Use letters, digits, dots, slashes or dashes."))
    name = values.get("name", "")
    if not name:
        problem("name", _l("Missing name."))
    elif len(name) > 200:
        problem("name", _l("Longer than 200 characters."))
    nik = values.get("nik", "")
    if nik and not is_nik(nik):
        problem("nik", NIK_MESSAGE)
    order = values.get("order", "")
    if order and not (ASCII_DIGITS.fullmatch(order) and int(order) >= 1):
        problem("order", _l("The order must be a whole number from 1."))
    if order and not values.get("panel"):
        problem("panel", _l("An order needs a panel."))
    return {
        "participant_number": number,
        "name": name,
        "position": values.get("position", "")[:200],
        "nik": nik or None,
        "panel": values.get("panel") or None,
        "order": int(order) if ASCII_DIGITS.fullmatch(order) else None,
    }


def _validate_examiner(values: dict, problem) -> dict | None:
    username = values.get("username", "")
    if not USERNAME.match(username):
        problem("username", _l("2-64 letters, digits, dots, dashes or underscores."))
    if not values.get("full_name"):
        problem("full_name", _l("Missing name."))
    role_word = values.get("role", "").strip().lower() or "examiner"
    role = ROLE_WORDS.get(role_word)
    if role is None:
        problem("role", _l("Role must be examiner/penguji or chair/ketua."))
    nip = values.get("nip", "")
    if nip and not re.fullmatch(r"[0-9]{18}", nip):
        problem("nip", _l("A NIP has exactly 18 digits."))
    email = values.get("email", "")
    if email and not EMAIL.match(email):
        problem("email", _l("Not an e-mail address."))
    return {
        "username": username,
        "full_name": values.get("full_name", "")[:200],
        "role": role,
        "nip": nip or None,
        "email": email or None,
    }


def parse_candidates(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Validate a candidate list (participant number, name, position, NIK, panel, order)."""
    return _parse(data, filename, "candidates", CANDIDATE_COLUMNS, CANDIDATE_REQUIRED,
                  _validate_candidate, "participant_number", limits)


def parse_examiners(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Validate an examiner list (username, full name, role, NIP, e-mail)."""
    return _parse(data, filename, "examiners", EXAMINER_COLUMNS, EXAMINER_REQUIRED,
                  _validate_examiner, "username", limits)
