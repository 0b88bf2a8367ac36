"""Cold start: best-sellers and trending items per store, in a member's interests, with reasons to say."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest

from models.candidates import Suggestion
from models.catalog import Catalog, CatalogItem
from models.member import MemberFacts, Purchase
from models.popularity import MIN_SCOPE_SALES, Popularity, fill_popular, interests_from_tags

TODAY = dt.date(2025, 6, 1)
HERE, QUIET = 1, 2  # a busy store, and one that sold almost nothing
# id: (English name, Chinese name, category)
ITEMS = {
    1: ("Tieguanyin tin", "铁观音罐装", "tea"),
    2: ("Longjing", "龙井", "tea"),
    3: ("Pu'er cake", "普洱茶饼", "tea"),
    4: ("Jasmine tea", "茉莉花茶", "tea"),
    10: ("Celadon cup", "青瓷杯", "cups"),
    11: ("Glass teapot", "玻璃茶壶", "cups"),
    20: ("Sesame snack", "芝麻糖", "snacks"),
    21: ("Dried plums", "话梅", "snacks"),
}
LABELS = {"tea": {"en": "Tea", "zh": "茶叶"}, "cups": {"en": "Teaware", "zh": "茶具"}}


def catalog(without: tuple[int, ...] = ()) -> Catalog:
    return Catalog(
        [
            CatalogItem(i, f"SKU{i}", {"en": en, "zh": zh}, cat, 10.0 + i)
            for i, (en, zh, cat) in ITEMS.items()
            if i not in without
        ],
        category_names=LABELS,
        currency="¥",
    )


_receipts = itertools.count(1)


def sold(store: int, item: int, times: int, days_ago: int = 0, quantity: int = 1) -> list[tuple[int, ...]]:
    """`times` receipts of `item` in `store`, one a day from `days_ago` days before TODAY backwards."""
    return [(store, item, next(_receipts), TODAY.toordinal() - days_ago - n, quantity) for n in range(times)]


def popularity(lines: list[tuple[int, ...]], cat: Catalog | None = None, **kw: object) -> Popularity:
    a = np.array(lines, dtype=np.int64).reshape(-1, 5)
    return Popularity.from_lines(
        cat or catalog(),
        stores=a[:, 0],
        items=a[:, 1],
        baskets=a[:, 2],
        days=a[:, 3],
        quantities=a[:, 4],
        as_of=TODAY,
        **kw,  # type: ignore[arg-type]
    )


# This month in the busy store: snacks sell most overall; among teas, Longjing then Tieguanyin.
BUSY = (
    sold(HERE, 20, 12)
    + sold(HERE, 21, 9)
    + sold(HERE, 2, 8)
    + sold(HERE, 1, 6)
    + sold(HERE, 10, 4)
    + sold(HERE, 3, 1)  # one sale is no best-seller
    + sold(QUIET, 4, 1)
    + sold(QUIET, 11, 1)
)
NEWCOMER = MemberFacts(member_id=7, name="Mei", locale="zh-CN")


def fill(pop: Popularity, store: int | None = HERE, k: int = 3, **kw: object) -> list[Suggestion]:
    return fill_popular([], NEWCOMER, catalog(), pop, store_id=store, k=k, **kw)  # type: ignore[arg-type]


def test_a_new_member_gets_this_stores_best_sellers_in_their_interests_first_with_the_reason() -> None:
    found = fill(popularity(BUSY), interests=["tea"], lang="zh")
    assert [s.item_id for s in found] == [2, 1, 20]  # the teas that sold twice or more, then overall
    assert [s.kind for s in found] == ["popular"] * 3
    assert found[0].reason == "本店这个月最畅销的茶叶之一。"
    assert found[2].reason == "本店这个月最畅销的商品之一。"
    assert found[0].facts["interest"] == "tea" and found[0].facts["sales"] == 8
    assert found[0].facts["scope"] == "store" and found[0].facts["window_days"] == 30
    english = fill(popularity(BUSY), interests=["tea"], lang="en")
    assert english[0].reason == "One of this store's best-sellers in Tea this month."
    assert english[2].reason == "One of this store's best-sellers this month."
    assert found[0].score > found[1].score > found[2].score > 0


def test_without_interests_the_stores_overall_best_sellers() -> None:
    found = fill(popularity(BUSY), k=4, lang="en")
    assert [s.item_id for s in found] == [20, 21, 2, 1]
    assert all(s.reason == "One of this store's best-sellers this month." for s in found)


def test_several_interests_take_turns() -> None:
    found = fill(popularity(BUSY), interests=["cups", "tea"], k=3)
    assert [s.item_id for s in found] == [10, 2, 1]


def test_a_store_that_sold_too_little_is_served_the_chains_best_sellers() -> None:
    pop = popularity(BUSY)
    assert pop.ranking(QUIET) is pop.chain()  # a jasmine tea and a cup are not a ranking
    for store in (QUIET, 99, None):  # quiet, a store with no sale at all, no store known
        found = fill(pop, store=store, k=2, lang="en")
        assert [s.item_id for s in found] == [20, 21]
        assert found[0].reason == "One of our best-sellers across all stores this month."
        assert found[0].facts["scope"] == "chain" and "store_id" not in found[0].facts
    zh = fill(pop, store=QUIET, interests=["tea"], k=1, lang="zh")
    assert zh[0].reason == "全部门店这个月最畅销的茶叶之一。"


def test_interests_the_store_barely_sells_come_from_the_chain_before_the_stores_overall() -> None:
    pop = popularity(BUSY + sold(QUIET, 4, 3, days_ago=5))  # jasmine tea sells across the chain, not here
    found = fill(pop, interests=["tea"], k=4, lang="en")
    assert [s.item_id for s in found] == [2, 1, 4, 20]
    assert found[2].reason == "One of our best-sellers in Tea across all stores this month."


def test_a_quiet_month_widens_to_three_months() -> None:
    old = sold(HERE, 2, MIN_SCOPE_SALES, days_ago=40) + sold(HERE, 1, 3, days_ago=70)
    pop = popularity(old + sold(HERE, 1, 2))
    here = pop.ranking(HERE)
    assert here is not None and here.store_id == HERE and here.window_days == 90
    found = fill(pop, k=2, lang="en")
    assert [s.item_id for s in found] == [2, 1]
    assert found[0].reason == "One of this store's best-sellers over the last three months."
    assert fill(pop, k=1, lang="zh")[0].reason == "本店近三个月最畅销的商品之一。"


def test_a_rising_item_trends_but_noise_does_not() -> None:
    rising = sold(HERE, 4, 6) + sold(HERE, 4, 1, days_ago=40)  # 6 sales this month, 1 the month before
    noise = sold(HERE, 3, 3)  # 3 after none: too few to call a trend
    # Snacks and the two teas sell as they did the month before.
    steady = [
        line for item, n in ((20, 12), (21, 9), (2, 8), (1, 6)) for line in sold(HERE, item, n, days_ago=35)
    ]
    pop = popularity(BUSY + rising + noise + steady)
    here = pop.ranking(HERE)
    assert here is not None
    assert here.ids[here.trending()].tolist() == [4]
    found = fill(pop, k=3, lang="en")
    assert [(s.item_id, s.kind) for s in found] == [(20, "popular"), (21, "popular"), (4, "trending")]
    assert found[2].reason == (
        "Trending here: sales up lately (6 sales in the last 30 days, 1 in the 30 before)."
    )
    assert found[2].facts["sales_last_30_days"] == 6 and found[2].facts["sales_30_days_before"] == 1
    zh = fill(pop, k=3, lang="zh")[2].reason
    assert zh.startswith("最近很受欢迎，销量上升") and "6笔" in zh


def test_nothing_trends_without_a_month_before_to_compare_with() -> None:
    here = popularity(BUSY + sold(HERE, 4, 6)).ranking(HERE)  # all of it sold this month only
    assert here is not None and len(here.trending()) == 0


def test_inactive_and_out_of_stock_items_never_appear() -> None:
    inactive = catalog(without=(20,))  # the catalog holds active merchandise only
    out_of_stock = {21}
    pop = popularity(BUSY, inactive, sellable=lambda ids: ~np.isin(ids, list(out_of_stock)))
    found = fill_popular([], NEWCOMER, inactive, pop, store_id=HERE, k=10)
    assert [s.item_id for s in found] == [2, 1, 10]
    assert not {20, 21} & {s.item_id for s in found}


def test_a_member_with_enough_of_their_own_keeps_them_unchanged() -> None:
    own = [Suggestion(i, 0.9 - i / 100, "replenish", "due") for i in (1, 2, 3)]
    member = MemberFacts(member_id=8, name="Li", purchases=(Purchase(1, TODAY), Purchase(2, TODAY)))
    assert fill_popular(own, member, catalog(), popularity(BUSY), store_id=HERE, k=3) == own


def test_a_member_with_too_few_gets_the_rest_after_their_own_never_what_they_bought() -> None:
    own = [Suggestion(10, 0.05, "cross_sell", "together")]
    member = MemberFacts(member_id=8, name="Li", purchases=(Purchase(2, TODAY - dt.timedelta(days=3)),))
    found = fill_popular(own, member, catalog(), popularity(BUSY), store_id=HERE, k=4, lang="en")
    assert found[0] == own[0]
    # Their own category (tea) first, then the store's overall; never the Longjing they bought.
    assert [s.item_id for s in found[1:]] == [1, 20, 21]
    assert all(s.score < 0.05 for s in found[1:])


def test_no_sales_anywhere_means_nothing_to_fill_with() -> None:
    pop = popularity([])
    assert pop.chain() is None and fill(pop) == []
    assert fill_popular([], NEWCOMER, catalog(), None, store_id=HERE, k=3) == []


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["tea"], ["tea"]),
        (["茶叶", "VIP"], ["tea"]),
        (["Teaware", "interest: tea", "TEA"], ["cups", "tea"]),
        (["兴趣：茶具"], ["cups"]),
        (["big spender", "snacks"], ["snacks"]),
        ([], []),
    ],
)
def test_tags_that_name_a_category_are_interests(tags: list[str], expected: list[str]) -> None:
    assert interests_from_tags(tags, catalog()) == expected
