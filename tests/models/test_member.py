"""A member's facts: per-item days and units, favourite categories and most bought items."""

from __future__ import annotations

import datetime as dt

import pytest

from models.member import MemberFacts, Purchase, top_categories, top_items
from tests.models.clerk_shop import TODAY, shop_catalog

TEALIGHTS, CHURCH_CANDLE, WHITE_LANTERN, MUG, DELISTED = 3, 6, 10, 32, 999


def day(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def bea() -> MemberFacts:
    purchases = (
        Purchase(TEALIGHTS, day(90), 2),
        Purchase(TEALIGHTS, day(60), 1),
        Purchase(TEALIGHTS, day(60), 3),  # a second line of the same day counts one day, all units
        Purchase(TEALIGHTS, day(30), 1),
        Purchase(CHURCH_CANDLE, day(30), 5),
        Purchase(CHURCH_CANDLE, day(10), 1),
        Purchase(WHITE_LANTERN, day(20), 1),
        Purchase(MUG, day(40), 2),
        Purchase(MUG, day(5), 1),
        Purchase(DELISTED, day(7), 9),  # no longer in the catalogue
        Purchase(DELISTED, day(3), 9),
        Purchase(DELISTED, day(1), 9),
    )
    return MemberFacts(member_id=1, name="Bea", purchases=purchases)


def test_item_days_and_units_are_per_item_sorted_read_only_and_computed_once() -> None:
    member = bea()
    days = member.item_days()
    assert days[TEALIGHTS] == (day(90), day(60), day(30))
    assert days[MUG] == (day(40), day(5)) and set(days) == {
        TEALIGHTS,
        CHURCH_CANDLE,
        WHITE_LANTERN,
        MUG,
        DELISTED,
    }
    assert member.item_quantities()[TEALIGHTS] == 7 and member.item_quantities()[CHURCH_CANDLE] == 6
    assert member.item_days() is days and member.item_quantities() is member.item_quantities()
    with pytest.raises(TypeError):
        days[TEALIGHTS] = ()  # type: ignore[index]
    assert bea() == member  # the cached views are not part of the facts' identity


def test_top_items_rank_by_days_then_units_within_a_category_and_skip_delisted_items() -> None:
    catalog = shop_catalog()
    member = bea()
    # The delisted item was bought on three days, as often as the tealights: it is never suggested.
    assert top_items(member, catalog, n=5) == [TEALIGHTS, CHURCH_CANDLE, MUG, WHITE_LANTERN]
    assert top_items(member, catalog, "candles", 5) == [TEALIGHTS, CHURCH_CANDLE]
    assert top_items(member, catalog, "kitchen", 1) == [MUG]
    assert top_items(member, catalog, "toys") == [] and top_items(member, catalog, "no such category") == []
    assert top_items(MemberFacts(member_id=2, name="New"), catalog) == []
    assert top_categories(member, catalog, 2) == [("candles", 4), ("kitchen", 2)]
