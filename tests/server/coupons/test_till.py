"""Coupons at the till: thresholds, eligible lines, stacking, exact cents, one use, quotes and returns."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.db.tables import Coupon, IssuedOffer, Transaction
from tests.fixtures.race import race
from tests.server.coupons.conftest import NOW, TILL, Shop

N = 20
BAGS_50 = {"kind": "amount_off", "amount": "50.00", "min_spend": "300.00", "categories": ["bags"]}


def _lines(sale: Any) -> list[tuple[str, Decimal, Decimal]]:
    lines = sale.json()["transaction"]["lines"]
    return [(x["sku"], Decimal(x["amount"]), Decimal(x["discount_amount"])) for x in lines]


def _d(*rows: tuple[str, str, str]) -> list[tuple[str, Decimal, Decimal]]:
    return [(sku, Decimal(a), Decimal(d)) for sku, a, d in rows]


def _coupon(session: Session, code: str) -> Coupon:
    session.expire_all()
    found = session.scalar(select(Coupon).where(Coupon.code == code))
    assert found is not None
    return found


def _give_back(shop: Shop, sale: dict[str, Any], line_no: int, qty: int, key: str) -> Any:
    line = sale["lines"][line_no]
    body = {
        "store_id": shop.world.store_a.id,
        "kind": "return",
        "original_transaction_id": sale["id"],
        "original_receipt": sale["receipt"],
        "lines": [{"original_line_id": line["id"], "quantity": -qty}],
    }
    headers = shop.as_(shop.world.cashier_a) | {"Idempotency-Key": key}
    return shop.client.post(TILL, json=body, headers=headers)


def test_a_spend_threshold_counts_the_eligible_lines_only(shop: Shop, session: Session) -> None:
    t = shop.template(terms=BAGS_50, name_zh="满300减50", name_en="50 off 300 on bags")
    code = shop.code(shop.ann, t["id"], "k")
    short = shop.sell(
        shop.ann, [{"sku": "BAG-1", "quantity": 1}, {"sku": "BELT-1", "quantity": 3}], "s1", code
    )
    assert short.status_code == 422
    assert "needs 300.00 spent on bags; this sale has 200.00" in short.json()["detail"]
    sale = shop.sell(
        shop.ann, [{"sku": "BAG-1", "quantity": 2}, {"sku": "BELT-1", "quantity": 1}], "s2", code
    )
    assert sale.status_code == 201, sale.text
    txn = sale.json()["transaction"]
    assert (txn["total_amount"], txn["discount_amount"], txn["coupon_code"]) == ("383.33", "50.00", code)
    assert _lines(sale) == _d(("BAG-1", "350.00", "50.00"), ("BELT-1", "33.33", "0.00"))
    used = _coupon(session, code)
    assert (used.redeemed_transaction_id, str(used.discount_amount)) == (txn["id"], "50.00")


def test_stacked_coupons_apply_in_order_in_exact_cents_and_a_partial_return_refunds_exactly(
    shop: Shop, session: Session
) -> None:
    bags = shop.template(terms=BAGS_50 | {"on_return": "keep_used"})
    tenth = shop.template(terms={"kind": "percent_off", "percent": 10, "stackable": True})
    solo = shop.template(terms={"kind": "amount_off", "amount": "5.00"})
    a, b, c = (shop.code(shop.ann, t["id"], f"k{t['id']}") for t in (bags, tenth, solo))
    lines = [{"sku": "BAG-1", "quantity": 2}, {"sku": "BELT-1", "quantity": 1}]
    two_solo = shop.sell(shop.ann, lines, "x1", a, c)
    assert (
        two_solo.status_code == 422 and "at most one coupon that does not stack" in two_solo.json()["detail"]
    )
    twice = shop.sell(shop.ann, lines, "x2", a, a.lower())
    assert twice.status_code == 422 and "given twice" in twice.json()["detail"]
    # 50 off the bags (400 -> 350), then 10% of what is left of every line (383.33 -> 38.33, half-up),
    # spread 35.00 / 3.33 by largest remainder.
    sale = shop.sell(shop.ann, lines, "x3", a, b)
    assert sale.status_code == 201, sale.text
    txn = sale.json()["transaction"]
    assert (txn["total_amount"], txn["discount_amount"]) == ("345.00", "88.33")
    assert _lines(sale) == _d(("BAG-1", "315.00", "85.00"), ("BELT-1", "30.00", "3.33"))
    assert [str(_coupon(session, x).discount_amount) for x in (a, b)] == ["50.00", "38.33"]
    # One bag back: half of what the bag line cost; then the rest; the refunds add up to the sale.
    first = _give_back(shop, txn, 0, 1, "r1")
    assert first.status_code == 201, first.text
    assert _coupon(session, b).redeemed_at is not None  # not all back yet
    rest = [_give_back(shop, txn, 0, 1, "r2"), _give_back(shop, txn, 1, 1, "r3")]
    refunds = [r.json()["transaction"]["total_amount"] for r in (first, *rest)]
    assert refunds == ["-157.50", "-157.50", "-30.00"]
    # All back: the stackable coupon (restore) is open again; the other's terms keep it used.
    assert _coupon(session, b).redeemed_at is None and _coupon(session, b).discount_amount is None
    assert _coupon(session, a).redeemed_at is not None
    again = shop.sell(shop.ann, [{"sku": "BELT-1", "quantity": 3}], "x4", b)
    assert again.status_code == 201 and again.json()["transaction"]["total_amount"] == "89.99"


def test_a_gift_coupon_gives_the_rung_up_gift_at_zero(shop: Shop) -> None:
    t = shop.template(terms={"kind": "gift", "gift_product_id": shop.gift.id, "min_spend": "100.00"})
    code = shop.code(shop.ann, t["id"], "g")
    missing = shop.sell(shop.ann, [{"sku": "BAG-1", "quantity": 1}], "g1", code)
    assert missing.status_code == 422 and "ring it up" in missing.json()["detail"]
    small = shop.sell(
        shop.ann, [{"sku": "BELT-1", "quantity": 1}, {"sku": "POUCH-1", "quantity": 1}], "g2", code
    )
    assert small.status_code == 422 and "needs 100.00" in small.json()["detail"]
    sale = shop.sell(
        shop.ann, [{"sku": "BAG-1", "quantity": 1}, {"sku": "POUCH-1", "quantity": 2}], "g3", code
    )
    assert sale.status_code == 201, sale.text
    assert _lines(sale) == _d(("BAG-1", "200.00", "0.00"), ("POUCH-1", "25.00", "25.00"))


def test_each_refusal_says_why(shop: Shop, session: Session) -> None:
    t = shop.template(terms={"kind": "percent_off", "percent": 15, "categories": ["belts"]})
    mine, bobs = shop.code(shop.ann, t["id"], "a"), shop.code(shop.bob, t["id"], "b")
    belts = [{"sku": "BELT-1", "quantity": 3}]
    made_up, theirs = (
        shop.sell(shop.ann, belts, "e1", "AISLE-ZZZZ-ZZZZ"),
        shop.sell(shop.ann, belts, "e2", bobs),
    )
    assert made_up.status_code == theirs.status_code == 422
    assert made_up.json()["detail"] == theirs.json()["detail"]
    assert (
        "no line of this sale qualifies"
        in shop.sell(shop.ann, [{"sku": "BAG-1", "quantity": 1}], "e3", mine).text
    )
    anonymous = shop.client.post(
        TILL,
        json={"store_id": shop.world.store_a.id, "lines": belts, "coupon_codes": [mine]},
        headers=shop.as_(shop.world.cashier_a) | {"Idempotency-Key": "e4"},
    )
    assert anonymous.status_code == 422 and "identify the member" in anonymous.text
    there = shop.template(terms={"kind": "amount_off", "amount": "1", "store_ids": [shop.world.store_b.id]})
    only_b = shop.code(shop.ann, there["id"], "c")
    assert "not usable in store" in shop.sell(shop.ann, belts, "e5", only_b).json()["detail"]
    session.execute(update(Coupon).where(Coupon.code == only_b).values(valid_until=date(2024, 6, 29)))
    session.commit()
    assert "expired on 2024-06-29" in shop.sell(shop.ann, belts, "e6", only_b).json()["detail"]
    # The old single field still works: 15% of 99.99 = 14.9985, 15.00 half-up.
    old = shop.sell(shop.ann, belts, "e7", coupon_code=mine)
    assert old.status_code == 201 and old.json()["transaction"]["total_amount"] == "84.99"
    used = shop.sell(shop.ann, belts, "e8", mine)
    assert used.status_code == 409 and "already used" in used.json()["detail"]


def test_twenty_parallel_sales_with_one_code_book_one(shop: Shop, session: Session) -> None:
    t = shop.template()
    code = shop.code(shop.ann, t["id"], "race")
    answers = race(N, lambda i: shop.sell(shop.ann, [{"sku": "BAG-1", "quantity": 1}], f"race-{i}", code))
    assert sorted(a.status_code for a in answers) == [201] + [409] * (N - 1), [a.text for a in answers]
    session.expire_all()
    assert session.scalar(select(func.count(Transaction.id))) == 1
    won = next(a for a in answers if a.status_code == 201).json()["transaction"]
    assert _coupon(session, code).redeemed_transaction_id == won["id"] and won["total_amount"] == "150.00"


def test_the_quote_prices_the_coupons_without_using_them(shop: Shop, session: Session) -> None:
    t = shop.template(terms=BAGS_50)
    code = shop.code(shop.ann, t["id"], "q")
    body = {
        "store_id": shop.world.store_a.id,
        "member_id": shop.ann.id,
        "coupon_codes": [code],
        "lines": [{"sku": "BAG-1", "quantity": 2}, {"sku": "BELT-1", "quantity": 1}],
    }
    url = f"{TILL}/quote"
    quoted = shop.client.post(url, json=body, headers=shop.as_(shop.world.cashier_a))
    assert quoted.status_code == 200, quoted.text
    q = quoted.json()
    assert (q["discount"], q["total"], q["coupons"]) == (
        "50.00",
        "383.33",
        [{"code": code, "discount": "50.00"}],
    )
    assert _coupon(session, code).redeemed_at is None
    short = shop.client.post(
        url, json=body | {"lines": [{"sku": "BAG-1", "quantity": 1}]}, headers=shop.as_(shop.world.cashier_a)
    )
    assert short.status_code == 422 and "needs 300.00" in short.json()["detail"]
    assert shop.client.post(url, json=body, headers=shop.as_(shop.world.clerk_b)).status_code == 403
    sale = shop.sell(shop.ann, body["lines"], "after-quote", code)
    assert sale.json()["transaction"]["total_amount"] == q["total"]


def test_a_coupon_not_yet_valid_is_refused(shop: Shop, session: Session) -> None:
    later = (NOW + timedelta(days=5)).date()
    t = shop.template(valid_days=None, valid_from=later.isoformat(), valid_until="2024-08-01")
    code = shop.code(shop.ann, t["id"], "later")
    refused = shop.sell(shop.ann, [{"sku": "BAG-1", "quantity": 1}], "l1", code)
    assert refused.status_code == 422 and f"valid from {later.isoformat()}" in refused.json()["detail"]


def test_an_offer_from_before_coupons_stacks_like_a_non_stackable_coupon(
    shop: Shop, session: Session
) -> None:
    session.add(
        IssuedOffer(
            member_id=shop.ann.id,
            code="AISLE-OLD2-OFFR",
            discount_percent=10,
            categories=["bags"],
            item_ids=[],
            text="",
            valid_until=date(2024, 7, 30),
            model_version="v0",
            issued_at=NOW - timedelta(days=3),
            idempotency_key="old-offer",
        )
    )
    session.commit()
    extra = shop.template(terms={"kind": "amount_off", "amount": "5.00", "stackable": True})
    solo = shop.template(terms={"kind": "amount_off", "amount": "5.00"})
    plus, alone = shop.code(shop.ann, extra["id"], "p"), shop.code(shop.ann, solo["id"], "s")
    bag = [{"sku": "BAG-1", "quantity": 1}]
    refused = shop.sell(shop.ann, bag, "o1", "AISLE-OLD2-OFFR", alone)
    assert refused.status_code == 422 and "does not stack" in refused.json()["detail"]
    # The coupon first (200 -> 195), then the offer's 10% of the bag line (19.50): 175.50.
    sale = shop.sell(shop.ann, bag, "o2", "AISLE-OLD2-OFFR", plus)
    assert sale.status_code == 201, sale.text
    assert sale.json()["transaction"]["total_amount"] == "175.50"
    session.expire_all()
    offer = session.scalar(select(IssuedOffer).where(IssuedOffer.code == "AISLE-OLD2-OFFR"))
    assert offer is not None and offer.redeemed_transaction_id == sale.json()["transaction"]["id"]
    assert _coupon(session, plus).redeemed_transaction_id == offer.redeemed_transaction_id
