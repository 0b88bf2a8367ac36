"""Interactions: logged once however often the phone replays them, listed newest first, followed up."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Interaction, MemberEvent
from server.interactions.service import remind_follow_ups
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, make_member

NOW = datetime(2024, 6, 30, 15, tzinfo=UTC)


def test_an_interaction_replayed_with_its_key_is_stored_once(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a)
    session.commit()
    pin_clock(client, NOW)
    url = f"/api/v1/members/{ann.id}/interactions"
    call = {
        "channel": "wechat",
        "note": "sent photos of the new scarves",
        "follow_up_on": "2024-07-02",
        "idempotency_key": "phone-7:0042",
    }
    first = client.post(url, json=call, headers=auth(context, world.clerk_a))
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["channel"], body["store_id"], body["staff_name"]) == (
        "wechat",
        world.store_a.id,
        world.clerk_a.display_name,
    )
    assert body["occurred_at"].startswith("2024-06-30T15:00")
    again = client.post(url, json=call, headers=auth(context, world.clerk_a))
    assert again.status_code == 200 and again.json() == body
    earlier = {"channel": "face_to_face", "occurred_at": "2024-06-20T10:00:00+00:00", "note": "tried coats"}
    assert client.post(url, json=earlier, headers=auth(context, world.manager_a)).status_code == 201
    listed = client.get(url, headers=auth(context, world.clerk_a)).json()
    assert listed["total"] == 2 and [i["channel"] for i in listed["items"]] == ["wechat", "face_to_face"]
    assert session.scalar(select(func.count()).select_from(Interaction)) == 2


def test_bad_interactions_and_strangers_are_refused(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a)
    bob = make_member(session, context.keys, world.store_a)
    session.commit()
    pin_clock(client, NOW)
    url = f"/api/v1/members/{ann.id}/interactions"
    headers = auth(context, world.clerk_a)
    assert client.post(url, json={"channel": "fax"}, headers=headers).status_code == 422
    late = {"channel": "call", "occurred_at": "2024-06-30T10:00:00+00:00", "follow_up_on": "2024-06-01"}
    assert "follow_up_on" in client.post(url, json=late, headers=headers).json()["detail"]
    assert client.post(url, json={"channel": "call"}, headers=auth(context, world.clerk_b)).status_code == 403
    assert client.get(url, headers=auth(context, world.clerk_b)).status_code == 403
    keyed = {"channel": "call", "idempotency_key": "k-1"}
    assert client.post(url, json=keyed, headers=headers).status_code == 201
    other = client.post(f"/api/v1/members/{bob.id}/interactions", json=keyed, headers=headers)
    assert other.status_code == 409


def test_a_follow_up_reminds_whoever_asked_for_it_once(
    session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a)
    session.add(
        Interaction(
            member_id=ann.id,
            staff_id=world.clerk_a.id,
            channel="call",
            occurred_at=datetime(2024, 6, 20, tzinfo=UTC),
            follow_up_on=datetime(2024, 6, 30).date(),
        )
    )
    session.flush()
    assert remind_follow_ups(session, datetime(2024, 6, 29, 2, tzinfo=UTC)) == 0  # not due yet
    assert remind_follow_ups(session, datetime(2024, 6, 30, 2, tzinfo=UTC)) == 1
    assert remind_follow_ups(session, datetime(2024, 7, 1, 2, tzinfo=UTC)) == 0  # already raised
    event = session.scalars(select(MemberEvent)).one()
    assert (event.kind, event.staff_id, event.member_id) == ("follow_up", world.clerk_a.id, ann.id)
