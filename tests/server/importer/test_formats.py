"""The same data read from CSV, CSV.GZ and XLSX, under either header set, imports the same."""

from __future__ import annotations

import csv
import gzip
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from server.core.errors import InvalidInput
from server.importer.reader import read_source
from server.importer.service import import_online_retail
from tests.server.importer.conftest import HEADER, HEADER_II, SAMPLE, counts, write_csv

pytestmark = pytest.mark.usefixtures("small_batches")  # several commits even for small files


def _typed(row: list[str]) -> list[object]:
    """A row as Excel holds it: numbers as numbers, times as datetimes, empty cells as None."""
    invoice, sku, description, quantity, when, price, customer, country = row
    return [
        int(invoice) if invoice.isdigit() else invoice,
        int(sku) if sku.isdigit() else sku,
        description or None,
        int(quantity),
        datetime.fromisoformat(when),
        float(price),
        float(customer) if customer else None,
        country,
    ]


def test_csv_gz_imports_like_csv(engine: Engine, tmp_path: Path) -> None:
    plain = write_csv(tmp_path / "sample.csv", SAMPLE)
    packed = tmp_path / "sample.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    summary = import_online_retail(engine, packed)
    assert (summary.lines_read, summary.transactions_added, summary.rejected) == (12, 10, 0)
    assert counts(engine)["total_amount"] == import_total(tmp_path, plain)


def import_total(tmp_path: Path, path: Path) -> object:
    """The total amount one import of `path` stores in a fresh SQLite database."""
    from server.db import migrate
    from server.db.session import make_engine

    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    migrate.upgrade(other)
    import_online_retail(other, path)
    total = counts(other)["total_amount"]
    other.dispose()
    return total


def test_xlsx_with_two_sheets_and_the_online_retail_ii_header(engine: Engine, tmp_path: Path) -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "Year 2010-2011"
    first.append(HEADER_II)
    for row in SAMPLE[:6]:
        first.append(_typed(row))
    second = book.create_sheet("Year 2011-2012")
    second.append(HEADER_II)
    for row in SAMPLE[6:]:
        second.append(_typed(row))
    second.append(["536999", "85123A", "HEART", "many", datetime(2011, 9, 1, 9, 0), 2.55, 17850.0, "EIRE"])
    path = tmp_path / "online_retail_II.xlsx"
    book.save(path)

    rejects = tmp_path / "rejects.csv"
    summary = import_online_retail(engine, path, reject_path=rejects)
    assert (summary.lines_read, summary.transactions_added, summary.rejected) == (13, 10, 1)
    assert counts(engine)["total_amount"] == import_total(tmp_path, write_csv(tmp_path / "s.csv", SAMPLE))
    with rejects.open(newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["sheet", "line", "reason", "raw"],
            [
                "Year 2011-2012",
                "8",
                "quantity 'many' is not a number",
                "536999,85123A,HEART,many,2011-09-01 09:00:00,2.55,17850,EIRE",
            ],
        ]


def test_online_retail_ii_header_in_csv(engine: Engine, tmp_path: Path) -> None:
    summary = import_online_retail(engine, write_csv(tmp_path / "ii.csv", SAMPLE, header=HEADER_II))
    assert (summary.transactions_added, summary.members_added, summary.rejected) == (10, 2, 0)


def test_reader_keeps_raw_text_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    # A quoted description spanning two lines: the next record starts on line 4, not 3.
    path.write_bytes(
        (
            ",".join(HEADER) + "\r\n"
            '536365,85123A,"WHITE, HANGING\nHEART",6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\r\n'
            "\r\n"
            "536366,22633,HAND WARMER \xa3 JACK,6,2010-12-01 08:28:00,1.85,17850.0,United Kingdom\r\n"
        ).encode("cp1252")
    )
    table = read_source(path)
    assert [line for line, _ in table.records] == [2, 5]
    assert table.records[1][1][2] == "HAND WARMER \xa3 JACK"  # Windows-1252 export read as such
    assert (
        table.raw(0)
        == '536365,85123A,"WHITE, HANGING\nHEART",6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom'
    )


def test_slashed_dates_day_first_is_detected(tmp_path: Path, engine: Engine) -> None:
    rows = [
        ["1", "X", "THING", "1", "13/01/2011 9:05", "1.0", "", "United Kingdom"],
        ["2", "X", "THING", "1", "02/01/2011 9:05", "1.0", "", "United Kingdom"],
    ]
    import_online_retail(engine, write_csv(tmp_path / "uk.csv", rows))
    from sqlalchemy import select

    from server.db.tables import Transaction

    with engine.connect() as conn:
        times = sorted(t.isoformat() for t in conn.execute(select(Transaction.occurred_at)).scalars())
    assert times == ["2011-01-02T09:05:00+00:00", "2011-01-13T09:05:00+00:00"]


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_text("not a zip")
    with pytest.raises(InvalidInput, match="not a readable XLSX workbook"):
        read_source(path)
