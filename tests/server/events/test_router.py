"""Events over HTTP: a member's, a store's feed, a consultant's inbox, and acknowledging one."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import ConsultantAssignment
from server.events.service import NewEvent, raise_events
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, make_member

NOW = datetime(2024, 6, 30, 15, tzinfo=UTC)


def test_events_reach_the_member_the_store_and_the_consultant(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a, name="Ann")
    bob = make_member(session, context.keys, world.store_b, name="Bob")
    session.add(ConsultantAssignment(member_id=ann.id, staff_id=world.clerk_a.id, position="primary"))
    session.flush()
    raise_events(
        session,
        [
            NewEvent(ann.id, "tier_change", "upgraded to VIP", datetime(2024, 6, 1, tzinfo=UTC)),
            NewEvent(ann.id, "heat_alert", "heat fell 60 → 50 → 40", datetime(2024, 6, 24, tzinfo=UTC)),
            NewEvent(bob.id, "points_expiring", "300 points expire", datetime(2024, 6, 24, tzinfo=UTC)),
        ],
    )
    session.commit()
    pin_clock(client, NOW)
    mine = client.get("/api/v1/events", headers=auth(context, world.clerk_a)).json()
    assert [(e["kind"], e["member_name"]) for e in mine["items"]] == [
        ("heat_alert", "Ann"),
        ("tier_change", "Ann"),
    ]
    store = client.get(
        "/api/v1/events", params={"store_id": world.store_b.id}, headers=auth(context, world.clerk_b)
    )
    assert [e["member_name"] for e in store.json()["items"]] == ["Bob"]
    assert (
        client.get(
            "/api/v1/events", params={"store_id": world.store_b.id}, headers=auth(context, world.clerk_a)
        ).status_code
        == 403
    )
    member = client.get(
        f"/api/v1/members/{ann.id}/events",
        params={"kind": "tier_change"},
        headers=auth(context, world.manager_a),
    )
    assert member.json()["total"] == 1 and member.json()["items"][0]["text"] == "upgraded to VIP"
    alert = mine["items"][0]["id"]
    assert (
        client.post(f"/api/v1/events/{alert}/acknowledge", headers=auth(context, world.clerk_b)).status_code
        == 403
    )
    done = client.post(f"/api/v1/events/{alert}/acknowledge", headers=auth(context, world.clerk_a))
    assert done.status_code == 200 and done.json()["acknowledged_at"].startswith("2024-06-30")
    still_open = client.get(
        "/api/v1/events", params={"open_only": True}, headers=auth(context, world.clerk_a)
    )
    assert [e["kind"] for e in still_open.json()["items"]] == ["tier_change"]
