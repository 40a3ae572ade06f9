"""Write tabular exports as CSV (UTF-8 with BOM, for spreadsheets) or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from .results import CandidateResult


def table_bytes(header: Sequence[str], rows: Iterable[Sequence], fmt: str) -> bytes:
    """Return ``rows`` under ``header`` as CSV or XLSX bytes."""
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
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
