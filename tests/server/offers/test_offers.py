"""Reactivation offers: issued to dormant members only, with a typeable code, once per idempotency key."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.config import Settings
from server.core.context import AppContext
from server.coupons.service import issue_coupon
from server.db.tables import Coupon, CouponTemplate, Product
from server.offers.codes import ALPHABET, new_code
from server.recommendations.engine import Engine
from tests.fixtures.factories import auth, make_member
from tests.fixtures.race import race
from tests.server.recommendations.conftest import NOW, Shop

CODE = re.compile(rf"^AISLE-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")


def _offers(session: Session) -> int:
    session.expire_all()
    stmt = select(func.count(Coupon.id)).where(Coupon.source == "reactivation")
    return int(session.scalar(stmt) or 0)


def test_a_dormant_member_is_issued_the_recommenders_offer_once_per_key(
    api: TestClient, session: Session, context: AppContext, shop: Shop, recommender: Engine
) -> None:
    clerk = auth(context, shop.world.clerk_a)
    url = f"/api/v1/members/{shop.dormant.id}/offers"
    shown = api.get(f"/api/v1/members/{shop.dormant.id}/recommendations", headers=clerk).json()
    first = api.post(url, json={"idempotency_key": "phone-3:0007"}, headers=clerk)
    assert first.status_code == 201, first.text
    offer = first.json()
    assert CODE.match(offer["code"]), offer["code"]
    expected = shown["reactivation_offer"]
    assert (offer["discount_percent"], offer["categories"], offer["item_ids"], offer["text"]) == (
        expected["discount_percent"],
        expected["categories"],
        expected["item_ids"],
        expected["text"],
    )
    assert offer["valid_until"] == (NOW.date() + timedelta(days=30)).isoformat()
    assert (offer["model_version"], offer["staff_id"], offer["store_id"]) == (
        recommender.version,
        shop.world.clerk_a.id,
        shop.world.store_a.id,
    )
    assert offer["staff_name"] == shop.world.clerk_a.display_name and offer["issued_at"].startswith(
        "2025-06-02"
    )
    again = api.post(url, json={"idempotency_key": "phone-3:0007"}, headers=clerk)
    assert again.status_code == 200 and again.json() == offer
    assert _offers(session) == 1
    manager = auth(context, shop.world.manager_a)
    # One open offer at a time: a second code while the first is unused and valid is refused.
    capped = api.post(url, json={"idempotency_key": "phone-3:0008"}, headers=manager)
    assert (
        capped.status_code == 409 and "already holds 1 unused reactivation offer" in capped.json()["detail"]
    )
    session.execute(
        update(Coupon).where(Coupon.id == offer["id"]).values(valid_until=NOW.date() - timedelta(days=1))
    )
    session.commit()
    second = api.post(url, json={"idempotency_key": "phone-3:0008"}, headers=manager)
    assert second.status_code == 201 and second.json()["code"] != offer["code"]
    listed = api.get(url, headers=clerk).json()
    assert listed["total"] == 2 and [o["id"] for o in listed["items"]] == [second.json()["id"], offer["id"]]
    assert api.get(url, params={"limit": 1}, headers=clerk).json()["items"][0]["id"] == second.json()["id"]


def test_a_member_who_is_not_dormant_gets_409_with_the_reason(
    api: TestClient, session: Session, context: AppContext, shop: Shop
) -> None:
    clerk = auth(context, shop.world.clerk_a)
    recent = api.post(
        f"/api/v1/members/{shop.regular.id}/offers", json={"idempotency_key": "k1"}, headers=clerk
    )
    assert recent.status_code == 409
    assert "not dormant" in recent.json()["detail"] and "35 days ago" in recent.json()["detail"]
    newcomer = make_member(session, context.keys, shop.world.store_a, name="新会员")
    session.commit()
    none = api.post(f"/api/v1/members/{newcomer.id}/offers", json={"idempotency_key": "k2"}, headers=clerk)
    assert none.status_code == 409 and "no purchase yet" in none.json()["detail"]
    assert _offers(session) == 0


def test_offers_are_for_who_may_open_the_member(
    api: TestClient, session: Session, context: AppContext, shop: Shop
) -> None:
    url = f"/api/v1/members/{shop.dormant.id}/offers"
    stranger = auth(context, shop.world.clerk_b)
    refused = api.post(url, json={"idempotency_key": "k1"}, headers=stranger)
    assert refused.status_code == 403 and "belongs to store" in refused.json()["detail"]
    assert api.get(url, headers=stranger).status_code == 403
    assert (
        api.post(
            "/api/v1/members/987654/offers", json={"idempotency_key": "k1"}, headers=stranger
        ).status_code
        == 404
    )
    clerk = auth(context, shop.world.clerk_a)
    assert api.post(url, json={"idempotency_key": ""}, headers=clerk).status_code == 422
    assert api.post(url, json={"idempotency_key": "k1"}, headers=clerk).status_code == 201
    other = api.post(
        f"/api/v1/members/{shop.regular.id}/offers", json={"idempotency_key": "k1"}, headers=clerk
    )
    assert other.status_code == 409 and "another member" in other.json()["detail"]
    assert _offers(session) == 1


def test_codes_are_typeable_and_the_validity_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    codes = {new_code() for _ in range(500)}
    assert len(codes) == 500 and all(CODE.match(c) for c in codes)
    assert not set("".join(c.removeprefix("AISLE-") for c in codes)) & set("01OILU")
    monkeypatch.setenv("AISLE_OFFER_VALID_DAYS", "7")
    assert Settings(_env_file=None).offer_valid_days == 7  # type: ignore[call-arg]
    monkeypatch.setenv("AISLE_OFFER_VALID_DAYS", "0")
    with pytest.raises(ValueError, match="offer_valid_days"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_twenty_parallel_issues_to_one_member_give_one_offer(
    api: TestClient, session: Session, context: AppContext, shop: Shop
) -> None:
    clerk = auth(context, shop.world.clerk_a)
    url = f"/api/v1/members/{shop.dormant.id}/offers"
    answers = race(20, lambda i: api.post(url, json={"idempotency_key": f"tap-{i}"}, headers=clerk))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 19, [a.text for a in answers]
    assert _offers(session) == 1


def test_an_offer_is_a_coupon_the_till_redeems_and_the_member_sees(
    api: TestClient, session: Session, context: AppContext, shop: Shop
) -> None:
    clerk = auth(context, shop.world.clerk_a)
    offer = api.post(
        f"/api/v1/members/{shop.dormant.id}/offers", json={"idempotency_key": "as-coupon"}, headers=clerk
    ).json()
    listed = api.get(
        f"/api/v1/members/{shop.dormant.id}/coupons", params={"lang": "en"}, headers=clerk
    ).json()
    [coupon] = listed["items"]
    assert (coupon["code"], coupon["source"], coupon["status"]) == (offer["code"], "reactivation", "open")
    assert (coupon["terms"]["percent"], coupon["terms"]["categories"]) == (
        offer["discount_percent"],
        offer["categories"],
    )
    product = session.scalar(
        select(Product).where(Product.category.in_(offer["categories"]), Product.active.is_(True)).limit(1)
    )
    assert product is not None
    body = {
        "store_id": shop.world.store_a.id,
        "member_id": shop.dormant.id,
        "lines": [{"sku": product.sku, "quantity": 1}],
        "coupon_code": offer["code"],
    }
    headers = auth(context, shop.world.cashier_a) | {"Idempotency-Key": "offer-sale"}
    sale = api.post("/api/v1/transactions", json=body, headers=headers)
    assert sale.status_code == 201, sale.text
    price = product.price.quantize(Decimal("0.01"))
    off = (price * offer["discount_percent"] / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert Decimal(sale.json()["transaction"]["discount_amount"]) == off
    used = api.get(
        f"/api/v1/members/{shop.dormant.id}/coupons", params={"status": "used"}, headers=clerk
    ).json()
    assert [c["code"] for c in used["items"]] == [offer["code"]]


def test_the_offer_reads_the_members_real_coupon_record(
    api: TestClient, session: Session, context: AppContext, shop: Shop
) -> None:
    template = CouponTemplate(
        name_zh="券",
        name_en="Coupon",
        purpose="campaign",
        terms={"kind": "amount_off", "amount": "5.00"},
        valid_days=30,
        per_member_limit=5,
    )
    session.add(template)
    session.flush()
    for i in range(4):
        issue_coupon(session, template.id, shop.dormant.id, key=f"old-{i}", source="automation", now=NOW)
    session.commit()
    clerk = auth(context, shop.world.clerk_a)
    shown = api.get(f"/api/v1/members/{shop.dormant.id}/recommendations", headers=clerk).json()
    reasons = " ".join(shown["reactivation_offer"]["reasons"])
    assert "redeemed 0 of 4 coupons (0%)" in reasons or "4张优惠券用了0张（0%）" in reasons, reasons


def test_a_coupon_about_to_lapse_is_a_talking_point(
    api: TestClient, session: Session, context: AppContext, shop: Shop
) -> None:
    template = CouponTemplate(
        name_zh="生日券",
        name_en="Birthday coupon",
        purpose="birthday",
        terms={"kind": "percent_off", "percent": 15},
        valid_days=2,
        per_member_limit=1,
    )
    session.add(template)
    session.flush()
    issue_coupon(session, template.id, shop.regular.id, key="bday", source="automation", now=NOW)
    session.commit()
    clerk = auth(context, shop.world.clerk_a)
    said = api.get(
        f"/api/v1/members/{shop.regular.id}/recommendations", params={"lang": "en"}, headers=clerk
    ).json()
    points = {p["kind"]: p for p in said["talking_points"]}
    assert "coupon_expiring" in points, said["talking_points"]
    assert points["coupon_expiring"]["text"].startswith("Their coupon “Birthday coupon” expires in 2 days")
