"""The 360° profile of a hand-made member, figure by figure, with a pinned clock (30 June 2024, noon)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import ConsultantAssignment, Interaction, LookupAudit, Member, TransactionLine
from server.loyalty.backfill import backfill_loyalty
from server.tags.service import create_rule, retag
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, make_member, make_product, make_transaction

NOW = datetime(2024, 6, 30, 12, tzinfo=UTC)


def at(month: int, day: int, year: int = 2024) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def _ann(session: Session, context: AppContext, world: World) -> Member:
    """Ann: three sales (300.00 in July 2023, 1500.00 in March, 150.00 with a coupon on 15 June), one scarf
    of the last sale returned on 20 June; a consultant, a follow-up, a tag rule."""
    ann = make_member(session, context.keys, world.store_a, name="Ann Lee", phone="13800138000")
    ann.birthday, ann.joined_on = date(1990, 7, 14), date(2023, 1, 1)
    vase = make_product(session, name="Vase", category="home", price="100.00")
    lamp = make_product(session, name="Lamp", category="lighting", price="1500.00")
    scarf = make_product(session, name="Scarf", category="accessories", price="50.00")
    make_transaction(session, world.store_a, ann, [(vase, 3, "100.00")], occurred_at=at(7, 10, 2023))
    make_transaction(session, world.store_a, ann, [(lamp, 1, "1500.00")], occurred_at=at(3, 1))
    june = make_transaction(session, world.store_a, ann, [(scarf, 3, "50.00")], occurred_at=at(6, 15))
    june.coupon_code = "SUMMER"
    sold = session.scalars(select(TransactionLine).where(TransactionLine.transaction_id == june.id)).one()
    back = make_transaction(
        session, world.store_a, ann, [(scarf, -1, "50.00")], at(6, 20), "return", original_line_ids=[sold.id]
    )
    back.original_transaction_id = june.id
    session.flush()
    backfill_loyalty(session, NOW)
    create_rule(session, "regular", {"fact": "visits_365d", "op": "gte", "value": 3}, NOW)
    retag(session, NOW, [ann.id])
    session.add(ConsultantAssignment(member_id=ann.id, staff_id=world.manager_a.id, position="primary"))
    session.add(
        Interaction(
            member_id=ann.id,
            staff_id=world.clerk_a.id,
            channel="call",
            note="wants the blue lamp",
            occurred_at=at(6, 15),
            follow_up_on=date(2024, 7, 5),
        )
    )
    session.commit()
    return ann


def _profile(client: TestClient, context: AppContext, staff: Any, member_id: int, **params: str) -> Any:
    return client.get(f"/api/v1/members/{member_id}/profile", params=params, headers=auth(context, staff))


def test_the_profile_shows_every_figure_of_a_hand_made_member(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = _ann(session, context, world)
    pin_clock(client, NOW)
    response = _profile(client, context, world.clerk_a, ann.id)
    assert response.status_code == 200, response.text
    p = response.json()
    assert (p["name"], p["phone"], p["phone_masked"]) == ("Ann Lee", "*******8000", True)
    assert p["home_store"] == {"id": world.store_a.id, "name": "Store A"}
    assert p["stores_visited"] == [
        {"id": world.store_a.id, "name": "Store A", "visits": 3, "last_visit": "2024-06-15"}
    ]
    tier = p["tier"]
    assert (tier["name"], tier["next_tier"], tier["window_spend"], tier["window_visits"]) == (
        "growing",
        "loyal",
        "1900.00",
        3,
    )
    assert tier["progress"] == "100.00 more or 7 more visits to loyal"
    assert tier["since"].startswith("2024-03-01")  # upgraded by the lamp
    assert tier["review_on"] == "2025-03-01"  # when the lamp leaves the 365-day window
    assert tier["review"] == "growing is reviewed on 2025-03-01: without new purchases it becomes new"
    assert (tier["qualify"], tier["review_tier"]) == ("spend_or_visits", "new")
    assert (tier["spend_needed"], tier["visits_needed"]) == ("100.00", 7)
    points = p["points"]
    assert (points["balance"], points["available"], points["value"]) == (1900, 1900, "19.00")
    assert points["expiring_within_30_days"] == 300  # the July 2023 lot lapses on 9 July
    assert points["expiring"] == [{"on": "2024-07-09", "points": 300}]
    assert p["rfm"] == {
        "last_purchase_on": "2024-06-15",
        "recency_days": 15,
        "frequency_365d": 3,
        "visits_365d": 3,
        "monetary_365d": "1900.00",
        "spend_30d": "100.00",
        "spend_90d": "100.00",
        "average_basket_365d": "633.33",
        "first_purchase_on": "2023-07-10",
        "lifetime_spend": "1900.00",
    }
    # A sale paid with a code is not a coupon issued: with none issued the rate is unknown.
    assert p["coupon_redemption_rate"] is None and p["coupons"] == []
    assert [(c["category"], c["amount"]) for c in p["favourite_categories"]] == [
        ("lighting", "1500.00"),
        ("home", "300.00"),
        ("accessories", "100.00"),
    ]
    assert p["favourite_categories"][0]["share"] == pytest.approx(0.789)
    assert [(f["name"], f["quantity"]) for f in p["favourite_products"]] == [
        ("Lamp", 1),
        ("Vase", 3),
        ("Scarf", 2),
    ]
    assert p["dormancy"] == {
        "status": "active",
        "days_since_last_purchase": 15,
        "text": "active: last purchase 15 days ago (2024-06-15)",
    }
    assert p["persona"]["label"] in {"price-sensitive", "quality-seeking", "novelty-seeking", "balanced"}
    assert p["persona"]["reasons"]
    # The reasons as data, one item each, with the figures the sentences quote.
    evidence = p["persona"]["evidence"]
    assert len(evidence) == len(p["persona"]["reasons"])
    coupon = next(
        e for e in evidence if e["code"] in ("coupon_share", "coupon_or_discount_share", "weak_signal")
    )
    if coupon["code"] != "weak_signal":
        assert coupon["value"] == pytest.approx(1 / 3, abs=0.01)
    [tag] = p["tags"]
    assert (tag["tag"], tag["source"], tag["explanation"]) == ("regular", "rule", ["visits_365d is 3 (>= 3)"])
    assert tag["rule"] == {"fact": "visits_365d", "op": "gte", "value": 3}
    assert 0 < p["heat"]["index"] <= 100
    assert [w["week_end"] for w in p["heat"]["weekly"]][-1] == "2024-06-23" and len(p["heat"]["weekly"]) == 8
    assert [c["staff_id"] for c in p["consultants"]] == [world.manager_a.id]
    assert p["interactions"][0]["note"] == "wants the blue lamp"
    assert [(u["on"], u["kind"]) for u in p["upcoming"]] == [
        ("2024-07-05", "follow_up"),
        ("2024-07-09", "points_expiry"),
        ("2024-07-14", "birthday"),
        ("2025-03-01", "tier_review"),
    ]
    assert p["upcoming"][2]["text"] == "turns 34 on 2024-07-14"
    first = p["recent_purchases"][0]
    assert (first["kind"], first["name"], first["quantity"], first["amount"]) == (
        "return",
        "Scarf",
        -1,
        "-50.00",
    )
    assert [r["name"] for r in p["recent_purchases"]] == ["Scarf", "Scarf", "Lamp", "Vase"]
    birthday = next(b for b in p["benefits"] if b["code"] == "birthday_discount")
    assert (birthday["available"], birthday["reason"]) == (False, "valid in July")
    assert (birthday["reason_code"], birthday["tiers"], birthday["quota"]) == (
        "birthday_month",
        ["growing", "loyal", "VIP"],
        1,
    )
    wrapping = next(b for b in p["benefits"] if b["code"] == "free_wrapping")
    assert (wrapping["available"], wrapping["reason_code"], wrapping["tiers"]) == (
        False,
        "not_for_tier",
        ["loyal", "VIP"],
    )


def test_each_view_is_audited_and_the_manager_sees_the_phone(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = _ann(session, context, world)
    pin_clock(client, NOW)
    assert _profile(client, context, world.manager_a, ann.id).json()["phone"] == "+8613800138000"
    _profile(client, context, world.clerk_a, ann.id)
    session.expire_all()
    views = session.execute(select(LookupAudit.staff_id, LookupAudit.member_id, LookupAudit.method)).all()
    assert [tuple(v) for v in views] == [
        (world.manager_a.id, ann.id, "profile"),
        (world.clerk_a.id, ann.id, "profile"),
    ]


def test_as_of_is_for_hq_analysts_and_admins_and_rewinds_the_figures(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = _ann(session, context, world)
    pin_clock(client, NOW)
    refused = _profile(client, context, world.manager_a, ann.id, as_of="2024-03-02T00:00:00")
    assert refused.status_code == 403
    back = _profile(client, context, world.analyst, ann.id, as_of="2024-03-02T00:00:00")
    assert back.status_code == 200, back.text
    p = back.json()
    assert p["as_of"].startswith("2024-03-02")
    assert p["tier"]["name"] == "growing" and p["tier"]["window_spend"] == "1800.00"
    assert p["points"]["balance"] == 1800 and p["rfm"]["recency_days"] == 1
    before = _profile(client, context, world.admin, ann.id, as_of="2024-01-01T00:00:00").json()
    assert (
        before["tier"]["name"] == "new"
        and before["tier"]["progress"] == "200.00 more or 3 more visits to growing"
    )


def test_who_may_open_a_profile(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a, name="Ann")
    cup = make_product(session)
    bea = make_member(session, context.keys, world.store_a, name="Bea")
    make_transaction(session, world.store_b, bea, [(cup, 1, "4.00")], occurred_at=at(6, 1))  # shopped in B
    cleo = make_member(session, context.keys, world.store_a, name="Cleo")
    session.add(ConsultantAssignment(member_id=cleo.id, staff_id=world.clerk_b.id, position="secondary"))
    session.commit()
    pin_clock(client, NOW)
    other = world.clerk_b
    refused = _profile(client, context, other, ann.id)
    assert refused.status_code == 403
    assert f"member {ann.id} belongs to store {world.store_a.id}" in refused.json()["detail"]
    assert _profile(client, context, other, bea.id).status_code == 200  # bought in the clerk's store
    assert _profile(client, context, other, cleo.id).status_code == 200  # the clerk is her consultant
    assert _profile(client, context, world.analyst, ann.id).status_code == 200  # chain-wide role
    assert _profile(client, context, world.nobody, ann.id).status_code == 403
    assert _profile(client, context, world.clerk_a, 999_999).status_code == 404
    # Ann walks into store B and shows her card: the clerk who found her may open her profile.
    found = client.get(
        "/api/v1/members/lookup", params={"card": ann.card_number}, headers=auth(context, other)
    )
    assert found.status_code == 200
    assert _profile(client, context, other, ann.id).status_code == 200
    points = client.get(f"/api/v1/members/{ann.id}/points", headers=auth(context, other))
    assert points.status_code == 200 and points.json()["balance"] == 0


def test_a_member_without_history_has_a_quiet_profile(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    new = make_member(session, context.keys, world.store_a)
    session.commit()
    pin_clock(client, NOW)
    p = _profile(client, context, world.clerk_a, new.id).json()
    assert p["tier"]["name"] == "new" and p["tier"]["review_on"] is None
    assert p["dormancy"]["status"] == "never_purchased" and p["rfm"]["recency_days"] is None
    assert p["rfm"]["average_basket_365d"] is None and p["recent_purchases"] == []
    assert p["persona"]["label"] == "not enough history" and p["heat"]["index"] == 0
    assert p["persona"]["reasons"] == ["0 purchases in the last year; 3 needed"]
    assert p["persona"]["evidence"] == [{"code": "purchases", "value": 0, "threshold": 3, "persona": None}]
    assert p["tier"]["review_tier"] is None and p["tier"]["next_tier"] == "growing"
    assert p["points"]["balance"] == 0 and p["price_band"] is None
    assert Decimal(p["rfm"]["lifetime_spend"]) == 0
