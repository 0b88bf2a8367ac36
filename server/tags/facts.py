"""The member facts tag rules can name, and how they are computed from a member's plain rows.

`aggregate` turns one member's transactions and lines into `MemberAggregates`; the set-based retag builds
the same aggregates for every member with a few SQL queries. `member_facts` turns aggregates into the
fact values rules see. Windows end at `now`: "30 days" means `occurred_at >= now - 30 days`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from server.db.base import money
from server.signals.dormancy import dormancy
from server.signals.persona import PersonaInputs, persona
from server.tags.rules import FactSpec, FactType

WINDOWS = (30, 90, 365)
NEW_PRODUCT_DAYS = 60
N, S, B, D, L = FactType.NUMBER, FactType.STRING, FactType.BOOL, FactType.DATE, FactType.STRING_LIST

FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in [
        *(
            FactSpec(f"spend_{d}d", N, f"Net spend over the last {d} days (returns deducted)")
            for d in WINDOWS
        ),
        *(FactSpec(f"visits_{d}d", N, f"Days with a purchase over the last {d} days") for d in WINDOWS),
        FactSpec("purchases_365d", N, "Sales over the last 365 days"),
        FactSpec("average_basket_365d", N, "Net spend per sale over the last 365 days"),
        FactSpec("days_since_last_purchase", N, "Days since the last sale (unknown if none)"),
        FactSpec("last_purchase_date", D, "Day of the last sale (UTC)"),
        FactSpec("favourite_categories", L, "Up to three categories with the most spend over 365 days"),
        FactSpec("categories_365d", L, "Every category bought over the last 365 days"),
        FactSpec("price_index", N, "Price paid / median list price of the same categories (1 = usual)"),
        FactSpec("price_band", S, "budget (index < 0.85), mid, or premium (index > 1.15)"),
        FactSpec(
            "coupon_redemption_rate",
            N,
            "Share of the coupons issued to the member in 365 days that were used (unknown without coupons)",
        ),
        FactSpec(
            "new_product_share",
            N,
            f"Share of 365-day spend on products in their first {NEW_PRODUCT_DAYS} days",
        ),
        FactSpec("heat_index", N, "Engagement 0-100 from visits, purchases, interactions and replies"),
        FactSpec("tier", S, "Current tier name"),
        FactSpec("points_balance", N, "Points the member can spend"),
        FactSpec("birthday_month", N, "Month of birth, 1-12 (unknown if not on file)"),
        FactSpec("is_birthday_month", B, "Whether this is the member's birthday month"),
        FactSpec("joined_on", D, "Day the member joined"),
        FactSpec("gender", S, "female, male, other or unknown"),
        FactSpec(
            "persona", S, "price-sensitive, quality-seeking, novelty-seeking, balanced or not enough history"
        ),
        FactSpec("dormancy", S, "active, at_risk (over 90 days), dormant (over 180 days) or never_purchased"),
    ]
}


@dataclass
class CategoryTotals:
    """One member's purchases in one category over 365 days."""

    amount: Decimal = Decimal("0")
    quantity: int = 0
    new_amount: Decimal = Decimal("0")


@dataclass
class MemberAggregates:
    """Everything the facts are computed from, for one member."""

    joined_on: date
    birthday: date | None = None
    gender: str = "unknown"
    tier: str = "new"
    points_balance: int = 0
    heat_index: int = 0
    spend: dict[int, Decimal] = field(default_factory=lambda: {d: Decimal("0") for d in WINDOWS})
    visits: dict[int, int] = field(default_factory=lambda: {d: 0 for d in WINDOWS})
    sales_365: int = 0
    coupon_sales_365: int = 0
    coupons_issued_365: int = 0
    coupons_redeemed_365: int = 0
    last_purchase: date | None = None
    categories: dict[str, CategoryTotals] = field(default_factory=dict)


@dataclass(frozen=True)
class TransactionRow:
    """A member's transaction as stored: kind sale / return / adjustment, total signed or not."""

    id: int
    occurred_at: datetime
    kind: str
    total_amount: Decimal
    coupon: bool  # paid with a coupon code or a discount


@dataclass(frozen=True)
class LineRow:
    """A transaction line with its product's category and first day on sale."""

    transaction_id: int
    amount: Decimal
    quantity: int
    category: str
    merchandise: bool
    first_seen_at: datetime | None


def signed(kind: str, amount: Decimal) -> Decimal:
    """A sale counts positive, a return negative whatever sign it was stored with; anything else zero."""
    return abs(amount) if kind == "sale" else -abs(amount) if kind == "return" else Decimal("0")


def launched_after(catalog_start: datetime | None) -> datetime | None:
    """Products first seen before this were maybe on sale before the catalogue began: never "new"."""
    return None if catalog_start is None else catalog_start + timedelta(days=NEW_PRODUCT_DAYS)


def aggregate(
    base: MemberAggregates,
    transactions: Iterable[TransactionRow],
    lines: Iterable[LineRow],
    now: datetime,
    catalog_start: datetime | None = None,
) -> MemberAggregates:
    """Fill `base` with the windowed totals of one member's transactions and lines."""
    launched = launched_after(catalog_start)
    starts = {d: now - timedelta(days=d) for d in WINDOWS}
    days: dict[int, set[date]] = {d: set() for d in WINDOWS}
    kinds: dict[int, tuple[str, datetime]] = {}
    for t in transactions:
        if t.occurred_at > now:
            continue
        kinds[t.id] = (t.kind, t.occurred_at)
        if t.kind == "sale":
            day = t.occurred_at.date()
            base.last_purchase = max(base.last_purchase or day, day)
        for d, start in starts.items():
            if t.occurred_at >= start:
                base.spend[d] += signed(t.kind, t.total_amount)
                if t.kind == "sale":
                    days[d].add(t.occurred_at.date())
        if t.kind == "sale" and t.occurred_at >= starts[365]:
            base.sales_365 += 1
            base.coupon_sales_365 += t.coupon
    base.visits = {d: len(v) for d, v in days.items()}
    year_ago, fresh = starts[365], timedelta(days=NEW_PRODUCT_DAYS)
    categories = base.categories
    for line in lines:
        kind, at = kinds.get(line.transaction_id, ("", now))
        if kind not in ("sale", "return") or at < year_ago or not line.merchandise:
            continue
        totals = categories.get(line.category)
        if totals is None:
            totals = categories[line.category] = CategoryTotals()
        amount = signed(kind, line.amount)
        totals.amount += amount
        totals.quantity += abs(line.quantity) if kind == "sale" else -abs(line.quantity)
        seen = line.first_seen_at
        if seen is not None and at - seen < fresh and (launched is None or seen >= launched):
            totals.new_amount += amount
    return base


def price_index(categories: Mapping[str, CategoryTotals], medians: Mapping[str, Decimal]) -> float | None:
    """Paid price against the median list price of the same categories (None: nothing to compare)."""
    paid = reference = Decimal("0")
    for name, totals in categories.items():
        median = medians.get(name)
        if median and totals.quantity > 0 and totals.amount > 0:
            paid += totals.amount
            reference += median * totals.quantity
    return round(float(paid / reference), 3) if reference > 0 else None


def persona_inputs(agg: MemberAggregates, medians: Mapping[str, Decimal]) -> PersonaInputs:
    """The behaviour the shopping persona is judged on, from a member's aggregates."""
    bought = {k: v for k, v in agg.categories.items() if v.amount > 0}
    total = sum((v.amount for v in bought.values()), Decimal("0"))
    new_share = (
        float(sum((v.new_amount for v in bought.values()), Decimal("0")) / total) if total > 0 else 0.0
    )
    coupon_rate = agg.coupon_sales_365 / agg.sales_365 if agg.sales_365 else 0.0
    return PersonaInputs(agg.sales_365, coupon_rate, price_index(bought, medians), new_share, len(bought))


class _Member:
    """One member's aggregates with the derived values computed at most once, on first use."""

    def __init__(self, agg: MemberAggregates, today: date, medians: Mapping[str, Decimal]) -> None:
        self.agg, self.today, self.medians = agg, today, medians
        self._shape: PersonaInputs | None = None

    @property
    def shape(self) -> PersonaInputs:
        if self._shape is None:
            self._shape = persona_inputs(self.agg, self.medians)
        return self._shape

    def ranked(self) -> list[str]:
        bought = {k: v.amount for k, v in self.agg.categories.items() if v.amount > 0}
        return sorted(bought, key=lambda k: (-bought[k], k))

    def band(self) -> str | None:
        index = self.shape.price_index
        return None if index is None else "budget" if index < 0.85 else "premium" if index > 1.15 else "mid"


Getter = Callable[[_Member], Any]


def _spend(days: int) -> Getter:
    return lambda m: money(m.agg.spend[days])


def _visits(days: int) -> Getter:
    return lambda m: m.agg.visits[days]


GETTERS: dict[str, Getter] = {
    **{f"spend_{d}d": _spend(d) for d in WINDOWS},
    **{f"visits_{d}d": _visits(d) for d in WINDOWS},
    "purchases_365d": lambda m: m.agg.sales_365,
    "average_basket_365d": lambda m: money(m.agg.spend[365] / m.agg.sales_365) if m.agg.sales_365 else None,
    "days_since_last_purchase": lambda m: (
        (m.today - m.agg.last_purchase).days if m.agg.last_purchase else None
    ),
    "last_purchase_date": lambda m: m.agg.last_purchase,
    "favourite_categories": lambda m: m.ranked()[:3],
    "categories_365d": lambda m: sorted(m.ranked()),
    "price_index": lambda m: m.shape.price_index,
    "price_band": lambda m: m.band(),
    # None without coupons: a member never offered one is not "0% redeemed", and no rule fires on them.
    "coupon_redemption_rate": lambda m: (
        round(m.agg.coupons_redeemed_365 / m.agg.coupons_issued_365, 3) if m.agg.coupons_issued_365 else None
    ),
    "new_product_share": lambda m: round(m.shape.new_product_share, 3),
    "heat_index": lambda m: m.agg.heat_index,
    "tier": lambda m: m.agg.tier,
    "points_balance": lambda m: m.agg.points_balance,
    "birthday_month": lambda m: m.agg.birthday.month if m.agg.birthday else None,
    "is_birthday_month": lambda m: m.agg.birthday.month == m.today.month if m.agg.birthday else False,
    "joined_on": lambda m: m.agg.joined_on,
    "gender": lambda m: m.agg.gender,
    "persona": lambda m: persona(m.shape).label,
    "dormancy": lambda m: dormancy(m.agg.last_purchase, m.today).status,
}
# Which facts need which queries: a pass whose rules name none of them skips the query.
CATEGORY_FACTS = {
    "favourite_categories",
    "categories_365d",
    "price_index",
    "price_band",
    "new_product_share",
    "persona",
}
COUPON_FACTS = {"coupon_redemption_rate"}
TRANSACTION_FACTS = {
    *(f"spend_{d}d" for d in WINDOWS),
    *(f"visits_{d}d" for d in WINDOWS),
    "purchases_365d",
    "average_basket_365d",
    "days_since_last_purchase",
    "last_purchase_date",
    "persona",
    "dormancy",
}


def member_facts(
    agg: MemberAggregates, now: datetime, medians: Mapping[str, Decimal], names: Iterable[str] | None = None
) -> dict[str, Any]:
    """The fact values rules see for one member: all of them, or only `names`."""
    member = _Member(agg, now.date(), medians)
    return {name: GETTERS[name](member) for name in (FACTS if names is None else names)}
