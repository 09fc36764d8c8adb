"""The referral report as files a spreadsheet opens right: XLSX with numeric cells and number formats, and CSV
in the reader's convention (nb: `;` between fields and a decimal comma, as Norwegian Excel expects; en: `,` and a
point), UTF-8 with a BOM so æøå survive. Text that a spreadsheet would run as a formula is defused in both."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

Value = str | int | float | None
# A cell starting with one of these is a formula (or DDE) to Excel, LibreOffice and Google Sheets (OWASP's
# "CSV injection"): a leading apostrophe makes it text and is not shown.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    """A header and rows; `percent_items` names the rows (by their second cell) whose numbers are percentages
    given as 0 to 100."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Value]]
    percent_items: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Convention:
    delimiter: str
    decimal: str


CONVENTIONS = {"nb": Convention(";", ","), "en": Convention(",", ".")}


def defuse(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_cell(value: Value, convention: Convention) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(value).replace(".", convention.decimal)  # 60.0 stays "60.0", as the page shows it
    if isinstance(value, int):
        return str(value)
    return defuse(value)


def to_csv(table: Table, language: str) -> bytes:
    convention = CONVENTIONS.get(language, CONVENTIONS["en"])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=convention.delimiter, lineterminator="\r\n")
    writer.writerow([_csv_cell(v, convention) for v in table.header])
    for row in table.rows:
        writer.writerow([_csv_cell(v, convention) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = table.title[:31]  # Excel's limit for a sheet name
    _append(sheet, table.header, bold=True)
    for row in table.rows:
        cells = _append(sheet, row)
        if len(row) > 1 and row[1] in table.percent_items:
            for cell in cells:
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    cell.value = cell.value / 100
                    cell.number_format = "0.0%"
        else:
            for cell in cells:
                if isinstance(cell.value, float):
                    cell.number_format = "0.0"
    sheet.freeze_panes = "A2"
    for column, width in (("A", 28), ("B", 34)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _append(sheet: Any, values: Iterable[Value], bold: bool = False) -> list[Any]:
    """One row; text is always stored as text (openpyxl would take "=…" for a formula)."""
    sheet.append(list(values))  # type: ignore[attr-defined]
    cells = list(sheet[sheet.max_row])
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)
    return cells
