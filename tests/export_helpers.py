"""Read the app's CSV exports back in tests: the title row, then rows keyed by English names.

The exports follow the page's language (scoring.documents.tables.CSV_STYLES): Indonesian files use
";" and Indonesian column names, English files "," and English names. Values are left as
written (a decimal comma stays a comma).
"""

from __future__ import annotations

import csv
import io

from scoring.documents.tables import HEADERS_ID, MEAN_PREFIX

KEYS = {name: key for key, name in HEADERS_ID.items()}


def key_of(name: str) -> str:
    """Return the English column name of an export's column name in either language."""
    if name in KEYS:
        return KEYS[name]
    if name.startswith(MEAN_PREFIX["id"]):
        return MEAN_PREFIX["en"] + name[len(MEAN_PREFIX["id"]):]
    return name


def read_export(data) -> tuple[list[str], list[str], list[dict]]:
    """Return (title row, header as written, rows as dicts keyed by English names)."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    header_line = text.splitlines()[1]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    title, header = next(reader), next(reader)
    keys = [key_of(h) for h in header]
    return title, header, [dict(zip(keys, row, strict=True)) for row in reader]


def export_rows(response) -> list[dict]:
    """Return the rows of a CSV export response (status 200 checked)."""
    assert response.status_code == 200, response.status_code
    return read_export(response.data)[2]
