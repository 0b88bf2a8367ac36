"""Two years of demo purchases: per-member visit rhythms, seasonal peaks, baskets, coupons and returns."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from server.demo.catalog_data import CATEGORIES
from server.demo.generator import (
    CENT,
    HISTORY_DAYS,
    REF_PREFIX,
    GenLine,
    GenMember,
    GenProduct,
    GenTransaction,
)
from server.demo.people_data import DemoStore
from server.demo.seasons import seasons_on, visit_boost

MAX_BOOST = 2.8 * 1.3
RATES = {
    "regular": (22, 50),
    "occasional": (70, 150),
    "lapsed": (25, 60),
    "big_spender": (9, 18),
    "new": (20, 60),
}
HOUR_WEIGHTS = (3, 5, 7, 8, 9, 9, 8, 7, 7, 8, 6, 3)  # 10:00 to 21:00 local
RETURN_RATE = 0.025
CONSUMABLE = {c.key for c in CATEGORIES if c.consumable}
# A coupon or member-day deal: (code or None, share off, or amount off); None when nothing applies.
Deal = tuple[str | None, Decimal | None, Decimal | None] | None


@dataclass
class _Draft:
    store: int
    member: int | None
    at: datetime
    lines: list[GenLine]
    kind: str = "sale"
    coupon: str | None = None
    original: _Draft | None = None
    originals: list[int] = field(default_factory=list)  # line index in `original` per return line


class _History:
    """Builds the transactions of the whole chain, member by member, then sorts them in time."""

    def __init__(
        self,
        rng: random.Random,
        stores: tuple[DemoStore, ...],
        products: tuple[GenProduct, ...],
        now: datetime,
    ) -> None:
        self.rng, self.stores, self.products, self.now = rng, stores, products, now
        self.origin = now.date() - timedelta(days=HISTORY_DAYS)
        self.zones = [ZoneInfo(s.timezone) for s in stores]
        self.by_category: dict[str, list[int]] = {c.key: [] for c in CATEGORIES}
        for index, product in enumerate(products):
            self.by_category[product.category].append(index)
        self.drafts: list[_Draft] = []
        self.birthday_treats: set[tuple[int, int]] = set()
        self.shelves: dict[tuple[str, date, bool], tuple[list[int], list[float]]] = {}

    def moment(self, store: int, day: date) -> datetime:
        """A time on `day` while the store is open, busiest in the afternoon and after work, in UTC."""
        hour = self.rng.choices(range(10, 22), weights=HOUR_WEIGHTS)[0]
        local = datetime.combine(day, time(hour, self.rng.randrange(60), self.rng.randrange(60)))
        return local.replace(tzinfo=self.zones[store]).astimezone(UTC)

    def pick_product(self, category: str, day: date, big: bool) -> int | None:
        """A product of `category` on sale on `day`; big spenders lean to the dearer ones."""
        shelf = self.shelves.get((category, day, big))
        if shelf is None:
            seasons = seasons_on(day)
            candidates = [
                i for i in self.by_category[category]
                if self.products[i].first_seen <= day
                and (category != "seasonal" or self.products[i].season in seasons)
            ]  # fmt: skip
            alpha = 0.6 if big else -0.4
            cumulative = list(accumulate(float(self.products[i].price) ** alpha for i in candidates))
            shelf = self.shelves[(category, day, big)] = (candidates, cumulative)
        if not shelf[0]:
            return None
        return self.rng.choices(shelf[0], cum_weights=shelf[1])[0]

    def basket(self, day: date, store: int, member: GenMember | None, staples: dict[str, int]) -> list[int]:
        rng = self.rng
        big = member is not None and member.persona == "big_spender"
        size = (
            rng.choices((2, 3, 4, 5, 6), weights=(30, 30, 20, 12, 8))[0]
            if big
            else rng.choices((1, 2, 3, 4), weights=(45, 30, 15, 10))[0]
        )
        favourites = member.favourites if member else ()
        active = bool(seasons_on(day))
        weights = [
            c.popularity * (6 if c.key in favourites else 1) * (4 if active else 0) if c.key == "seasonal"
            else c.popularity * (6 if c.key in favourites else 1)
            for c in CATEGORIES
        ]  # fmt: skip
        chosen: list[int] = []
        for key, product in staples.items():  # the candle or tea they always come back for
            if key in favourites and rng.random() < 0.55 and len(chosen) < size:
                chosen.append(product)
        while len(chosen) < size:
            category = rng.choices(CATEGORIES, weights=weights)[0].key
            picked = self.pick_product(category, day, big)
            if picked is not None and picked not in chosen:
                chosen.append(picked)
        return chosen

    def price(self, store: int, product: int) -> Decimal:
        item = self.products[product]
        return item.price if self.stores[store].currency == "CNY" else item.price_gbp

    def coupon(
        self, day: date, store: int, member: GenMember, m_index: int, first: bool, gross: Decimal
    ) -> Deal:
        """The coupon (code, percent off, amount off) used on this visit, if any."""
        rng, cny = self.rng, self.stores[store].currency == "CNY"
        if first and (day - member.joined_on).days < 30 and rng.random() < 0.5:
            return "WELCOME10", Decimal("0.10"), None
        born = member.birthday
        if born and born.month == day.month and (m_index, day.year) not in self.birthday_treats:
            if rng.random() < 0.45:
                self.birthday_treats.add((m_index, day.year))
                return "BIRTHDAY15", Decimal("0.15"), None
        if cny and day.month == 11 and day.day <= 11 and rng.random() < 0.35:
            return "DOUBLE11", Decimal("0.11"), None
        if cny and "mid_autumn" in seasons_on(day) and gross >= 300 and rng.random() < 0.3:
            return "MIDAUTUMN30", None, Decimal("30")
        if not cny and day.month == 12 and day.day <= 24 and rng.random() < 0.2:
            return "XMAS10", Decimal("0.10"), None
        if gross >= (300 if cny else 30) and rng.random() < 0.04:
            return ("VIP50", None, Decimal("50")) if cny else ("VIP5", None, Decimal("5"))
        if day.weekday() == 5 and day.day <= 7 and rng.random() < 0.6:  # monthly member day, no code needed
            return None, Decimal("0.05"), None
        return None

    def lines(
        self, store: int, products: list[int], off_rate: Decimal | None, off: Decimal | None
    ) -> list[GenLine]:
        """Lines with the discount spread over them in proportion to their value (cents to the last)."""
        rng = self.rng
        gross_lines: list[tuple[int, int, Decimal]] = []
        for product in products:
            consumable = self.products[product].category in CONSUMABLE
            qty = (
                rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
                if consumable
                else rng.choices((1, 2), (90, 10))[0]
            )
            gross_lines.append((product, qty, self.price(store, product)))
        gross = sum((q * p for _, q, p in gross_lines), Decimal(0))
        total_off = (gross * off_rate).quantize(CENT) if off_rate else min(off or Decimal(0), gross)
        result: list[GenLine] = []
        left = total_off
        for n, (product, qty, price) in enumerate(gross_lines):
            line_gross = (qty * price).quantize(CENT)
            share = left if n == len(gross_lines) - 1 else (total_off * line_gross / gross).quantize(CENT)
            share = min(share, line_gross, left)
            left -= share
            result.append(GenLine(product, qty, price, line_gross - share, share))
        return result

    def visits(self, m_index: int, member: GenMember) -> None:
        rng, today = self.rng, self.now.date()
        low, high = RATES[member.persona]
        rate = 1 / rng.uniform(low, high)
        start = max(member.joined_on, self.origin)
        end = today
        if member.persona == "lapsed":
            end = today - timedelta(days=rng.randint(183, 365))
        staples = {}
        for key in member.favourites:
            if key in CONSUMABLE:
                staples[key] = rng.choice(self.by_category[key])
        country = self.stores[member.store].country
        span = (end - start).days
        offset = 0.0 if member.joined_on >= self.origin else rng.expovariate(rate * MAX_BOOST)
        first = member.joined_on >= self.origin
        while offset <= span:
            day = start + timedelta(days=int(offset))
            if first or rng.random() < visit_boost(day, country) / MAX_BOOST:
                self.sale(day, m_index, member, staples, first)
                first = False
            offset += rng.expovariate(rate * MAX_BOOST)

    def sale(self, day: date, m_index: int, member: GenMember, staples: dict[str, int], first: bool) -> None:
        rng = self.rng
        store = member.store
        if rng.random() < 0.08:  # now and then they shop at another store in the same country
            same = [i for i, s in enumerate(self.stores) if s.country == self.stores[store].country]
            store = rng.choice(same)
        at = self.moment(store, day)
        if at > self.now:
            return
        products = self.basket(day, store, member, staples)
        gross = sum((self.price(store, p) for p in products), Decimal(0))
        deal = self.coupon(day, store, member, m_index, first, gross)
        code, rate, off = deal if deal else (None, None, None)
        draft = _Draft(store, m_index, at, self.lines(store, products, rate, off), coupon=code)
        self.drafts.append(draft)
        if rng.random() < RETURN_RATE:
            self.take_back(draft)

    def take_back(self, sale: _Draft) -> None:
        """A return some days later of part of one line, as negative quantities linked to that line."""
        at = sale.at + timedelta(days=self.rng.randint(1, 14), hours=self.rng.uniform(-3, 3))
        if at > self.now:
            return
        index = self.rng.randrange(len(sale.lines))
        line = sale.lines[index]
        qty = self.rng.randint(1, line.quantity)
        discount = (line.discount * qty / line.quantity).quantize(CENT)
        amount = (line.unit_price * qty).quantize(CENT) - discount
        back = GenLine(line.product, -qty, line.unit_price, -amount, -discount)
        self.drafts.append(
            _Draft(sale.store, sale.member, at, [back], "return", original=sale, originals=[index])
        )

    def anonymous(self) -> None:
        """Walk-in sales without a member card, a few a day in every store."""
        rng = self.rng
        for number in range(HISTORY_DAYS + 1):
            day = self.origin + timedelta(days=number)
            for store, info in enumerate(self.stores):
                expected = 9 * info.share * visit_boost(day, info.country)
                clock = rng.expovariate(expected)
                while clock < 1:
                    at = self.moment(store, day)
                    if at <= self.now:
                        products = self.basket(day, store, None, {})[:2]
                        self.drafts.append(_Draft(store, None, at, self.lines(store, products, None, None)))
                    clock += rng.expovariate(expected)

    def finish(self) -> tuple[GenTransaction, ...]:
        self.drafts.sort(key=lambda d: (d.at, d.kind))
        position = {id(d): n for n, d in enumerate(self.drafts)}
        result: list[GenTransaction] = []
        for n, d in enumerate(self.drafts):
            lines = tuple(d.lines)
            original = position[id(d.original)] if d.original else None
            if original is not None:
                lines = tuple(
                    GenLine(x.product, x.quantity, x.unit_price, x.amount, x.discount, (original, i))
                    for x, i in zip(lines, d.originals, strict=True)
                )
            total = sum((x.amount for x in lines), Decimal(0))
            discount = sum((x.discount for x in lines), Decimal(0))
            key = f"{REF_PREFIX}:T{n + 1:06d}"
            result.append(
                GenTransaction(
                    key, d.store, d.member, d.at, d.kind, lines, discount, total, d.coupon, original
                )
            )
        return tuple(result)


def generate_history(
    rng: random.Random,
    stores: tuple[DemoStore, ...],
    products: tuple[GenProduct, ...],
    members: tuple[GenMember, ...],
    now: datetime,
) -> tuple[GenTransaction, ...]:
    """Every member's visits and baskets, walk-in sales and returns, ending at `now`."""
    history = _History(rng, stores, products, now.astimezone(UTC))
    for index, member in enumerate(members):
        history.visits(index, member)
    history.anonymous()
    return history.finish()
