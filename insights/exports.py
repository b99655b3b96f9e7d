"""XLSX downloads of the tables on the insights pages (openpyxl, write-only mode).

A table is a title, column headings and rows of plain values. Text that a
spreadsheet would read as a formula (starting with = + - @, a tab or a carriage
return) is prefixed with an apostrophe, so a customer's comment such as
``=HYPERLINK(...)`` stays text (CSV/formula injection). Numbers stay numbers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE_LIMIT = 31


@dataclass(frozen=True)
class Table:
    """A table as shown on a page: its title, column headings and rows."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]


def neutralise(value: object) -> object:
    """Return ``value`` safe for a spreadsheet cell: formula-like text becomes plain text."""
    if value is None or isinstance(value, bool | int | float | date | datetime):
        if isinstance(value, float) and value != value:  # NaN: an empty cell
            return None
        return value
    text = str(value)
    # Control characters other than tab/newline are not allowed in XML cells.
    text = "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 32)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _sheet_title(title: str) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(title)).strip("'")
    return (cleaned or "Sheet")[:SHEET_TITLE_LIMIT]


def workbook_bytes(tables: Sequence[Table]) -> bytes:
    """Write each table to its own sheet (bold headings, frozen heading row); return XLSX bytes."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        title = _sheet_title(table.title)
        base, number = title, 2
        while title.lower() in used:
            suffix = f" ({number})"
            title = base[: SHEET_TITLE_LIMIT - len(suffix)] + suffix
            number += 1
        used.add(title.lower())
        sheet = workbook.create_sheet(title=title)
        sheet.freeze_panes = "A2"
        heading = []
        for header in table.headers:
            cell = WriteOnlyCell(sheet, value=neutralise(header))
            cell.font = Font(bold=True)
            heading.append(cell)
        sheet.append(heading)
        for row in table.rows:
            sheet.append([neutralise(value) for value in row])
    if not tables:
        workbook.create_sheet(title="Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
