"""Candidates a clerk can explain: replenish timing on real dates, co-purchase, neighbours, reactivation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from models.candidates import cross_sell, explain, explore, replenish
from models.catalog import Catalog, CatalogError
from models.index import CatalogIndex
from models.member import MemberFacts, Purchase
from models.purchase_patterns import CoPurchase, RepurchaseCycles
from models.talking_points import reactivation_offer
from tests.models.clerk_shop import FakeEncoder, shop_catalog, shop_index

D = dt.date
TEALIGHTS, WHITE_LANTERN, CANDLE_HOLDER, MUG, SOAP = 3, 10, 4, 32, 100


def member(*purchases: Purchase, locale: str = "en", **facts: object) -> MemberFacts:
    return MemberFacts(member_id=1, name="Ann", locale=locale, purchases=tuple(purchases), **facts)  # type: ignore[arg-type]


def bought(item: int, day: dt.date, price: float = 0.0, **kw: object) -> Purchase:
    return Purchase(item_id=item, day=day, unit_price=price, **kw)  # type: ignore[arg-type]


def test_replenish_due_now_from_the_members_own_cycle() -> None:
    m = member(
        bought(TEALIGHTS, D(2024, 3, 1)), bought(TEALIGHTS, D(2024, 3, 31)), bought(TEALIGHTS, D(2024, 4, 30))
    )
    [s] = replenish(m, shop_catalog(), D(2024, 6, 3))
    assert s.kind == "replenish" and s.item_id == TEALIGHTS
    assert s.reason == (
        "Usually buys the Tealight set of 12 every ~30 days; last bought 34 days ago — due now."
    )
    assert s.facts["cycle_days"] == 30 and s.facts["days_since"] == 34 and s.facts["cycle_source"] == "member"
    assert s.facts["last_bought"] == "2024-04-30" and s.facts["due_in_days"] == 0


def test_replenish_uses_the_median_interval_and_says_when_it_is_due() -> None:
    days = [D(2024, 1, 1), D(2024, 1, 21), D(2024, 2, 20), D(2024, 3, 11)]  # gaps 20, 30, 20: median 20
    m = member(*(bought(MUG, d) for d in days))
    [s] = replenish(m, shop_catalog(), D(2024, 3, 28))  # 17 days after the last purchase
    assert s.facts["cycle_days"] == 20 and s.facts["due_in_days"] == 3
    assert s.reason.endswith("last bought 17 days ago — due in 3 days.")


def test_replenish_skips_items_not_yet_due_and_items_with_no_cycle() -> None:
    m = member(
        bought(TEALIGHTS, D(2024, 5, 1)), bought(TEALIGHTS, D(2024, 5, 31)), bought(MUG, D(2024, 1, 1))
    )
    assert replenish(m, shop_catalog(), D(2024, 6, 10)) == []  # 10 of 30 days; the mug was bought once


def test_replenish_falls_back_to_the_catalogs_typical_cycle_for_a_single_purchase() -> None:
    # Three other members rebought the mug after 50, 60 and 70 days: the typical cycle is 60.
    members = np.array([7, 7, 8, 8, 9, 9])
    days = np.array([D(2024, 1, 1).toordinal() + d for d in (0, 50, 0, 60, 0, 70)])
    cycles = RepurchaseCycles.from_lines(members, np.full(6, MUG), days)
    m = member(bought(MUG, D(2024, 4, 1)))
    [s] = replenish(m, shop_catalog(), D(2024, 5, 21), cycles)  # 50 days ago
    assert s.facts["cycle_source"] == "catalog" and s.facts["cycle_days"] == 60
    assert s.reason == "Bought the Spotty mug once, 50 days ago; customers usually rebuy it every ~60 days."
    zh = replenish(m, shop_catalog(), D(2024, 5, 21), cycles, lang="zh")[0]
    assert zh.reason == "50天前买过一次波点马克杯，顾客通常约每60天回购一次。"


def test_repurchase_cycles_need_enough_members_and_ignore_same_day_lines() -> None:
    members = np.array([1, 1, 1, 2, 2])
    items = np.array([5, 5, 5, 5, 5])
    days = np.array([100, 100, 110, 200, 230])  # gaps: 10 (member 1), 30 (member 2)
    cycles = RepurchaseCycles.from_lines(members, items, days, min_observations=2)
    assert cycles.cycle(5) == 20.0 and cycles.observations.tolist() == [2]
    assert RepurchaseCycles.from_lines(members, items, days, min_observations=3).cycle(5) is None
    assert cycles.cycle(6) is None


def test_cross_sell_names_the_item_it_goes_with() -> None:
    baskets = [
        [WHITE_LANTERN, TEALIGHTS],
        [WHITE_LANTERN, TEALIGHTS, MUG],
        [WHITE_LANTERN, TEALIGHTS],
        [MUG, SOAP],
    ]
    baskets += [[MUG, SOAP], [WHITE_LANTERN, MUG]]
    co = CoPurchase.from_baskets(baskets, min_count=2)
    m = member(bought(WHITE_LANTERN, D(2024, 5, 1)))
    out = cross_sell(m, shop_catalog(), co, D(2024, 6, 15))
    assert [s.item_id for s in out] == [TEALIGHTS, MUG]  # 3 shared baskets beat 2
    assert out[0].reason == "Often bought together with the White lantern they bought 45 days ago."
    assert out[0].facts["anchor_item_id"] == WHITE_LANTERN and WHITE_LANTERN not in [s.item_id for s in out]


def test_copurchase_counts_and_round_trip(tmp_path: Path) -> None:
    co = CoPurchase.from_baskets([[1, 2, 2], [1, 2], [1, 3]], min_count=1)
    assert co.baskets.tolist() == [3, 2, 1]
    assert co.partners.toarray().tolist() == [[0, 2, 1], [2, 0, 0], [1, 0, 0]]
    back = CoPurchase.load(co.save(tmp_path / "co"))
    assert (back.partners != co.partners).nnz == 0 and back.item_ids.tolist() == [1, 2, 3]
    cycles = RepurchaseCycles.from_lines(np.array([1, 1]), np.array([4, 4]), np.array([1, 8]), 1)
    again = RepurchaseCycles.load(cycles.save(tmp_path / "cycles"))
    assert again.cycle(4) == 7.0 and again.min_observations == 1
    with pytest.raises(ValueError, match="not an aisle.copurchase"):
        CoPurchase.load(tmp_path / "cycles")


def test_explore_finds_never_bought_neighbours_and_explains_them() -> None:
    catalog, encoder = shop_catalog(), FakeEncoder()
    index = shop_index(catalog, encoder)
    m = member(bought(WHITE_LANTERN, D(2024, 5, 1)))
    out = explore(m, catalog, index, D(2024, 6, 15), k=3)
    assert WHITE_LANTERN not in [s.item_id for s in out]
    assert all("lantern" in catalog.name(s.item_id).lower() for s in out)
    assert out[0].reason == "Similar to the White lantern they bought 45 days ago."


def test_explain_gives_each_ranked_item_its_reason_in_order() -> None:
    catalog, encoder = shop_catalog(), FakeEncoder()
    index = shop_index(catalog, encoder)
    co = CoPurchase.from_baskets([[TEALIGHTS, CANDLE_HOLDER]] * 3, min_count=2)
    m = member(*(bought(TEALIGHTS, D(2024, 4, 1) + dt.timedelta(days=30 * n)) for n in range(3)))
    lantern = next(int(i) for i in catalog.ids if "lantern" in catalog.name(int(i)).lower())
    ranked = np.array([CANDLE_HOLDER, TEALIGHTS, lantern, 999_999])  # the last is not in the catalogue
    out = explain(
        m,
        ranked,
        np.array([3.0, 2.0, 1.0, 0.5]),
        catalog=catalog,
        today=D(2024, 7, 1),
        copurchase=co,
        index=index,
    )
    assert [s.item_id for s in out] == [CANDLE_HOLDER, TEALIGHTS, lantern]
    assert [s.kind for s in out] == ["cross_sell", "replenish", "explore"]
    assert (
        out[0].reason.startswith("Often bought together with the ")
        and out[0].facts["anchor_item_id"] == TEALIGHTS
    )
    assert out[1].facts["cycle_days"] == 30 and out[1].score == 2.0
    assert out[2].reason.startswith("Similar to the ")
    # No co-purchase and an index that cannot read the text: what similar members buy.
    index.text_weight = 0.0
    (only,) = explain(
        m, np.array([lantern]), np.array([1.0]), catalog=catalog, today=D(2024, 7, 1), index=index
    )
    assert only.kind == "cross_sell" and only.reason == "Members who buy what they buy often choose it."


def dormant(coupons: tuple[int, int] | None, discounted: bool, price: float, last: dt.date) -> MemberFacts:
    lines = [
        bought(TEALIGHTS, last - dt.timedelta(days=30 * n), price, discount=0.5 * discounted)
        for n in range(4)
    ]
    lines.append(bought(MUG, last - dt.timedelta(days=10), 7.0))
    offered, redeemed = coupons if coupons else (None, None)
    return member(*lines, coupons_offered=offered, coupons_redeemed=redeemed)


def test_reactivation_offer_for_a_price_sensitive_member_is_deep_but_bounded() -> None:
    m = dormant((5, 4), discounted=True, price=2.0, last=D(2024, 1, 1))  # candles median is £10
    offer = reactivation_offer(m, shop_catalog(), D(2024, 5, 1))
    assert offer is not None and offer.discount_percent % 5 == 0 and 20 <= offer.discount_percent <= 30
    assert offer.categories[0] == "candles" and offer.item_ids[0] == TEALIGHTS
    assert "redeemed 4 of 5 coupons (80%)" in offer.reasons
    assert "80% of purchases were discounted" in offer.reasons
    assert offer.text.startswith("Last visit 121 days ago; offer")
    assert offer.facts["days_since_last_purchase"] == 121


def test_reactivation_offer_for_a_full_price_member_is_the_minimum_with_its_reason() -> None:
    m = dormant((4, 0), discounted=False, price=14.0, last=D(2024, 1, 1))
    offer = reactivation_offer(m, shop_catalog(), D(2024, 4, 20), lang="zh")
    assert offer is not None and offer.discount_percent == 5
    assert "4张优惠券用了0张（0%）" in offer.reasons
    assert "95折" in offer.text and "蜡烛" in offer.text


def test_reactivation_offer_only_for_dormant_members_and_with_valid_bounds() -> None:
    catalog = shop_catalog()
    active = dormant(None, discounted=False, price=4.0, last=D(2024, 4, 1))
    assert reactivation_offer(active, catalog, D(2024, 4, 20)) is None
    assert reactivation_offer(member(), catalog, D(2024, 4, 20)) is None
    long_gone = reactivation_offer(active, catalog, D(2025, 4, 1))
    assert long_gone is not None and any("away over 180 days" in r for r in long_gone.reasons)
    capped = reactivation_offer(
        dormant((5, 5), True, 1.0, D(2023, 1, 1)), catalog, D(2024, 6, 1), max_percent=20
    )
    assert capped is not None and capped.discount_percent == 20
    with pytest.raises(ValueError, match="multiples of 5"):
        reactivation_offer(active, catalog, D(2025, 4, 1), min_percent=3)


def test_catalog_maps_ids_in_bulk_and_rejects_bad_input() -> None:
    catalog = shop_catalog()
    rows = catalog.rows([WHITE_LANTERN, 999, TEALIGHTS])
    assert rows[1] == -1 and catalog.ids[rows[0]] == WHITE_LANTERN and catalog.ids[rows[2]] == TEALIGHTS
    assert catalog.item(WHITE_LANTERN).names == {"en": "White lantern", "zh": "白色灯笼"}
    assert catalog.name(MUG, "zh") == "波点马克杯" and catalog.category_label("kitchen", "zh") == "厨房"
    with pytest.raises(CatalogError, match="not in the catalog"):
        catalog.item(999)
    with pytest.raises(CatalogError, match="unique"):
        Catalog([catalog.item(MUG), catalog.item(MUG)])
    with pytest.raises(CatalogError, match="prices has 1 values for 2 item ids"):
        Catalog.from_arrays(
            item_ids=[1, 2], skus=["a", "b"], names_en=["A", "B"], categories=["x", "x"], prices=[1]
        )


def test_items_not_yet_embedded_are_left_out_of_neighbours() -> None:
    catalog, encoder = shop_catalog(), FakeEncoder()
    held = catalog.ids[catalog.ids != WHITE_LANTERN]  # a new product the nightly job has not embedded yet
    index = CatalogIndex.build(held, encoder.encode([catalog.texts()[r] for r in catalog.rows(held)]))
    m = member(bought(WHITE_LANTERN, D(2024, 5, 1)), bought(MUG, D(2024, 5, 2)))
    out = explore(m, catalog, index, D(2024, 6, 15), k=3)
    assert len(out) == 3 and all(s.facts["anchor_item_id"] == MUG for s in out)


def test_a_member_whose_purchases_are_all_missing_from_the_index_still_gets_recommendations() -> None:
    catalog, encoder = shop_catalog(), FakeEncoder()
    held = catalog.ids[catalog.ids != WHITE_LANTERN]
    index = CatalogIndex.build(held, encoder.encode([catalog.texts()[r] for r in catalog.rows(held)]))
    m = member(bought(WHITE_LANTERN, D(2024, 5, 1)), bought(WHITE_LANTERN, D(2024, 6, 1)))
    assert explore(m, catalog, index, D(2024, 6, 15), k=3) == []
    out = explain(m, np.array([MUG]), np.array([1.0]), catalog=catalog, today=D(2024, 7, 1), index=index)
    assert [s.kind for s in out] == ["cross_sell"]  # nothing bought is in the index to be similar to
