"""Import the UCI "Online Retail" data: read and check everything first, then write in committed batches."""

from __future__ import annotations

import csv
import gc
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, insert, update
from sqlalchemy.exc import SQLAlchemyError

from server.core.errors import AisleError, InvalidInput
from server.db.base import utcnow
from server.db.tables import ImportRun
from server.importer.links import link_cancellations
from server.importer.plan import (
    RETURN,
    SOURCE,
    Invoice,
    countries,
    group_invoices,
    member_facts,
    product_facts,
    store_code,
)
from server.importer.progress import Progress
from server.importer.reader import Reject, read_source
from server.importer.repository import earlier_sales, load_existing
from server.importer.rows import validate
from server.importer.writer import InvoiceWriter, begin_write, write_members, write_products, write_stores

BATCH_LINES = 25_000  # lines per committed batch: an interrupted import loses at most one batch


@dataclass
class ImportSummary:
    """What one import read, added and rejected (re-importing the same file adds zeros)."""

    lines_read: int = 0
    transactions_added: int = 0
    lines_added: int = 0
    members_added: int = 0
    products_added: int = 0
    stores_added: int = 0
    rejected: int = 0
    cancellations_linked: int = 0
    already_imported: int = 0  # invoices of the file found in the database and skipped
    seconds: float = 0.0
    reject_file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready data."""
        return asdict(self)


def import_online_retail(
    engine: Engine,
    path: Path,
    *,
    timezone: str = "Europe/London",
    reject_path: Path | None = None,
    progress: bool = False,
) -> ImportSummary:
    """Import an Online Retail CSV/CSV.GZ/XLSX file; idempotent, resumable, never stopped by a bad line."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {timezone!r} (expected e.g. 'Europe/London')") from exc
    started, clock = utcnow(), time.perf_counter()
    path = Path(path)
    with engine.begin() as conn:
        run_id = conn.execute(
            insert(ImportRun).values(
                source=SOURCE,
                path=str(path.resolve())[:1000],
                started_at=started,
                summary={"status": "running"},
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    summary = ImportSummary()
    status, error = "failed", ""
    try:
        with Progress(progress) as bar, _gc_paused():
            _run(engine, path, timezone, reject_path, bar, summary)
        status = "done"
    except AisleError as exc:
        error = exc.message
        raise
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        summary.seconds = round(time.perf_counter() - clock, 3)
        record = {"status": status, **summary.as_dict(), **({"error": error} if error else {})}
        try:
            with engine.begin() as conn:
                conn.execute(
                    update(ImportRun)
                    .where(ImportRun.id == run_id)
                    .values(finished_at=utcnow(), summary=record)
                )
        except SQLAlchemyError:
            if status == "done":
                raise  # otherwise keep the error that stopped the import, not this follow-on one
    return summary


def _run(
    engine: Engine, path: Path, timezone: str, reject_path: Path | None, bar: Progress, summary: ImportSummary
) -> None:
    bar.phase("Reading lines", None)
    table = read_source(path)
    lines, rejects = validate(table, timezone)
    invoices = group_invoices(table, lines, rejects)
    summary.lines_read = len(table.records)
    bar.finish(summary.lines_read)
    summary.rejected = len(rejects)
    if rejects:
        summary.reject_file = str(write_rejects(rejects, reject_path or _default_reject_path(path)))
    products, members = product_facts(invoices), member_facts(invoices, timezone)
    with engine.connect() as conn:
        existing = load_existing(conn)
        conn.rollback()
        new = [invoice for invoice in invoices if invoice.number not in existing.invoices]
        summary.already_imported = len(invoices) - len(new)
        now = utcnow()
        with conn.begin():
            begin_write(conn)
            stores = [c for c in countries(invoices) if store_code(c) not in existing.stores]
            store_ids = {**existing.stores, **write_stores(conn, stores, timezone, now)}
            fresh_products = [facts for sku, facts in products.items() if sku not in existing.products]
            product_ids = {**existing.products, **write_products(conn, fresh_products, now)}
            fresh_members = [facts for c, facts in members.items() if c not in existing.members]
            member_ids = {**existing.members, **write_members(conn, fresh_members, store_ids, now)}
        summary.stores_added, summary.products_added = len(stores), len(fresh_products)
        summary.members_added = len(fresh_members)
        cancelling = {invoice.customer for invoice in new if invoice.kind == RETURN and invoice.customer}
        sold, sold_ids = earlier_sales(conn, {member_ids[c]: c for c in cancelling if c in existing.members})
        conn.rollback()
        links = link_cancellations(new, sold)
        summary.cancellations_linked = len(links)
        writer = InvoiceWriter(conn, (store_ids, product_ids, member_ids), links, sold_ids, now)
        bar.phase("Writing lines", sum(len(invoice.lines) for invoice in new))
        for batch in _batches(new):
            with conn.begin():
                begin_write(conn)
                written = writer.write(batch)
            summary.transactions_added += len(batch)
            summary.lines_added += written
            bar.advance(written)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cycle collector while millions of acyclic rows are built: it would rescan them all."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _batches(invoices: list[Invoice]) -> Iterator[list[Invoice]]:
    batch: list[Invoice] = []
    size = 0
    for invoice in invoices:
        batch.append(invoice)
        size += len(invoice.lines)
        if size >= BATCH_LINES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _default_reject_path(path: Path) -> Path:
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    stem = path.name.split(".")[0] or "import"
    return Path(tempfile.gettempdir()) / "aisle-imports" / f"{stem}.{stamp}.rejects.csv"


def write_rejects(rejects: list[Reject], path: Path) -> Path:
    """Write the rejected lines as CSV (line, reason, raw; plus sheet for a multi-sheet workbook)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with_sheet = any(reject.sheet for reject in rejects)
    ordered = sorted(rejects, key=lambda r: (r.sheet, r.line))
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["sheet", "line", "reason", "raw"] if with_sheet else ["line", "reason", "raw"])
        for reject in ordered:
            row = [reject.line, reject.reason, reject.raw]
            out.writerow([reject.sheet, *row] if with_sheet else row)
    return path
