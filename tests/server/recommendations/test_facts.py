"""The facts the recommender reads: a long history is cut to its latest lines, in time order."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.recommendations.facts import purchases
from tests.server.recommendations.conftest import NOW, Shop


def test_purchases_come_oldest_first_and_a_long_history_keeps_its_latest_lines(
    session: Session, shop: Shop
) -> None:
    every = purchases(session, shop.regular.id, NOW)
    assert len(every) >= 4
    assert [p.day for p in every] == sorted(p.day for p in every)
    latest = purchases(session, shop.regular.id, NOW, limit=3)
    assert latest == every[-3:]
    # Asked as of a moment before the first sale: nothing bought yet.
    earlier = purchases(session, shop.regular.id, NOW.replace(year=2000))
    assert earlier == ()
