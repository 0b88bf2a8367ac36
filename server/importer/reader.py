"""Read an Online Retail file (CSV, CSV.GZ or XLSX) into header-mapped text records with line numbers."""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from server.core.errors import InvalidInput, NotFound

# Canonical field -> the header spellings of "Online Retail" and "Online Retail II", normalised.
COLUMNS: dict[str, tuple[str, ...]] = {
    "invoice": ("invoiceno", "invoice"),
    "stock_code": ("stockcode",),
    "description": ("description",),
    "quantity": ("quantity",),
    "invoice_date": ("invoicedate",),
    "unit_price": ("unitprice", "price"),
    "customer": ("customerid",),
    "country": ("country",),
}
SUFFIXES = (".csv", ".csv.gz", ".xlsx")


@dataclass(frozen=True)
class Reject:
    """A source line that was not imported, and why."""

    line: int
    reason: str
    raw: str
    invoice: str = ""  # the invoice the line belongs to, when it could be read
    sheet: str = ""  # the worksheet, in a workbook with several


@dataclass
class SourceTable:
    """The records of the source (a CSV, or every worksheet of a workbook) as text fields."""

    name: str
    columns: dict[str, int]
    width: int
    # (line number in the file or worksheet, fields); blank lines are not records.
    records: list[tuple[int, list[str]]] = field(default_factory=list)
    # For a workbook: (index of the sheet's first record, sheet title), in record order.
    sheets: list[tuple[int, str]] = field(default_factory=list)
    _lines: list[str] = field(default_factory=list, repr=False)

    def raw(self, index: int) -> str:
        """Record `index` as it stands in the file (re-joined as CSV for a worksheet row)."""
        line, fields = self.records[index]
        if self._lines:
            reader = csv.reader(iter(self._lines[line - 1 :]))
            next(reader, None)
            return "".join(self._lines[line - 1 : line - 1 + reader.line_num]).rstrip("\r\n")
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(fields)
        return out.getvalue()

    def reject(self, index: int, reason: str, invoice: str = "") -> Reject:
        """A reject for record `index`, located by line number (and sheet, in a multi-sheet workbook)."""
        sheet = ""
        if len(self.sheets) > 1:
            sheet = next(title for start, title in reversed(self.sheets) if start <= index)
        return Reject(self.records[index][0], reason, self.raw(index), invoice, sheet)


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def map_header(header: list[str], where: str) -> dict[str, int]:
    """Canonical field -> column index for an Online Retail (or Online Retail II) header row."""
    found = {_normalise(str(name)): index for index, name in enumerate(header)}
    columns: dict[str, int] = {}
    missing: list[str] = []
    for canonical, spellings in COLUMNS.items():
        index = next((found[s] for s in spellings if s in found), None)
        if index is None:
            missing.append(spellings[0])
        else:
            columns[canonical] = index
    if missing:
        raise InvalidInput(
            f"{where}: line 1 is not an Online Retail header: missing {', '.join(missing)} "
            f"(found {', '.join(str(h) for h in header) or 'nothing'})"
        )
    return columns


def read_source(path: Path) -> SourceTable:
    """The tables of a CSV, CSV.GZ or XLSX Online Retail file; a clear error for anything else."""
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    name = path.name.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(path)
    if name.endswith(".csv.gz") or name.endswith(".gz"):
        with gzip.open(path, "rb") as handle:
            try:
                data = handle.read()
            except (OSError, EOFError) as exc:
                raise InvalidInput(f"{path}: not a readable gzip file ({exc})") from exc
        return _read_csv_bytes(data, path.name)
    if name.endswith(".csv"):
        return _read_csv_bytes(path.read_bytes(), path.name)
    raise InvalidInput(f"{path}: unsupported file type; expected one of {', '.join(SUFFIXES)}")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet exports of this data set are often Windows-1252 (the pound sign).
        return data.decode("cp1252", errors="replace")


def _read_csv_bytes(data: bytes, name: str) -> SourceTable:
    lines = io.StringIO(_decode(data), newline="").readlines()
    reader = csv.reader(lines)
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    append = records.append
    previous_end = 0
    try:
        for fields in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not fields:
                continue
            if header is None:
                header = fields
                continue
            append((start, fields))
    except csv.Error as exc:
        raise InvalidInput(f"{name}: line {previous_end + 1}: unreadable CSV ({exc})") from exc
    if header is None:
        raise InvalidInput(f"{name}: the file is empty")
    return SourceTable(name, map_header(header, name), len(header), records, _lines=lines)


def _cell_text(value: Any) -> str:
    """A worksheet cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.microsecond >= 500_000:  # Excel stores times as fractions of a day
            value += timedelta(seconds=1)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)  # floats print as the CSV exports hold them: 2.55, 17850.0


def _read_xlsx(path: Path) -> SourceTable:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError or its own errors for a bad file
        raise InvalidInput(f"{path}: not a readable XLSX workbook ({exc})") from exc
    table: SourceTable | None = None
    try:
        for sheet in book.worksheets:
            table = _read_sheet(sheet, path.name, table)
    finally:
        book.close()
    if table is None:
        raise InvalidInput(f"{path}: the workbook has no rows")
    return table


def _read_sheet(sheet: Any, name: str, table: SourceTable | None) -> SourceTable | None:
    """Append a worksheet's rows to `table` (Online Retail II splits its years over two sheets)."""
    header_seen = False
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        # Read-only sheets pad rows to the sheet's width; trailing empty cells are not fields.
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        if not cells:
            continue
        fields = [_cell_text(value) for value in cells]
        if not header_seen:
            header_seen = True
            columns = map_header(fields, f"{name} sheet {sheet.title!r}")
            if table is None:
                table = SourceTable(name, columns, len(fields))
            elif columns != table.columns:
                raise InvalidInput(f"{name}: sheet {sheet.title!r} orders its columns differently")
            table.sheets.append((len(table.records), sheet.title))
            continue
        assert table is not None
        if len(fields) < table.width:
            fields += [""] * (table.width - len(fields))  # empty cells at the end of a row
        table.records.append((number, fields))
    return table
