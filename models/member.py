"""A member's facts as plain data, filled by the server: purchases, tier, points, birthday, locale.

Everything the clerk is told about a member is derived from these fields and nothing else, so a fact
left as None (no birthday on file, no coupon ever offered) is never talked about.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from models.catalog import Catalog


class Purchase(NamedTuple):
    """One purchased line: which item, on which day, how many, at what unit price and discount.

    An immutable tuple: a wholesaler's facts hold two thousand of these, built while the member is at
    the door, and a named tuple builds far faster than a frozen dataclass (docs/performance.md).
    """

    item_id: int
    day: dt.date
    quantity: int = 1
    unit_price: float = 0.0  # what the member paid per unit, discount included
    discount: float = 0.0  # the line's discount amount (0 when bought at full price)
    coupon: bool = False  # paid partly with a coupon

    @property
    def discounted(self) -> bool:
        """True when the line was bought on a discount or with a coupon."""
        return self.discount > 0 or self.coupon


@dataclass(frozen=True)
class PurchaseHistory:
    """A member's purchases per distinct item as sorted arrays (what ranking needs, computed once)."""

    items: np.ndarray  # int64 distinct item ids, ascending
    last_day: np.ndarray  # int64 ordinal of the latest purchase day of each item
    days_bought: np.ndarray  # int64 number of distinct days each item was bought on
    median_gap: np.ndarray  # float64 median days between those days (nan when bought on one day)

    @classmethod
    def of(cls, purchases: tuple[Purchase, ...]) -> PurchaseHistory:
        """Group purchase lines by item: distinct days, the latest one, and the median gap between them."""
        items = np.fromiter((p.item_id for p in purchases), dtype=np.int64, count=len(purchases))
        days = np.fromiter((p.day.toordinal() for p in purchases), dtype=np.int64, count=len(purchases))
        order = np.lexsort((days, items))
        items, days = items[order], days[order]
        distinct = np.ones(len(items), dtype=bool)
        distinct[1:] = (items[1:] != items[:-1]) | (days[1:] != days[:-1])
        items, days = items[distinct], days[distinct]
        ids, start, count = np.unique(items, return_index=True, return_counts=True)
        same = items[1:] == items[:-1]
        gap_item = np.searchsorted(ids, items[1:][same])
        gaps = (days[1:] - days[:-1])[same]
        order = np.lexsort((gaps, gap_item))
        gaps, gap_item = gaps[order], gap_item[order]
        median = np.full(len(ids), np.nan)
        has_gap = count > 1
        gap_start = np.concatenate([[0], np.cumsum(count - 1)])[:-1][has_gap]
        n_gaps = (count - 1)[has_gap]
        lo, hi = gap_start + (n_gaps - 1) // 2, gap_start + n_gaps // 2
        median[has_gap] = (gaps[lo] + gaps[hi]) / 2.0
        return cls(ids, days[start + count - 1], count.astype(np.int64), median)


@dataclass(frozen=True)
class MemberFacts:
    """What the store knows about one member; None means "not on file", never "zero"."""

    member_id: int
    name: str
    locale: str = "en"
    purchases: tuple[Purchase, ...] = ()
    birthday: dt.date | None = None
    tier: str | None = None
    next_tier: str | None = None
    spend_to_next_tier: float | None = None  # spend still needed to reach next_tier
    points_balance: int | None = None
    points_expiring: int | None = None  # points that lapse on points_expire_on
    points_expire_on: dt.date | None = None
    coupons_offered: int | None = None
    coupons_redeemed: int | None = None
    # The open coupon that lapses first: (name in Chinese, name in English, last valid day).
    expiring_coupon: tuple[str, str, dt.date] | None = None

    @cached_property
    def history(self) -> PurchaseHistory:
        """Per-item purchase arrays, computed on first use."""
        return PurchaseHistory.of(self.purchases)

    def last_purchase_day(self) -> dt.date | None:
        """The day of the most recent purchase, None for a member who never bought."""
        return max((p.day for p in self.purchases), default=None)

    def days_since_last_purchase(self, today: dt.date) -> int | None:
        """Whole days since the latest purchase (None when there is none)."""
        last = self.last_purchase_day()
        return None if last is None else (today - last).days

    def item_days(self) -> Mapping[int, tuple[dt.date, ...]]:
        """Each bought item's distinct purchase days, oldest first (read-only, computed once)."""
        return self._item_days

    @cached_property
    def _item_days(self) -> Mapping[int, tuple[dt.date, ...]]:
        # A talking point, a reactivation offer and its top items all ask; a wholesaler has 2,000 lines.
        days: dict[int, set[dt.date]] = defaultdict(set)
        for p in self.purchases:
            days[p.item_id].add(p.day)
        return MappingProxyType({item: tuple(sorted(d)) for item, d in days.items()})

    def item_quantities(self) -> Mapping[int, int]:
        """Units bought of each item (read-only, computed once)."""
        return self._item_quantities

    @cached_property
    def _item_quantities(self) -> Mapping[int, int]:
        count: Counter[int] = Counter()
        for p in self.purchases:
            count[p.item_id] += p.quantity
        return MappingProxyType(dict(count))


def top_categories(member: MemberFacts, catalog: Catalog, n: int = 3) -> list[tuple[str, int]]:
    """The member's categories by number of distinct purchase days (ties by name), with those counts."""
    visits: dict[str, set[dt.date]] = defaultdict(set)
    rows = catalog.rows([p.item_id for p in member.purchases])
    for p, r in zip(member.purchases, rows, strict=True):
        if r >= 0:
            visits[catalog.categories[catalog.category_codes[r]]].add(p.day)
    ranked = sorted(((c, len(d)) for c, d in visits.items()), key=lambda cd: (-cd[1], cd[0]))
    return ranked[:n]


def top_items(member: MemberFacts, catalog: Catalog, category: str | None = None, n: int = 3) -> list[int]:
    """The member's most bought catalog items (by distinct days, units, id), optionally in one category."""
    days = member.item_days()
    units = member.item_quantities()
    bought = np.fromiter(days, dtype=np.int64, count=len(days))
    rows = catalog.rows(bought)
    keep = rows >= 0
    if category is not None:
        code = catalog.categories.index(category) if category in catalog.categories else -1
        keep &= catalog.category_codes[np.maximum(rows, 0)] == code
    ids = [int(i) for i in bought[keep]]
    return sorted(ids, key=lambda i: (-len(days[i]), -units[i], i))[:n]


@dataclass(frozen=True)
class PriceSensitivity:
    """Signals of how much a member responds to price; each is None when there is nothing to judge by."""

    coupon_rate: float | None  # coupons redeemed / offered
    discounted_share: float | None  # share of purchase lines bought on a discount or coupon
    price_index: float | None  # median of (paid unit price / category median price); < 1 = cheaper items
    coupons_offered: int | None
    coupons_redeemed: int | None


def price_sensitivity(member: MemberFacts, catalog: Catalog) -> PriceSensitivity:
    """Coupon redemption rate, share of discounted purchases and price band against category medians."""
    offered, redeemed = member.coupons_offered, member.coupons_redeemed
    coupon_rate = None
    if offered and redeemed is not None:
        coupon_rate = min(redeemed / offered, 1.0)
    lines = list(member.purchases)
    discounted_share = sum(p.discounted for p in lines) / len(lines) if lines else None
    rows = catalog.rows([p.item_id for p in lines])
    medians = catalog.category_median_prices()
    ratios = [
        p.unit_price / medians[catalog.category_codes[r]]
        for p, r in zip(lines, rows, strict=True)
        if r >= 0 and p.unit_price > 0 and medians[catalog.category_codes[r]] > 0
    ]
    return PriceSensitivity(
        coupon_rate=coupon_rate,
        discounted_share=discounted_share,
        price_index=float(np.median(ratios)) if ratios else None,
        coupons_offered=offered,
        coupons_redeemed=redeemed,
    )
