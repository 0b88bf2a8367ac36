"""Read purchase lines from a CSV (or CSV.GZ) into compact integer-coded arrays plus item texts.

Two layouts are recognised by their header row:

* the UCI Online Retail layout (``InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,
  CustomerID,Country``; the Online Retail II spelling ``Invoice``/``Price``/``Customer ID`` too);
  cancellations, non-positive quantities, anonymous sales and non-merchandise codes (postage,
  fees, discounts, manual lines, gift vouchers) are left out and counted;
* a plain ``user,basket,date,item[,text]`` layout where every line is one purchased item. The basket
  column is checked for presence only: the protocol forms baskets per member and date.

A structural fault (wrong number of fields, unknown header) raises `DataFormatError` naming the line.
A data-quality fault on one line (a non-numeric quantity, an unreadable date, an empty item code) skips
that line and is reported in `LoadReport.issues` with the line numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ONLINE_RETAIL_CREDIT = "Online Retail (Chen, Sain & Guo 2012, UCI, CC BY 4.0)"
ONLINE_RETAIL = "online-retail"
PLAIN = "plain"

# Postage, fees, discounts, manual adjustments, samples, charity and vouchers: not merchandise.
NON_MERCHANDISE = frozenset(
    {"POST", "D", "M", "DOT", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "S", "B", "C2", "ADJUST"}
)
NON_MERCHANDISE_PREFIXES = ("GIFT_", "ADJUST")

_RETAIL_COLUMNS = {
    "invoice": ("invoiceno", "invoice"),
    "item": ("stockcode",),
    "text": ("description",),
    "quantity": ("quantity",),
    "date": ("invoicedate",),
    "user": ("customerid", "customer id"),
}
_PLAIN_COLUMNS = ("user", "basket", "date", "item")


class DataFormatError(ValueError):
    """The file cannot be read as purchase lines; the message names the file and line."""


@dataclass
class LoadReport:
    """What was read, what was left out on purpose, and which lines had data-quality faults."""

    layout: str
    lines: int = 0
    kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    issues: dict[str, list[int]] = field(default_factory=dict)

    @property
    def credit(self) -> str | None:
        """The attribution line owed for the data set, when it is a known public one."""
        return ONLINE_RETAIL_CREDIT if self.layout == ONLINE_RETAIL else None

    def add_issue(self, reason: str, line: int) -> None:
        """Record one skipped line with a data-quality fault."""
        self.issues.setdefault(reason, []).append(line)


@dataclass(frozen=True)
class Transactions:
    """Purchase lines as parallel int32 arrays coded against sorted user and item id arrays."""

    user: np.ndarray  # index into user_ids
    day: np.ndarray  # proleptic Gregorian ordinal of the purchase date
    item: np.ndarray  # index into item_ids
    user_ids: np.ndarray  # str, sorted
    item_ids: np.ndarray  # str, sorted
    item_texts: np.ndarray  # str, the first description seen for each item ("" when none)
    report: LoadReport


def normalize_user_id(raw: str) -> str:
    """Canonical member id: trimmed, with the float suffix of a spreadsheet export ("17850.0") removed."""
    value = raw.strip()
    if value.endswith(".0") and value[:-2].isdigit():
        return value[:-2]
    return value


def is_merchandise(code: str) -> bool:
    """False for Online Retail's postage, fee, discount, manual and voucher codes."""
    upper = code.upper()
    return upper not in NON_MERCHANDISE and not upper.startswith(NON_MERCHANDISE_PREFIXES)


class _Dates:
    """Parses the date part of ISO ("2010-12-01 08:26:00") or US ("12/1/2010 8:26") stamps, cached."""

    def __init__(self) -> None:
        self._cache: dict[str, int] = {}

    def ordinal(self, stamp: str) -> int | None:
        part = stamp.strip().split(" ", 1)[0].split("T", 1)[0]
        found = self._cache.get(part)
        if found is None:
            try:
                if "/" in part:
                    month, day, year = (int(x) for x in part.split("/"))
                    found = dt.date(year, month, day).toordinal()
                else:
                    found = dt.date.fromisoformat(part).toordinal()
            except ValueError:
                return None
            self._cache[part] = found
        return found


def _open_text(path: Path) -> io.TextIOBase:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace", newline="")
    return path.open("r", encoding="utf-8", errors="replace", newline="")


def _layout(header: list[str], path: Path) -> tuple[str, dict[str, int]]:
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    retail: dict[str, int] = {}
    for key, aliases in _RETAIL_COLUMNS.items():
        for alias in aliases:
            if alias in names:
                retail[key] = names.index(alias)
                break
    if len(retail) == len(_RETAIL_COLUMNS):
        return ONLINE_RETAIL if names[retail["invoice"]] == "invoiceno" else "online-retail-ii", retail
    if tuple(names[:4]) == _PLAIN_COLUMNS and len(names) in (4, 5):
        plain = {key: i for i, key in enumerate(_PLAIN_COLUMNS)}
        if len(names) == 5:
            if names[4] != "text":
                raise DataFormatError(f"{path}: line 1: fifth column must be 'text', not {header[4]!r}")
            plain["text"] = 4
        return PLAIN, plain
    raise DataFormatError(
        f"{path}: line 1: unrecognised header {','.join(header)!r}; expected the Online Retail columns "
        "(InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country) "
        "or user,basket,date,item[,text]"
    )


def load_transactions(path: str | Path) -> Transactions:
    """Read an Online Retail or plain user,basket,date,item[,text] file (CSV or gzip) into arrays."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file")
    users: dict[str, int] = {}
    items: dict[str, int] = {}
    texts: dict[int, str] = {}
    u_col: list[int] = []
    d_col: list[int] = []
    i_col: list[int] = []
    dates = _Dates()
    try:
        with _open_text(path) as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise DataFormatError(f"{path}: the file is empty")
            layout, cols = _layout(header, path)
            report = LoadReport(layout=layout)
            width = len(header)
            retail = layout != PLAIN
            c_user, c_item, c_date = cols["user"], cols["item"], cols["date"]
            c_text = cols.get("text", -1)
            c_qty = cols.get("quantity", -1)
            c_inv = cols.get("invoice", -1)
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                report.lines += 1
                if len(row) != width:
                    raise DataFormatError(f"{path}: line {line}: expected {width} fields, found {len(row)}")
                user = normalize_user_id(row[c_user])
                if not user:
                    report.skipped["anonymous sale"] += 1
                    continue
                code = row[c_item].strip()
                if not code:
                    report.add_issue("empty item code", line)
                    continue
                if retail:
                    try:
                        quantity = float(row[c_qty])
                    except ValueError:
                        report.add_issue("non-numeric quantity", line)
                        continue
                    if row[c_inv].strip().upper().startswith("C") or quantity <= 0:
                        report.skipped["cancellation or return"] += 1
                        continue
                    if not is_merchandise(code):
                        report.skipped["non-merchandise code"] += 1
                        continue
                day = dates.ordinal(row[c_date])
                if day is None:
                    report.add_issue("unreadable date", line)
                    continue
                item = items.setdefault(code, len(items))
                if c_text >= 0 and item not in texts and row[c_text].strip():
                    texts[item] = row[c_text].strip()
                u_col.append(users.setdefault(user, len(users)))
                d_col.append(day)
                i_col.append(item)
    except (OSError, EOFError, csv.Error) as exc:
        raise DataFormatError(f"{path}: cannot read the file: {exc}") from exc
    report.kept = len(u_col)
    return _encode(users, items, texts, u_col, d_col, i_col, report)


def _sorted_codes(ids: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted id array and the map from first-seen code to sorted position."""
    names = np.array(list(ids), dtype=str)
    order = np.argsort(names, kind="stable")
    remap = np.empty(len(names), dtype=np.int32)
    remap[order] = np.arange(len(names), dtype=np.int32)
    return names[order], remap


def _encode(
    users: dict[str, int],
    items: dict[str, int],
    texts: dict[int, str],
    u_col: list[int],
    d_col: list[int],
    i_col: list[int],
    report: LoadReport,
) -> Transactions:
    user_ids, user_map = _sorted_codes(users)
    item_ids, item_map = _sorted_codes(items)
    item_texts = np.full(len(item_ids), "", dtype=object)
    for code, text in texts.items():
        item_texts[item_map[code]] = text
    return Transactions(
        user=user_map[np.asarray(u_col, dtype=np.int64)] if u_col else np.zeros(0, np.int32),
        day=np.asarray(d_col, dtype=np.int32),
        item=item_map[np.asarray(i_col, dtype=np.int64)] if i_col else np.zeros(0, np.int32),
        user_ids=user_ids,
        item_ids=item_ids,
        item_texts=item_texts.astype(str) if len(item_texts) else np.zeros(0, dtype=str),
        report=report,
    )


def read_user_ids(path: str | Path) -> list[str]:
    """Member ids listed one per line (blank lines and '#' comments ignored), normalised."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot read the file: {exc}") from exc
    found: list[str] = []
    for number, raw in enumerate(lines, start=1):
        value = raw.strip()
        if not value or value.startswith("#"):
            continue
        if "," in value or " " in value or "\t" in value:
            raise DataFormatError(f"{path}: line {number}: expected one member id per line, found {raw!r}")
        found.append(normalize_user_id(value))
    return found
