"""The Online Retail import on both databases: what it stores, links, keeps and records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from server.core.errors import InvalidInput, NotFound
from server.db.tables import ImportRun, Member, Product, Store, Transaction, TransactionLine
from server.importer.service import import_online_retail
from tests.server.importer.conftest import SAMPLE, UK, counts, write_csv

pytestmark = pytest.mark.usefixtures("small_batches")  # several commits even for small files


def _transactions(engine: Engine) -> dict[str, Transaction]:
    with engine.connect() as conn:
        rows = conn.execute(select(Transaction)).all()
    return {row.external_ref.split(":", 1)[1]: row for row in rows}


def test_hand_made_file(engine: Engine, tmp_path: Path) -> None:
    summary = import_online_retail(engine, write_csv(tmp_path / "sample.csv", SAMPLE))

    assert (summary.lines_read, summary.rejected, summary.reject_file) == (12, 0, None)
    assert (summary.transactions_added, summary.lines_added) == (10, 12)
    assert (summary.members_added, summary.products_added, summary.stores_added) == (2, 9, 2)
    assert counts(engine)["total_amount"] == Decimal("11239.83")

    txns = _transactions(engine)
    first = txns["536365"]
    assert first.occurred_at == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)  # the earlier of its two minutes
    assert (first.kind, first.total_amount, first.discount_amount) == ("sale", Decimal("50.94"), Decimal("0"))
    # Summer time: 10:00 in London is 09:00 UTC.
    assert txns["536369"].occurred_at == datetime(2011, 6, 1, 9, 0, tzinfo=UTC)
    assert txns["536370"].member_id is None and txns["536370"].kind == "sale"  # anonymous sale kept
    assert txns["C536372"].kind == "return"
    assert (txns["C536372"].total_amount, txns["C536372"].discount_amount) == (
        Decimal("-1.50"),
        Decimal("1.50"),
    )
    for adjustment in ("536373", "A563185"):
        assert txns[adjustment].kind == "adjustment" and txns[adjustment].member_id is None
    assert txns["A563185"].total_amount == Decimal("11062.06")

    with engine.connect() as conn:
        stores = {s.code: s for s in conn.execute(select(Store)).all()}
        members = {m.external_ref: m for m in conn.execute(select(Member)).all()}
        products = {p.sku: p for p in conn.execute(select(Product)).all()}
        run = conn.execute(select(ImportRun)).one()
    assert set(stores) == {"OR-UNITED-KINGDOM", "OR-FRANCE"}
    uk = stores["OR-UNITED-KINGDOM"]
    assert (uk.name, uk.country, uk.currency, uk.timezone) == (
        "Online Retail United Kingdom",
        UK,
        "GBP",
        "Europe/London",
    )
    assert txns["536367"].store_id == stores["OR-FRANCE"].id

    customer = members["online-retail:13047"]
    assert customer.name == "Customer 13047" and customer.joined_on == date(2010, 12, 1)
    assert customer.home_store_id == stores["OR-FRANCE"].id  # two visits in France, one in the UK
    assert members["online-retail:17850"].home_store_id == uk.id
    assert txns["536367"].member_id == customer.id

    heart = products["85123A"]
    assert heart.name == "WHITE HANGING HEART T-LIGHT HOLDER"  # not the stock note "damaged"
    assert heart.price == Decimal("2.950")  # the latest positive price
    assert heart.first_seen_at == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
    assert heart.category == "candles-lights" and heart.is_merchandise
    assert products["22752"].category == "storage"
    assert [products[s].is_merchandise for s in ("POST", "D", "B")] == [False, False, False]

    assert run.source == "online-retail" and run.finished_at is not None
    assert run.summary["status"] == "done" and run.summary["transactions_added"] == 10


def test_cancellation_is_linked_to_the_sale_it_takes_back(engine: Engine, tmp_path: Path) -> None:
    a, b = "1001.0", "1002.0"
    rows = [
        ["C600000", "X", "THING", "-1", "2011-01-01 09:00", "1.0", a, UK],  # before any sale: nothing to link
        ["600001", "X", "THING", "5", "2011-01-02 09:00", "1.0", a, UK],
        ["600002", "X", "THING", "10", "2011-01-03 09:00", "1.0", a, UK],
        ["600003", "X", "THING", "10", "2011-01-03 09:00", "1.0", b, UK],  # another member's sale
        ["C600004", "X", "THING", "-8", "2011-01-04 09:00", "1.0", a, UK],  # -> 600002, 2 left there
        ["C600005", "X", "THING", "-4", "2011-01-05 09:00", "1.0", a, UK],  # 2 left is too few -> 600001
        ["C600006", "X", "THING", "-20", "2011-01-05 10:00", "1.0", a, UK],  # no sale large enough
        ["600007", "X", "THING", "3", "2011-01-06 09:00", "1.0", a, UK],
        ["600007", "Y", "OTHER THING", "3", "2011-01-06 09:00", "2.0", a, UK],
        ["C600008", "X", "THING", "-1", "2011-01-07 09:00", "1.0", a, UK],  # both lines -> 600007
        ["C600008", "Y", "OTHER THING", "-1", "2011-01-07 09:00", "2.0", a, UK],
        ["600009", "Y", "OTHER THING", "1", "2011-01-08 09:00", "2.0", a, UK],
        ["C600010", "X", "THING", "-1", "2011-01-09 09:00", "1.0", a, UK],  # -> 600007
        ["C600010", "Y", "OTHER THING", "-1", "2011-01-09 09:00", "2.0", a, UK],  # -> 600009: two invoices
    ]
    summary = import_online_retail(engine, write_csv(tmp_path / "c.csv", rows))
    assert summary.cancellations_linked == 6 and summary.rejected == 0

    txns = _transactions(engine)
    by_id = {t.id: number for number, t in txns.items()}
    with engine.connect() as conn:
        lines = conn.execute(select(TransactionLine)).all()
    line_of = {line.id: (by_id[line.transaction_id], line.line_no) for line in lines}
    links = {line_of[ln.id]: line_of.get(ln.original_line_id) for ln in lines if ln.quantity < 0}
    assert links == {
        ("C600000", 1): None,
        ("C600004", 1): ("600002", 1),
        ("C600005", 1): ("600001", 1),
        ("C600006", 1): None,
        ("C600008", 1): ("600007", 1),
        ("C600008", 2): ("600007", 2),
        ("C600010", 1): ("600007", 1),
        ("C600010", 2): ("600009", 1),
    }
    assert txns["C600008"].original_transaction_id == txns["600007"].id
    assert txns["C600010"].original_transaction_id is None
    assert txns["C600004"].original_transaction_id == txns["600002"].id


def test_bad_lines_are_rejected_with_line_and_reason(engine: Engine, tmp_path: Path) -> None:
    good = ["700001", "X", "THING", "1", "2011-01-01 09:00", "1.0", "1.0", UK]
    rows = [
        good,
        ["700002", "X", "THING", "abc", "2011-01-01 09:00", "1.0", "1.0", UK],  # line 3
        ["700003", "X", "THING", "1", "yesterday", "1.0", "1.0", UK],
        ["", "X", "THING", "1", "2011-01-01 09:00", "1.0", "1.0", UK],  # line 5
        ["700004", " ", "THING", "1", "2011-01-01 09:00", "1.0", "1.0", UK],
        ["700005", "X", "THING", "1", "2011-01-01 09:00", "1.0", "1.0", UK, "extra"],  # line 7
        ["700005", "X", "THING", "0", "2011-01-01 09:00", "1.0", "1.0", UK],
        ["700006", "X", "THING", "1", "2011-01-01 09:00", "1.0", "1.0", UK],  # line 9
        ["700006", "Y", "THING", "1", "2011-01-01 09:00", "1.0", "2.0", UK],
        ["700007", "X", "THING", "1", "2011-01-01 09:00", "1.0", "1.0", UK],  # line 11
        ["700007", "Y", "THING", "1", "2011-01-01 09:00", "x", "1.0", UK],
        ["700008", "X", "THING", "2", "2011-01-02 09:00", "1.0", "1.0", UK],  # line 13
        ["700009", "X", "THING", "2", "2011-01-02 09:00", "-1.0", "1.0", UK],
    ]
    reject_file = tmp_path / "out" / "rejects.csv"
    summary = import_online_retail(engine, write_csv(tmp_path / "bad.csv", rows), reject_path=reject_file)

    assert (summary.lines_read, summary.rejected, summary.transactions_added) == (13, 11, 2)
    assert summary.reject_file == str(reject_file)
    assert set(_transactions(engine)) == {"700001", "700008"}
    import csv

    with reject_file.open(newline="") as handle:
        rejected = {int(row["line"]): (row["reason"], row["raw"]) for row in csv.DictReader(handle)}
    assert {line: reason for line, (reason, _) in rejected.items()} == {
        3: "quantity 'abc' is not a number",
        4: "invoice date 'yesterday' is not a date and time",
        5: "empty invoice number",
        6: "empty stock code",
        7: "expected 8 fields, found 9",
        8: "quantity is 0",
        9: "invoice 700006 has lines for several customers (1, 2)",
        10: "invoice 700006 has lines for several customers (1, 2)",
        11: "invoice 700007 is rejected with its line 12 (unit price 'x' is not a number)",
        12: "unit price 'x' is not a number",
        14: "negative unit price on an invoice that is not an adjustment",
    }
    assert rejected[7][1] == "700005,X,THING,1,2011-01-01 09:00,1.0,1.0,United Kingdom,extra"


def test_reimport_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "sample.csv", SAMPLE)
    import_online_retail(engine, path)
    before = counts(engine)
    again = import_online_retail(engine, path)
    assert counts(engine) == before
    assert again.as_dict() | {"seconds": 0} == {
        "lines_read": 12,
        "transactions_added": 0,
        "lines_added": 0,
        "members_added": 0,
        "products_added": 0,
        "stores_added": 0,
        "rejected": 0,
        "cancellations_linked": 0,
        "already_imported": 10,
        "seconds": 0,
        "reject_file": None,
    }
    with engine.connect() as conn:
        assert len(conn.execute(select(ImportRun)).all()) == 2


def test_time_zone_option(engine: Engine, tmp_path: Path) -> None:
    import_online_retail(engine, write_csv(tmp_path / "s.csv", SAMPLE), timezone="Asia/Shanghai")
    assert _transactions(engine)["536369"].occurred_at == datetime(2011, 6, 1, 2, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="unknown time zone"):
        import_online_retail(engine, write_csv(tmp_path / "s.csv", SAMPLE), timezone="Mars/Olympus")


def test_unusable_files_fail_clearly(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no such file"):
        import_online_retail(engine, tmp_path / "missing.csv")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InvalidInput, match="line 1 is not an Online Retail header: missing invoiceno"):
        import_online_retail(engine, wrong)
    with pytest.raises(InvalidInput, match="unsupported file type"):
        import_online_retail(engine, write_csv(tmp_path / "sample.txt", SAMPLE))
    with engine.connect() as conn:
        runs = [run.summary for run in conn.execute(select(ImportRun).order_by(ImportRun.id))]
    assert [run["status"] for run in runs] == ["failed"] * 3
    assert runs[0]["error"].endswith("missing.csv: no such file")
