"""Member facts: computed from plain rows, and the same from the set-based SQL on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from server.db.tables import Coupon, CouponTemplate
from server.tags.facts import (
    LineRow,
    MemberAggregates,
    TransactionRow,
    aggregate,
    member_facts,
)
from server.tags.service import compute_facts
from tests.server.loyalty.rows import Shop, at

NOW = datetime(2024, 6, 30, 12, tzinfo=UTC)
MEDIANS = {"home": Decimal("10"), "jewellery": Decimal("100"), "garden": Decimal("20")}


def test_facts_from_plain_rows() -> None:
    txns = [
        TransactionRow(1, at(2024, 6, 20), "sale", Decimal("150.00"), coupon=True),  # 10 days ago
        TransactionRow(2, at(2024, 6, 20, 15), "sale", Decimal("50.00"), coupon=False),  # same day: one visit
        TransactionRow(3, at(2024, 4, 2), "sale", Decimal("300.00"), coupon=False),  # 89 days ago
        TransactionRow(4, at(2024, 4, 1, 11), "sale", Decimal("1000.00"), coupon=True),  # 90 days + 1 h ago
        TransactionRow(5, at(2024, 6, 25), "return", Decimal("-20.00"), coupon=False),
        TransactionRow(6, at(2024, 7, 2), "sale", Decimal("999.00"), coupon=False),  # after now: ignored
        TransactionRow(7, at(2022, 1, 1), "sale", Decimal("75.00"), coupon=False),  # older than a year
    ]
    lines = [
        LineRow(1, Decimal("150.00"), 15, "home", True, first_seen_at=at(2024, 6, 1)),  # new product
        LineRow(2, Decimal("50.00"), 1, "jewellery", True, first_seen_at=at(2020, 1, 1)),
        LineRow(3, Decimal("300.00"), 2, "jewellery", True, first_seen_at=None),
        LineRow(4, Decimal("995.00"), 50, "garden", True, first_seen_at=None),
        LineRow(4, Decimal("5.00"), 1, "postage", False, first_seen_at=None),
        LineRow(5, Decimal("-20.00"), -2, "home", True, first_seen_at=at(2024, 6, 1)),
    ]
    base = MemberAggregates(
        joined_on=date(2021, 5, 1), birthday=date(1988, 6, 3), tier="loyal", heat_index=64
    )
    facts = member_facts(aggregate(base, txns, lines, NOW), NOW, MEDIANS)
    assert (facts["spend_30d"], facts["spend_90d"], facts["spend_365d"]) == (
        Decimal("180.00"),
        Decimal("480.00"),
        Decimal("1480.00"),
    )
    assert (facts["visits_30d"], facts["visits_90d"], facts["visits_365d"]) == (1, 2, 3)
    assert facts["purchases_365d"] == 4
    assert facts["average_basket_365d"] == Decimal("370.00")
    # No coupon was ever issued: the rate is unknown, not 0, and no rule on it fires.
    assert facts["coupon_redemption_rate"] is None
    assert facts["days_since_last_purchase"] == 10 and facts["last_purchase_date"] == date(2024, 6, 20)
    assert facts["favourite_categories"] == ["garden", "jewellery", "home"]
    # paid 130 + 350 + 995 against 13 x 10 + 3 x 100 + 50 x 20 = 1430
    assert facts["price_index"] == round(1475 / 1430, 3) and facts["price_band"] == "mid"
    assert facts["new_product_share"] == round(130 / 1475, 3)
    assert (facts["birthday_month"], facts["is_birthday_month"], facts["tier"]) == (6, True, "loyal")
    base.coupons_issued_365, base.coupons_redeemed_365 = 4, 3
    assert member_facts(base, NOW, MEDIANS, ["coupon_redemption_rate"]) == {"coupon_redemption_rate": 0.75}
    assert facts["heat_index"] == 64 and facts["dormancy"] == "active"
    assert facts["persona"] == "balanced"


def test_products_seen_in_the_catalogues_first_60_days_are_not_new() -> None:
    txns = [TransactionRow(1, at(2024, 3, 20), "sale", Decimal("100.00"), coupon=False)]
    lines = [
        LineRow(1, Decimal("60.00"), 1, "home", True, first_seen_at=at(2024, 2, 1)),  # catalogue began 1 Jan
        LineRow(1, Decimal("40.00"), 1, "home", True, first_seen_at=at(2024, 3, 5)),  # launched in March
    ]
    start = at(2024, 1, 1, 0)
    agg = aggregate(MemberAggregates(joined_on=date(2024, 1, 1)), txns, lines, NOW, catalog_start=start)
    assert agg.categories["home"].new_amount == Decimal("40.00")
    without = aggregate(MemberAggregates(joined_on=date(2024, 1, 1)), txns, lines, NOW)
    assert without.categories["home"].new_amount == Decimal("100.00")


def test_a_member_without_purchases() -> None:
    facts = member_facts(MemberAggregates(joined_on=date(2024, 1, 1)), NOW, MEDIANS)
    assert facts["days_since_last_purchase"] is None and facts["average_basket_365d"] is None
    assert (facts["dormancy"], facts["persona"], facts["price_band"]) == (
        "never_purchased",
        "not enough history",
        None,
    )


def test_the_set_based_facts_match_the_row_based_ones(session: Session) -> None:
    shop = Shop(session)
    ann, bob = shop.member(birthday=date(1988, 6, 3)), shop.member("Bob")
    home = shop.product("home", "10.00", first_seen=at(2024, 6, 1))
    ring = shop.product("jewellery", "100.00", first_seen=at(2020, 1, 1))
    shop.product("jewellery", "120.00")
    fee = shop.product("postage", "5.00", merchandise=False)
    first = shop.sale(ann, at(2024, 6, 20), [(home, 15, "10.00")], coupon="SUMMER")
    shop.sale(ann, at(2024, 6, 20, 15), [(ring, 1, "50.00"), (fee, 1, "5.00")])
    shop.sale(ann, at(2024, 4, 2), [(ring, 3, "100.00")], discount="30")
    shop.give_back(first, at(2024, 6, 25), {1: 2})
    shop.sale(ann, at(2024, 7, 2), [(ring, 1, "100.00")])  # after "now"
    shop.sale(bob, at(2023, 12, 1), [(home, 1, "10.00")])
    facts = compute_facts(session, NOW)
    a, b = facts[ann.id], facts[bob.id]
    assert (a["spend_30d"], a["spend_90d"], a["visits_90d"]) == (Decimal("185.00"), Decimal("485.00"), 2)
    # Sales paid with a code or a discount no longer count: only coupons issued and used do.
    assert a["coupon_redemption_rate"] is None and b["coupon_redemption_rate"] is None
    assert a["favourite_categories"] == ["jewellery", "home"]
    assert a["new_product_share"] == round(130 / 480, 3)
    # paid 130 + 350 against 13 x 10 + 4 x 110 (median of 100 and 120) = 570
    assert a["price_index"] == round(480 / 570, 3) and a["price_band"] == "budget"
    assert a["last_purchase_date"] == date(2024, 6, 20) and a["is_birthday_month"] is True
    # Ann: 2 purchases on one visit 10 days ago, 1 on a visit 89 days ago; Bob: one visit 212 days ago.
    assert (a["heat_index"], b["heat_index"]) == (36, 0)
    assert (b["days_since_last_purchase"], b["dormancy"], b["tier"]) == (212, "dormant", "new")
    assert compute_facts(session, NOW, [bob.id]) == {bob.id: b}


def _coupon(
    session: Session, member_id: int, template_id: int, n: int, issued: datetime, used: datetime | None
) -> None:
    session.add(
        Coupon(
            template_id=template_id,
            template_version=1,
            member_id=member_id,
            code=f"AISLE-TEST-{n:04d}",
            idempotency_key=f"test:{n}",
            source="automation",
            name_zh="券",
            name_en="Coupon",
            terms={"kind": "amount_off", "amount": "5.00"},
            valid_from=issued.date(),
            valid_until=issued.date() + timedelta(days=30),
            issued_at=issued,
            redeemed_at=used,
        )
    )


def test_the_redemption_rate_is_the_share_of_a_years_coupons_used(session: Session) -> None:
    shop = Shop(session)
    ann, bob = shop.member(), shop.member("Bob")
    template = CouponTemplate(
        name_zh="券", name_en="Coupon", purpose="campaign", terms={}, valid_days=30, per_member_limit=9
    )
    session.add(template)
    session.flush()
    _coupon(session, ann.id, template.id, 1, at(2024, 6, 1), at(2024, 6, 2))
    _coupon(session, ann.id, template.id, 2, at(2024, 5, 1), at(2024, 5, 3))
    _coupon(session, ann.id, template.id, 3, at(2024, 4, 1), None)
    _coupon(session, ann.id, template.id, 4, at(2023, 5, 1), at(2023, 5, 2))  # over a year ago
    _coupon(session, ann.id, template.id, 5, at(2024, 6, 29), at(2024, 7, 2))  # used after "now"
    _coupon(session, bob.id, template.id, 6, at(2024, 6, 1), None)
    session.flush()
    facts = compute_facts(session, NOW, None, {"coupon_redemption_rate"})
    assert (facts[ann.id]["coupon_redemption_rate"], facts[bob.id]["coupon_redemption_rate"]) == (0.5, 0.0)
