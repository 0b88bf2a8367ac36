"""Small Online Retail files written by the tests, and read-backs of what the importer stored."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from server.db.tables import Member, Product, Store, Transaction, TransactionLine
from server.importer import service

HEADER = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
HEADER_II = [
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
]
UK = "United Kingdom"

# A hand-made file: two customers in two countries, an anonymous sale, a cancellation, a discount,
# a stock write-off and a bad-debt adjustment. Line 1 is the header, so the first row is line 2.
SAMPLE: list[list[str]] = [
    [
        "536365",
        "85123A",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "6",
        "2010-12-01 08:26:00",
        "2.55",
        "17850.0",
        UK,
    ],
    ["536365", "71053", "WHITE METAL LANTERN", "6", "2010-12-01 08:26:00", "3.39", "17850.0", UK],
    ["536365", "22752", "SET 7 BABUSHKA NESTING BOXES", "2", "2010-12-01 08:27:00", "7.65", "17850.0", UK],
    ["536366", "22633", "HAND WARMER UNION JACK", "6", "2010-12-01 08:28:00", "1.85", "17850.0", UK],
    [
        "536367",
        "84879",
        "ASSORTED COLOUR BIRD ORNAMENT",
        "32",
        "2010-12-01 08:34:00",
        "1.69",
        "13047.0",
        "France",
    ],
    ["536368", "POST", "POSTAGE", "1", "2010-12-01 08:34:00", "18.0", "13047.0", "France"],
    [
        "536369",
        "85123A",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "12",
        "2011-06-01 10:00:00",
        "2.95",
        "13047.0",
        UK,
    ],
    ["536370", "22139", "RETROSPOT TEA SET CERAMIC 11 PC", "3", "2010-12-02 09:00:00", "4.95", "", UK],
    [
        "C536371",
        "85123A",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "-2",
        "2010-12-01 09:00:00",
        "2.55",
        "17850.0",
        UK,
    ],
    ["C536372", "D", "Discount", "-1", "2010-12-01 09:05:00", "1.5", "17850.0", UK],
    ["536373", "85123A", "damaged", "-10", "2010-12-03 10:00:00", "0.0", "", UK],
    ["A563185", "B", "Adjust bad debt", "1", "2011-08-12 14:50:00", "11062.06", "", UK],
]


def write_csv(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    """Write an Online Retail CSV with `rows` under the classic header."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(header or HEADER)
        out.writerows(rows)
    return path


def counts(engine: Engine) -> dict[str, Any]:
    """Rows per table and the money totals, to compare two imports."""
    with engine.connect() as conn:
        count: dict[str, Any] = {
            t.__tablename__: conn.scalar(select(func.count()).select_from(t))
            for t in (Store, Product, Member)
        }
        count["transactions"] = conn.scalar(select(func.count()).select_from(Transaction))
        count["lines"] = conn.scalar(select(func.count()).select_from(TransactionLine))
        amounts = conn.execute(select(TransactionLine.amount)).scalars().all()
        count["line_amount"] = sum(amounts)
        totals = conn.execute(select(Transaction.total_amount)).scalars().all()
        count["total_amount"] = sum(totals)
        count["linked_lines"] = conn.scalar(
            select(func.count())
            .select_from(TransactionLine)
            .where(TransactionLine.original_line_id.is_not(None))
        )
        count["linked_transactions"] = conn.scalar(
            select(func.count())
            .select_from(Transaction)
            .where(Transaction.original_transaction_id.is_not(None))
        )
    return count


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commit every few lines, so the small files still go through several batches."""
    monkeypatch.setattr(service, "BATCH_LINES", 3)


def synthetic_rows(invoices: int = 40, seed: int = 7) -> list[list[str]]:
    """A season of sales by a few members, with cancellations of earlier lines and anonymous sales."""
    import random
    from datetime import datetime, timedelta

    rng = random.Random(seed)
    skus = ["85123A", "71053", "22752", "22633", "84879", "POST"]
    start = datetime(2011, 3, 1, 9, 0)
    rows: list[list[str]] = []
    sold: list[tuple[str, str, int]] = []  # (customer, sku, quantity) of earlier lines
    for n in range(invoices):
        when = (start + timedelta(hours=7 * n)).strftime("%Y-%m-%d %H:%M:%S")
        if sold and n % 4 == 3:
            customer, sku, quantity = rng.choice(sold)
            rows.append(
                [f"C{580000 + n}", sku, "ITEM", str(-rng.randint(1, quantity)), when, "1.25", customer, UK]
            )
            continue
        customer = "" if n % 5 == 4 else f"{12000 + rng.randint(0, 4)}.0"
        for _ in range(rng.randint(1, 4)):
            sku, quantity = rng.choice(skus), rng.randint(1, 24)
            rows.append([str(580000 + n), sku, f"ITEM {sku}", str(quantity), when, "1.25", customer, UK])
            if customer:
                sold.append((customer, sku, quantity))
    return rows
