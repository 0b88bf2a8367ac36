"""What the database already holds from earlier imports: the keys that make an import idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, SQLColumnExpression, func, select

from server.db.base import Base
from server.db.tables import Member, Product, Store, Transaction
from server.importer.links import LineKey, SoldLine
from server.importer.plan import SALE, SOURCE

_PREFIX = f"{SOURCE}:"
_CHUNK = 500  # bound parameters per IN list, well inside SQLite's limit


@dataclass
class Existing:
    """Ids of what an earlier import (or the catalogue) already has, by the source's keys."""

    stores: dict[str, int]  # store code -> id
    products: dict[str, int]  # SKU -> id
    members: dict[str, int]  # customer number -> id
    invoices: set[str]  # invoice numbers already imported


def _imported(column: SQLColumnExpression[str | None]) -> ColumnElement[bool]:
    return column.startswith(_PREFIX, autoescape=True)


def load_existing(conn: Connection) -> Existing:
    """The stores, products, members and invoices already in the database."""
    stores = {code: id_ for code, id_ in conn.execute(select(Store.code, Store.id))}
    products = {sku: id_ for sku, id_ in conn.execute(select(Product.sku, Product.id))}
    cut = len(_PREFIX)
    member_rows = conn.execute(select(Member.external_ref, Member.id).where(_imported(Member.external_ref)))
    members = {ref[cut:]: id_ for ref, id_ in member_rows if ref is not None}
    invoice_rows = conn.execute(select(Transaction.external_ref).where(_imported(Transaction.external_ref)))
    invoices = {ref[cut:] for (ref,) in invoice_rows if ref is not None}
    return Existing(stores, products, members, invoices)


def earlier_sales(
    conn: Connection, customers: dict[int, str]
) -> tuple[list[SoldLine], dict[LineKey, tuple[int, int]]]:
    """Imported sale lines of these members (member id -> customer), less what was already cancelled.

    Also returns, for each of those lines, its (line id, transaction id).
    """
    tables = Base.metadata.tables
    line, txn, product = tables["transaction_lines"], tables["transactions"], tables["products"]
    sold_line = line.alias("sold")
    taken = (
        select(func.coalesce(func.sum(-line.c.quantity), 0))
        .where(line.c.original_line_id == sold_line.c.id)
        .scalar_subquery()
    )
    sold: list[SoldLine] = []
    ids: dict[LineKey, tuple[int, int]] = {}
    member_ids = sorted(customers)
    cut = len(_PREFIX)
    for start in range(0, len(member_ids), _CHUNK):
        query = (
            select(
                txn.c.external_ref,
                sold_line.c.line_no,
                sold_line.c.id,
                txn.c.id,
                txn.c.member_id,
                product.c.sku,
                txn.c.occurred_at,
                sold_line.c.quantity,
                taken,
            )
            .select_from(
                sold_line.join(txn, txn.c.id == sold_line.c.transaction_id).join(
                    product, product.c.id == sold_line.c.product_id
                )
            )
            .where(
                txn.c.member_id.in_(member_ids[start : start + _CHUNK]),
                txn.c.kind == SALE,
                _imported(txn.c.external_ref),
                sold_line.c.quantity > 0,
            )
        )
        for ref, line_no, line_id, txn_id, member_id, sku, when, quantity, cancelled in conn.execute(query):
            key = (ref[cut:], line_no)
            ids[key] = (line_id, txn_id)
            sold.append(SoldLine(customers[member_id], sku, when, key, quantity - int(cancelled)))
    return sold, ids
