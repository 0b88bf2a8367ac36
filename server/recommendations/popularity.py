"""Each store's best-sellers and trending products, for members with little or no history (cold start).

Computed from one grouped query over the last 90 days of sale lines and kept beside the catalogue it was
aligned with (`Catalog.memo`): once when the recommender is warmed up, again by the catalogue check
when it is over an hour old, and on first use where neither ran (a test's recommender). A request only
reads it. The 90 days end at the latest sale, so a demo of historical data (whose business clock is
shifted to the day after the data ends) ranks its own last month, as a live store ranks today's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from models.catalog import Catalog
from models.popularity import BUCKET_DAYS, Popularity
from server.db.base import utcnow
from server.recommendations import repository as repo
from server.recommendations.engine import Engine
from server.recommendations.stock import in_stock

MAX_AGE = timedelta(hours=1)  # sales move the ranking slowly; the catalogue check recomputes it this often
_MEMO_KEY = "popularity"
_lock = threading.Lock()


@dataclass(frozen=True)
class _Cached:
    popularity: Popularity
    computed_at: datetime


def compute_popularity(session: Session, catalog: Catalog, now: datetime | None = None) -> Popularity:
    """Best-sellers and trending items per store over the 90 days up to the latest sale before `now`."""
    end = repo.latest_sale(session, now or utcnow())
    if end is None:
        return Popularity(None, {})
    rows = repo.sale_counts(session, end, timedelta(days=BUCKET_DAYS))
    counts = np.array([tuple(int(v or 0) for v in r) for r in rows], dtype=np.int64).reshape(-1, 5)

    def sellable(ids: np.ndarray) -> np.ndarray:
        attributes = repo.product_attributes(session, np.unique(ids).tolist())
        return np.fromiter((in_stock(attributes.get(int(i))) for i in ids), dtype=bool, count=len(ids))

    return Popularity.from_counts(
        catalog,
        stores=counts[:, 0],
        items=counts[:, 1],
        buckets=counts[:, 2],
        sales=counts[:, 3],
        units=counts[:, 4],
        as_of=end.date(),
        sellable=sellable,
    )


def popularity_of(session: Session, rec: Engine) -> Popularity:
    """The recommender's popularity, computed now with `session` only if nothing computed it yet."""
    cached = rec.catalog.memo.get(_MEMO_KEY)
    if isinstance(cached, _Cached):
        return cached.popularity
    with _lock:
        cached = rec.catalog.memo.get(_MEMO_KEY)
        if not isinstance(cached, _Cached):
            cached = _Cached(compute_popularity(session, rec.catalog), utcnow())
            rec.catalog.memo[_MEMO_KEY] = cached
    return cached.popularity


def refresh_popularity(sessions: sessionmaker[Session], rec: Engine | None, force: bool = False) -> bool:
    """Recompute the recommender's popularity when missing or over MAX_AGE old (or `force`); whether it did.

    Reads in its own session and swaps the result in whole: a request reads the old one or the new one.
    """
    if rec is None:
        return False
    cached = rec.catalog.memo.get(_MEMO_KEY)
    if not force and isinstance(cached, _Cached) and utcnow() - cached.computed_at < MAX_AGE:
        return False
    with sessions() as session:
        fresh = _Cached(compute_popularity(session, rec.catalog), utcnow())
        session.rollback()  # read-only
    rec.catalog.memo[_MEMO_KEY] = fresh
    return True
