"""A member walks in: the right phones hear of it, over real sockets, with what to say."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.service import revoke_tokens
from server.db.tables import LookupAudit, Recommendation, Staff, Transaction
from tests.server.arrivals.conftest import PHONE, Floor
from tests.server.realtime.conftest import greet, next_frame, open_floor, publish, token_for


def test_an_arrival_reaches_the_store_floor_and_the_consultant_only(floor: Floor, session: Session) -> None:
    world, ctx = floor.shop.world, floor.live.context
    regular = floor.shop.regular
    with (
        open_floor(floor.live.url, token_for(ctx, world.clerk_a)) as a1,
        open_floor(floor.live.url, token_for(ctx, floor.clerk_a2)) as a2,
        open_floor(floor.live.url, token_for(ctx, world.clerk_b)) as b1,
        open_floor(floor.live.url, token_for(ctx, floor.consultant_b)) as vip,
    ):
        for ws in (a1, a2, b1, vip):
            greet(ws)
        # A door scanner is a cashier account of store A.
        got = floor.arrive(world.cashier_a, world.store_a.id, phone=PHONE, source="door")
        assert got.status_code == 202, got.text
        body = got.json()
        expected = sorted([world.clerk_a.id, floor.clerk_a2.id, floor.consultant_b.id])
        assert body["member_id"] == regular.id and body["delivered_to"] == expected
        frames = [next_frame(ws) for ws in (a1, a2, vip)]
        assert {f["event_id"] for f in frames} == {body["event_id"]}
        assert all(f["event_type"] == "member.arrived" for f in frames)
        # Then a store B event: it is the first clerk B gets, so store A's arrival never reached them.
        publish(floor.live, world.store_b.id, {"n": "store B"})
        first = next_frame(b1)
        assert first["payload"] == {"n": "store B"}, f"a clerk of store B heard of a store A arrival: {first}"
    payload = frames[0]["payload"]
    member = payload["member"]
    assert member["id"] == regular.id and member["name"] == "Regular Rita"
    assert member["phone"] == "*******8000"
    assert member["consultants"] == [
        {"staff_id": floor.consultant_b.id, "name": floor.consultant_b.display_name, "position": "primary"}
    ]
    assert member["tier"] and member["tier_progress"] and member["persona"]
    # tier_progress as data, for phones that word it in their own language.
    assert member["tier_qualify"] == "spend_or_visits" and member["next_tier"]
    assert member["tier_progress"].endswith(f" to {member['next_tier']}")
    assert (f"{member['spend_needed']} more" in member["tier_progress"]) == (
        float(member["spend_needed"]) > 0
    )
    visits = f"{member['visits_needed']} more visit"
    assert (visits in member["tier_progress"]) == (member["visits_needed"] > 0)
    assert 0 <= member["heat_index"] <= 100 and member["dormancy"] == "active"
    assert (payload["source"], payload["store_id"]) == ("door", world.store_a.id)
    assert payload["arrived_at"].startswith("2025-06-02T10:00")
    assert payload["model_version"] and payload["talking_points"]
    recs = payload["recommendations"]
    assert 3 <= len(recs) <= 5
    assert all(r["reason"] and r["name"] and r["recommendation_id"] for r in recs)
    # Tea lights every 30 days, last 35 days ago: time to replenish.
    assert recs[0]["name"] == "Tea Light Candles" and recs[0]["kind"] == "replenish"
    assert payload["reactivation_offer"] is None
    shown = session.scalars(select(Recommendation.id).where(Recommendation.member_id == regular.id)).all()
    assert sorted(shown) == sorted(r["recommendation_id"] for r in recs)
    audit = session.scalars(select(LookupAudit.method).where(LookupAudit.member_id == regular.id)).all()
    assert audit == ["phone"]
    assert (
        session.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.member_id == regular.id)
        )
        == 3
    )


def test_an_offline_consultant_gets_the_arrival_on_reconnect(floor: Floor) -> None:
    world, ctx = floor.shop.world, floor.live.context
    token = token_for(ctx, floor.consultant_b)
    with open_floor(floor.live.url, token) as vip:
        last = greet(vip)[0]["last_seq"]
    card = floor.shop.regular.card_number
    got = floor.arrive(world.clerk_a, world.store_a.id, card=card, source="till")
    assert got.status_code == 202, got.text
    assert floor.consultant_b.id in got.json()["delivered_to"]
    with open_floor(floor.live.url, token, since=last) as vip:
        _, replayed, ready = greet(vip)
    assert [e["event_id"] for e in replayed] == [got.json()["event_id"]]
    assert replayed[0]["payload"]["member"]["id"] == floor.shop.regular.id and ready["complete"]


def test_a_dormant_member_comes_with_the_reactivation_offer(floor: Floor) -> None:
    world, ctx = floor.shop.world, floor.live.context
    with open_floor(floor.live.url, token_for(ctx, world.clerk_a)) as a1:
        greet(a1)
        got = floor.arrive(world.clerk_a, world.store_a.id, member_id=floor.shop.dormant.id, source="clerk")
        assert got.status_code == 202, got.text
        payload = next_frame(a1)["payload"]
    assert payload["member"]["dormancy"] == "dormant" and payload["member"]["days_since_last_purchase"] == 200
    last = (date.fromisoformat(payload["arrived_at"][:10]) - timedelta(days=200)).isoformat()
    assert payload["member"]["last_purchase_on"] == last
    assert payload["member"]["dormancy_text"] == f"dormant: last purchase 200 days ago ({last})"
    offer = payload["reactivation_offer"]
    assert offer is not None and offer["discount_percent"] > 0 and offer["text"] and offer["reasons"]
    assert 3 <= len(payload["recommendations"]) <= 5


def test_a_walk_in_from_another_store_is_announced_by_card(floor: Floor) -> None:
    world, other = floor.shop.world, floor.shop.other
    got = floor.arrive(world.clerk_a, world.store_a.id, card=other.card_number)
    assert got.status_code == 202, got.text
    assert got.json()["member_id"] == other.id
    # Named by id instead, a member of store B stays closed to a clerk of A who never looked them up.
    fresh = floor.arrive(floor.clerk_a2, world.store_a.id, member_id=other.id)
    assert fresh.status_code == 403 and "belongs to store" in fresh.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"card": "NO-SUCH-CARD"}, 404, "no member with card NO-SUCH-CARD"),
        ({"member_id": 999_999}, 404, "member 999999 does not exist"),
        ({"card": "X", "phone": PHONE}, 422, "exactly one of phone, card, qr or member_id"),
        ({}, 422, "exactly one"),
        ({"card": "X", "source": "window"}, 422, "source"),
    ],
)
def test_bad_arrivals_are_refused_with_the_reason(
    floor: Floor, body: dict[str, object], status: int, words: str
) -> None:
    world = floor.shop.world
    got = floor.arrive(world.clerk_a, world.store_a.id, **body)
    assert got.status_code == status and words in got.text, got.text


def test_only_staff_of_the_store_may_announce(floor: Floor) -> None:
    world = floor.shop.world
    card = floor.shop.regular.card_number
    refused = floor.arrive(world.clerk_b, world.store_a.id, card=card)
    assert refused.status_code == 403 and f"in store {world.store_a.id}" in refused.json()["detail"]
    assert floor.arrive(world.nobody, world.store_a.id, card=card).status_code == 403
    assert floor.arrive(world.admin, world.store_a.id, card=card).status_code == 202
    assert floor.arrive(world.clerk_a, 999_999, card=card).status_code == 404


def test_an_arrival_needs_a_live_token(floor: Floor, session: Session) -> None:
    """Signed in inside the arrival's own unit of work: a revoked token or a disabled account is refused."""
    world = floor.shop.world
    card = floor.shop.regular.card_number
    url = f"/api/v1/stores/{world.store_a.id}/arrivals"
    body = {"source": "till", "card": card}
    assert floor.http.post(url, json=body).status_code == 401
    forged = floor.http.post(url, json=body, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401
    token = token_for(floor.live.context, world.clerk_a)
    clerk = session.get(Staff, world.clerk_a.id)
    assert clerk is not None
    revoke_tokens(clerk)
    session.commit()
    revoked = floor.http.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    fresh = token_for(floor.live.context, clerk)
    clerk.active = False
    session.commit()
    disabled = floor.http.post(url, json=body, headers={"Authorization": f"Bearer {fresh}"})
    assert disabled.status_code == 401 and "disabled" in disabled.json()["detail"]
