"""Reading purchase files: both layouts, what is left out, and errors that name the line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from models.data import ONLINE_RETAIL_CREDIT, DataFormatError, load_transactions, read_user_ids

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
RETAIL = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom",
    "536366,POST,POSTAGE,1,2010-12-01 08:28:00,18.0,17850.0,United Kingdom",
    "C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,2010-12-01 09:41:00,2.55,17850.0,United Kingdom",
    "536380,71053,WHITE METAL LANTERN,2,2010-12-02 09:41:00,3.39,,United Kingdom",
    "536381,gift_0001_20,DOTCOMGIFT VOUCHER,1,2010-12-02 09:41:00,17.0,12583.0,France",
    "536382,22728,ALARM CLOCK BAKELIKE PINK,lots,12/2/2010 10:00,3.75,12583.0,France",
    "536383,22728,ALARM CLOCK BAKELIKE PINK,24,12/2/2010 10:00,3.75,12583.0,France",
    "536384,22727,ALARM CLOCK BAKELIKE RED,24,not a date,3.75,12583.0,France",
]


def write(tmp_path: Path, name: str, lines: list[str], gz: bool = False) -> Path:
    path = tmp_path / name
    text = "\n".join(lines) + "\n"
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def test_online_retail_layout(tmp_path: Path) -> None:
    tx = load_transactions(write(tmp_path, "retail.csv.gz", [HEADER, *RETAIL], gz=True))
    assert tx.user_ids.tolist() == ["12583", "17850"]
    assert tx.item_ids.tolist() == ["22728", "71053", "85123A"]
    assert tx.item_texts.tolist()[0] == "ALARM CLOCK BAKELIKE PINK"
    assert len(tx.user) == 3
    report = tx.report
    assert report.credit == ONLINE_RETAIL_CREDIT
    assert report.lines == 9
    assert dict(report.skipped) == {
        "non-merchandise code": 2,
        "cancellation or return": 1,
        "anonymous sale": 1,
    }
    # header is line 1: the non-numeric quantity is on line 8, the unreadable date on line 10
    assert report.issues == {"non-numeric quantity": [8], "unreadable date": [10]}
    # the US date format of the original spreadsheet export reads as the same calendar day
    assert sorted(set(tx.day.tolist()))[1] - sorted(set(tx.day.tolist()))[0] == 1


def test_plain_layout_with_texts(tmp_path: Path) -> None:
    path = write(tmp_path, "plain.csv", ["user,basket,date,item,text", "m1,b1,2024-03-01,sku9,Blue mug"])
    tx = load_transactions(path)
    assert (tx.user_ids.tolist(), tx.item_ids.tolist(), tx.item_texts.tolist()) == (
        ["m1"],
        ["sku9"],
        ["Blue mug"],
    )
    assert tx.report.credit is None


def test_wrong_field_count_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", ["user,basket,date,item", "m1,b1,2024-03-01,sku9", "m1,b1,2024-03-01"])
    with pytest.raises(DataFormatError, match=r"line 3: expected 4 fields, found 3"):
        load_transactions(path)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "empty"),
        (["customer;item"], "line 1: unrecognised header"),
        (["user,basket,date,item,colour"], "line 1: fifth column must be 'text'"),
    ],
)
def test_unreadable_files(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "f.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(DataFormatError, match=message):
        load_transactions(path)
    with pytest.raises(DataFormatError, match="no such file"):
        load_transactions(tmp_path / "missing.csv")


def test_read_user_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "ids.txt", ["# test members", "17850.0", "", " 12583 "])
    assert read_user_ids(path) == ["17850", "12583"]
    bad = write(tmp_path, "bad.txt", ["17850", "12583,13047"])
    with pytest.raises(DataFormatError, match="line 2"):
        read_user_ids(bad)
