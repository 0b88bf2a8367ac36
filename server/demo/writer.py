"""Write a generated demo chain with SQLAlchemy Core bulk inserts, all in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from server.core.crypto import NOTE, Keys
from server.db.base import utcnow
from server.db.tables import ImportRun, Interaction, Member, Product, Store, Transaction, TransactionLine
from server.demo.catalog_data import CATEGORIES
from server.demo.generator import DemoData
from server.demo.people_data import DemoStore
from server.importer.writer import allocate_ids, begin_write

GENERATOR_SOURCE = "demo-generator"
SKU_PREFIX = "DM-"  # every generated product's (server/demo/generator.py)
CATEGORY_LABELS = {c.key: {"zh": c.zh, "en": c.en} for c in CATEGORIES}


def _table(model: type[Any]) -> Table:
    return model.__table__  # type: ignore[no-any-return]


def _insert_ids(conn: Connection, model: type[Any], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert `rows` with ids taken up front (one plain executemany, fast on both databases); their ids.

    RETURNING would hand the ids back too, but psycopg re-parses every multi-row INSERT it builds,
    which made writing the demo to PostgreSQL five times slower than to SQLite.
    """
    table = _table(model)
    ids = allocate_ids(conn, table, len(rows))
    if rows:
        conn.execute(insert(table), [{**row, "id": id_} for row, id_ in zip(rows, ids, strict=True)])
    return ids


def _lock(conn: Connection) -> None:
    """Hold SQLite's write lock from here to commit (ids are read as max + 1), unless already held."""
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite" and raw is not None and getattr(raw, "in_transaction", False):
        return  # an earlier write in this transaction already holds it
    begin_write(conn)


def _original_id(data: DemoData, index: int, txn_ids: dict[int, int]) -> int | None:
    original = data.transactions[index].original
    return None if original is None else txn_ids[original]


def ensure_stores(conn: Connection, stores: Sequence[DemoStore], now: datetime) -> dict[str, int]:
    """The id of each demo store by code, opening the ones that do not exist yet."""
    _lock(conn)
    codes = [s.code for s in stores]
    found: dict[str, int] = {
        code: id_ for code, id_ in conn.execute(select(Store.code, Store.id).where(Store.code.in_(codes)))
    }
    missing = [s for s in stores if s.code not in found]
    rows = [
        {"code": s.code, "name": s.name, "country": s.country, "city": s.city, "timezone": s.timezone,
         "currency": s.currency, "created_at": now}
        for s in missing
    ]  # fmt: skip
    found.update(zip((s.code for s in missing), _insert_ids(conn, Store, rows), strict=True))
    return found


def translations(name_zh: str, name_en: str, category: str) -> dict[str, dict[str, str]]:
    """A demo product's names and its category's label in each language (the recommender's labels)."""
    labels = CATEGORY_LABELS.get(category, {})
    return {
        lang: {"name": name, **({"category": labels[lang]} if lang in labels else {})}
        for lang, name in (("zh", name_zh), ("en", name_en))
    }


def label_categories(conn: Connection) -> int:
    """Give the generated chain's products written without category labels (by an earlier version)
    their labels; how many it changed. Nothing to do on later runs."""
    query = select(Product.id, Product.category, Product.translations).where(
        Product.sku.startswith(SKU_PREFIX), Product.category.in_(list(CATEGORY_LABELS))
    )
    rows = [
        {"product": id_, "translations": translations(names["zh"], names["en"], category)}
        for id_, category, t in conn.execute(query)
        if (names := _unlabelled_names(t)) is not None
    ]
    if rows:
        table = _table(Product)
        conn.execute(update(table).where(table.c.id == bindparam("product")), rows)
    return len(rows)


def _unlabelled_names(stored: Any) -> dict[str, str] | None:
    """The zh and en names of translations that lack a category label; None if labelled (or unreadable)."""
    entries = [stored.get(lang) if isinstance(stored, dict) else None for lang in ("zh", "en")]
    if not all(isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries):
        return None
    if all("category" in e for e in entries if e is not None):
        return None
    return {lang: str(e["name"]) for lang, e in zip(("zh", "en"), entries, strict=True) if e is not None}


def generated_run(conn: Connection) -> dict[str, Any] | None:
    """The summary of the generated demo already written to this database, if there is one."""
    query = select(ImportRun.summary).where(
        ImportRun.source == GENERATOR_SOURCE, ImportRun.finished_at.is_not(None)
    )
    return conn.execute(query.order_by(ImportRun.id).limit(1)).scalar_one_or_none()


def write_demo(
    conn: Connection,
    data: DemoData,
    keys: Keys,
    store_ids: dict[str, int],
    staff_ids: dict[tuple[str, str], int],
) -> dict[str, int]:
    """Insert the products, members, transactions and notes of `data`; returns how many of each.

    `staff_ids` maps (store slug, demo role key) to a staff id, for the authors of the staff notes.
    """
    _lock(conn)
    started = utcnow()
    stores = [store_ids[s.code] for s in data.stores]
    product_ids = _insert_ids(
        conn,
        Product,
        [
            {"sku": p.sku, "name": p.name, "description": "", "category": p.category, "price": p.price,
             "is_merchandise": True, "active": True, "attributes": p.attributes,
             "translations": translations(p.name, p.name_en, p.category),
             "first_seen_at": datetime.combine(p.first_seen, datetime.min.time(), started.tzinfo),
             "created_at": started}
            for p in data.products
        ],
    )  # fmt: skip
    member_rows = [
        {"external_ref": m.key, "name": m.name, "gender": m.gender, "birthday": m.birthday,
         "phone_encrypted": keys.encrypt(m.phone), "phone_hash": keys.phone_hash(m.phone),
         "card_number": m.card, "qr_token": m.qr, "home_store_id": stores[m.store], "joined_on": m.joined_on,
         "marketing_consent": m.consent, "locale": m.locale, "created_at": started, "updated_at": started}
        for m in data.members
    ]  # fmt: skip
    member_ids = _insert_ids(conn, Member, member_rows)

    def txn_row(index: int, original_id: int | None) -> dict[str, Any]:
        t = data.transactions[index]
        return {"external_ref": t.key, "store_id": stores[t.store],
                "member_id": None if t.member is None else member_ids[t.member], "staff_id": None,
                "occurred_at": t.occurred_at, "kind": t.kind, "total_amount": t.total,
                "discount_amount": t.discount, "coupon_code": t.coupon,
                "original_transaction_id": original_id, "source": "till", "created_at": started}  # fmt: skip

    # Sales first, so that returns can point at the transaction and line they take back.
    txn_ids: dict[int, int] = {}
    line_ids: dict[tuple[int, int], int] = {}
    for returns in (False, True):
        chosen = [i for i, t in enumerate(data.transactions) if (t.original is not None) == returns]
        rows = [txn_row(i, _original_id(data, i, txn_ids)) for i in chosen]
        txn_ids.update(zip(chosen, _insert_ids(conn, Transaction, rows), strict=True))
        line_keys: list[tuple[int, int]] = []
        line_rows: list[dict[str, Any]] = []
        for i in chosen:
            for n, x in enumerate(data.transactions[i].lines):
                line_keys.append((i, n))
                line_rows.append(
                    {"transaction_id": txn_ids[i], "line_no": n + 1, "product_id": product_ids[x.product],
                     "quantity": x.quantity, "unit_price": x.unit_price, "amount": x.amount,
                     "discount_amount": x.discount,
                     "original_line_id": line_ids[x.original] if x.original else None}
                )  # fmt: skip
        line_ids.update(zip(line_keys, _insert_ids(conn, TransactionLine, line_rows), strict=True))

    notes = [
        {"member_id": member_ids[n.member], "staff_id": staff_ids.get((data.stores[n.store].slug, n.author)),
         "store_id": stores[n.store], "channel": n.channel, "note": keys.seal(n.note, NOTE),
         "occurred_at": n.occurred_at,
         "follow_up_on": n.follow_up_on, "idempotency_key": n.key, "created_at": n.occurred_at}
        for n in data.interactions
    ]  # fmt: skip
    if notes:
        conn.execute(insert(_table(Interaction)), notes)
    counts = {
        "stores": len(data.stores),
        "products": len(product_ids),
        "members": len(member_ids),
        "transactions": len(txn_ids),
        "lines": len(line_ids),
        "interactions": len(notes),
    }
    summary = {**counts, "seed": data.seed, "now": data.now.isoformat()}
    conn.execute(
        insert(_table(ImportRun)),
        {"source": GENERATOR_SOURCE, "path": f"generated:seed={data.seed}", "started_at": started,
         "finished_at": utcnow(), "summary": summary},
    )  # fmt: skip
    return counts
