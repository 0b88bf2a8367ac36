"""The bulk writer: primary keys allocated up front, one executemany per table and batch.

Stores, products, members and transactions go through SQLAlchemy Core inserts. The 460k transaction
lines dominate, so they skip SQLAlchemy's per-row parameter processing (which cost as much as SQLite's
own insert work): values are prepared once in the form the dialect stores, then handed to the driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, text

from server.db.base import Base
from server.db.tables import Member, Product, Store, Transaction
from server.importer.links import LineKey, original_invoice
from server.importer.plan import RETURN, Invoice, MemberFacts, ProductFacts, member_ref, store_code

LINE_COLUMNS = (
    "id",
    "transaction_id",
    "line_no",
    "product_id",
    "quantity",
    "unit_price",
    "amount",
    "discount_amount",
    "original_line_id",
)
DISCOUNT_SKU = "D"
TABLES = Base.metadata.tables


def begin_write(conn: Connection) -> None:
    """Take SQLite's write lock now, so the ids read by `allocate_ids` stay free until commit."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def allocate_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """`count` fresh primary keys for `table`, taken inside the caller's write transaction."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        sql = text(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)"
        )
        return [row[0] for row in conn.execute(sql, {"n": count})]
    start = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
    return list(range(start, start + count))


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert ready-to-bind rows (values in `columns` order, already in the driver's types).

    SQLite: the driver's executemany of the statement SQLAlchemy compiles. PostgreSQL: COPY, since
    psycopg's pipelined executemany spent ten times longer in Python per row than COPY does.
    """
    if not rows:
        return
    if conn.dialect.driver == "psycopg":
        names = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
        target = conn.dialect.identifier_preparer.format_table(table)
        raw: Any = conn.connection.dbapi_connection  # the psycopg connection, in the caller's transaction
        with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(columns))
    if compiled.positional:
        order = [compiled.binds[name].key for name in compiled.positiontup or ()]
        if order != list(columns):
            raise RuntimeError(f"unexpected parameter order for {table.name}: {order}")
        conn.exec_driver_sql(str(compiled), rows)  # type: ignore[arg-type]
    else:
        conn.exec_driver_sql(str(compiled), [dict(zip(columns, row, strict=True)) for row in rows])


class Money:
    """Thousandths and hundredths of the currency as the driver takes them: exact, converted once each."""

    def __init__(self, dialect_name: str) -> None:
        self.floats = dialect_name == "sqlite"  # SQLAlchemy stores Numeric as REAL there: float(Decimal)
        self.units: dict[int, object] = {}
        self.amounts: dict[int, object] = {}

    def unit(self, milli: int) -> object:
        """A unit price given in thousandths."""
        value = self.units.get(milli)
        if value is None:
            value = self.units[milli] = milli / 1000 if self.floats else Decimal(milli).scaleb(-3)
        return value

    def amount(self, cents: int) -> object:
        """An amount given in hundredths."""
        value = self.amounts.get(cents)
        if value is None:
            value = self.amounts[cents] = cents / 100 if self.floats else Decimal(cents).scaleb(-2)
        return value


def write_stores(conn: Connection, countries: list[str], timezone: str, now: datetime) -> dict[str, int]:
    """Insert the stores standing for `countries`; returns their ids by code."""
    ids = allocate_ids(conn, TABLES["stores"], len(countries))
    rows = [
        {
            "id": id_,
            "code": store_code(c),
            "name": f"Online Retail {c}",
            "country": c,
            "city": "",
            "timezone": timezone,
            "currency": "GBP",
            "created_at": now,
        }
        for id_, c in zip(ids, countries, strict=True)
    ]
    if rows:
        conn.execute(insert(Store), rows)
    return {store_code(c): id_ for id_, c in zip(ids, countries, strict=True)}


def write_products(conn: Connection, facts: list[ProductFacts], now: datetime) -> dict[str, int]:
    """Insert new products; returns their ids by SKU."""
    ids = allocate_ids(conn, TABLES["products"], len(facts))
    rows = [
        {
            "id": id_,
            "sku": p.sku,
            "name": p.name,
            "description": "",
            "category": p.category,
            "price": Decimal(p.price_milli).scaleb(-3),
            "is_merchandise": p.is_merchandise,
            "active": True,
            "attributes": {},
            "translations": {},
            "first_seen_at": p.first_seen_at,
            "created_at": now,
        }
        for id_, p in zip(ids, facts, strict=True)
    ]
    if rows:
        conn.execute(insert(Product), rows)
    return {p.sku: id_ for id_, p in zip(ids, facts, strict=True)}


def write_members(
    conn: Connection, facts: list[MemberFacts], store_ids: dict[str, int], now: datetime
) -> dict[str, int]:
    """Insert new members ("Customer 17850"); returns their ids by customer number."""
    ids = allocate_ids(conn, TABLES["members"], len(facts))
    rows = [
        {
            "id": id_,
            "external_ref": member_ref(m.customer),
            "name": f"Customer {m.customer}",
            "gender": "unknown",
            "birthday": None,
            "phone_encrypted": None,
            "phone_hash": None,
            "card_number": None,
            "qr_token": None,
            "home_store_id": store_ids[store_code(m.country)],
            "joined_on": m.joined_on,
            "marketing_consent": False,
            "locale": "en",
            "created_at": now,
            "updated_at": now,
        }
        for id_, m in zip(ids, facts, strict=True)
    ]
    if rows:
        conn.execute(insert(Member), rows)
    return {m.customer: id_ for id_, m in zip(ids, facts, strict=True)}


class InvoiceWriter:
    """Writes batches of whole invoices, remembering the ids of lines later cancellations point at."""

    def __init__(
        self,
        conn: Connection,
        ids: tuple[dict[str, int], dict[str, int], dict[str, int]],
        links: dict[LineKey, LineKey],
        earlier_ids: dict[LineKey, tuple[int, int]],
        now: datetime,
    ) -> None:
        self.conn = conn
        self.store_ids, self.product_ids, self.member_ids = ids
        self.links = links
        self.targets = set(links.values())
        self.target_invoices = {number for number, _ in self.targets}
        self.line_ids = {key: line_id for key, (line_id, _) in earlier_ids.items()}
        self.txn_ids = {number: txn_id for (number, _), (_, txn_id) in earlier_ids.items()}
        self.money = Money(conn.dialect.name)
        self.now = now

    def write(self, invoices: list[Invoice]) -> int:
        """Insert `invoices` (time order) and their lines in the open transaction; returns lines written."""
        conn, links, targets, line_ids, money = self.conn, self.links, self.targets, self.line_ids, self.money
        txn_ids = allocate_ids(conn, TABLES["transactions"], len(invoices))
        new_ids = allocate_ids(conn, TABLES["transaction_lines"], sum(len(i.lines) for i in invoices))
        products, units, amounts = self.product_ids, money.units, money.amounts
        zero = money.amount(0)
        transactions: list[dict[str, Any]] = []
        rows: list[tuple[Any, ...]] = []
        add, k = rows.append, 0
        for invoice, txn_id in zip(invoices, txn_ids, strict=True):
            number, total, discount = invoice.number, 0, 0
            is_return, is_target = invoice.kind == RETURN, number in self.target_invoices
            if is_target:
                self.txn_ids[number] = txn_id
            for line_no, line in enumerate(invoice.lines, start=1):
                line_id, qty, milli = new_ids[k], line.quantity, line.price_milli
                k += 1
                # quantity x unit price in hundredths, rounded half away from zero as a till does
                cents = (qty * milli + 5) // 10 if qty * milli >= 0 else -((-qty * milli + 5) // 10)
                total += cents
                if line.sku == DISCOUNT_SKU:
                    discount -= cents
                original = None
                if is_return and (number, line_no) in links:
                    original = line_ids[links[number, line_no]]
                if is_target and (number, line_no) in targets:
                    line_ids[number, line_no] = line_id
                unit = units.get(milli)
                if unit is None:
                    unit = money.unit(milli)
                amount = amounts.get(cents)
                if amount is None:
                    amount = money.amount(cents)
                add((line_id, txn_id, line_no, products[line.sku], qty, unit, amount, zero, original))
            transactions.append(self._transaction(invoice, txn_id, total, abs(discount)))
        conn.execute(insert(Transaction), transactions)
        bulk_insert(conn, TABLES["transaction_lines"], LINE_COLUMNS, rows)
        return len(rows)

    def _transaction(self, invoice: Invoice, txn_id: int, total: int, discount: int) -> dict[str, Any]:
        original = original_invoice(invoice, self.links) if invoice.kind == RETURN else None
        return {
            "id": txn_id,
            "external_ref": invoice.external_ref,
            "store_id": self.store_ids[store_code(invoice.country)],
            "member_id": None if invoice.customer is None else self.member_ids[invoice.customer],
            "staff_id": None,
            "occurred_at": invoice.occurred_at,
            "kind": invoice.kind,
            "total_amount": Decimal(total).scaleb(-2),
            "discount_amount": Decimal(discount).scaleb(-2),
            "coupon_code": None,
            "original_transaction_id": None if original is None else self.txn_ids[original],
            "source": "import",
            "created_at": self.now,
        }
