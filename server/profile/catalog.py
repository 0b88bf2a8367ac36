"""The catalogue's price statistics every profile compares with, computed once and kept five minutes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from server.tags import repository as tags_repo


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
    stats = CatalogStats(tags_repo.category_medians(session), tags_repo.catalog_start(session))
    with _stats_lock:
        _stats[key] = (time.monotonic() + _STATS_SECONDS, stats)
    return stats
