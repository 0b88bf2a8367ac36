"""The catalogue's price statistics every profile compares with, computed once and kept five minutes."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.tables import Product


@dataclass(frozen=True)
class CatalogStats:
    """What the price band and new-product share compare with: list-price medians, the catalogue's start."""

    medians: dict[str, Decimal]
    catalog_start: datetime | None


_STATS_SECONDS = 300.0
_stats: dict[str, tuple[float, CatalogStats]] = {}
_stats_lock = threading.Lock()


def catalog_stats(session: Session) -> CatalogStats:
    """Median list price per category and the first day a product was seen; cached for five minutes."""
    key = str(session.get_bind().engine.url)
    with _stats_lock:
        cached = _stats.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    prices: dict[str, list[Decimal]] = {}
    stmt = select(Product.category, Product.price).where(Product.is_merchandise.is_(True), Product.price > 0)
    for category, price in session.execute(stmt):
        prices.setdefault(category, []).append(Decimal(str(price)))
    medians = {c: Decimal(str(statistics.median(v))) for c, v in prices.items()}
    stats = CatalogStats(medians, session.scalar(select(func.min(Product.first_seen_at))))
    with _stats_lock:
        _stats[key] = (time.monotonic() + _STATS_SECONDS, stats)
    return stats
