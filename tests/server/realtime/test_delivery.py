"""Floor events reach exactly the right phones, over real sockets."""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.core.context import AppContext
from server.realtime import store
from tests.fixtures.factories import World, make_staff
from tests.fixtures.waiting import wait_until
from tests.server.realtime.conftest import (
    LiveServer,
    SteppedClock,
    close_code,
    greet,
    next_frame,
    open_floor,
    publish,
    serve,
    token_for,
)


def test_a_floor_event_reaches_the_clerks_of_that_store_and_the_consultant(
    live: LiveServer, world: World, session: Session
) -> None:
    consultant = make_staff(session, [(Role.VIP_CONSULTANT, world.store_b.id)])
    session.commit()
    ctx = live.context
    with (
        open_floor(live.url, token_for(ctx, world.clerk_a)) as clerk_a,
        open_floor(live.url, token_for(ctx, world.manager_a)) as manager_a,
        open_floor(live.url, token_for(ctx, world.clerk_b)) as clerk_b,
        open_floor(live.url, token_for(ctx, consultant)) as vip,
    ):
        hello_a, _, _ = greet(clerk_a)
        hello_b, _, _ = greet(clerk_b)
        greet(manager_a)
        greet(vip)
        assert hello_a["store_id"] == world.store_a.id and hello_b["store_id"] == world.store_b.id
        sent = publish(live, world.store_a.id, {"member_id": 7}, also=(consultant.id,))
        assert sent == sorted([(world.clerk_a.id, 1), (world.manager_a.id, 1), (consultant.id, 1)])
        got_a, got_manager, got_vip = next_frame(clerk_a), next_frame(manager_a), next_frame(vip)
        assert got_a["type"] == "event" and got_a["seq"] == 1 and got_a["payload"] == {"member_id": 7}
        assert got_a["event_type"] == "member.arrived" and got_a["store_id"] == world.store_a.id
        assert got_manager["event_id"] == got_vip["event_id"] == got_a["event_id"]
        publish(live, world.store_b.id, {"member_id": 8})
        got_b = next_frame(clerk_b)
        # Clerk B's first event is store B's: store A's never reached them.
        assert (got_b["seq"], got_b["payload"], got_b["store_id"]) == (1, {"member_id": 8}, world.store_b.id)
    logged = [e.store_id for e in store.events_after(session, world.clerk_b.id, 0)]
    assert logged == [world.store_b.id]


def test_the_floor_a_socket_stands_on(live: LiveServer, world: World, session: Session) -> None:
    two_stores = make_staff(session, [(Role.CLERK, world.store_a.id), (Role.CLERK, world.store_b.id)])
    session.commit()
    ctx = live.context
    with (
        open_floor(live.url, token_for(ctx, two_stores)) as nowhere,
        open_floor(live.url, token_for(ctx, two_stores), store_id=world.store_b.id) as on_b,
        open_floor(live.url, token_for(ctx, world.admin), store_id=world.store_a.id) as admin_on_a,
        open_floor(live.url, token_for(ctx, world.admin)) as admin_nowhere,
    ):
        # Working in two stores, or chain-wide, stands you on no floor unless you name one.
        assert greet(nowhere)[0]["store_id"] is None
        assert greet(on_b)[0]["store_id"] == world.store_b.id
        assert greet(admin_on_a)[0]["store_id"] == world.store_a.id
        assert greet(admin_nowhere)[0]["store_id"] is None
        assert publish(live, world.store_a.id, {"n": 1}) == [(world.admin.id, 1)]
        assert next_frame(admin_on_a)["payload"] == {"n": 1}
        assert publish(live, world.store_b.id, {"n": 2}) == [(two_stores.id, 1)]
        # Both of a staff member's sockets get their copy, whichever floor each stands on.
        assert next_frame(on_b)["payload"] == next_frame(nowhere)["payload"] == {"n": 2}
        assert next_frame(admin_nowhere)["payload"] == {"n": 1}


def test_a_clerk_who_signs_out_leaves_the_floor_at_once(live: LiveServer, world: World) -> None:
    with open_floor(live.url, token_for(live.context, world.clerk_a)) as clerk_a:
        greet(clerk_a)
        assert publish(live, world.store_a.id, {"n": 1}) == [(world.clerk_a.id, 1)]
        clerk_a.send(json.dumps({"type": "leave"}))
        assert close_code(clerk_a) == (1000, "signed out")
    wait_until(lambda: not live.floor.presence.staff_on_floor(world.store_a.id), "clerk A off the floor")
    assert publish(live, world.store_a.id, {"n": 2}) == []


def test_a_dropped_phone_gets_what_it_missed_when_it_is_back(live: LiveServer, world: World) -> None:
    token = token_for(live.context, world.clerk_a)
    with open_floor(live.url, token) as clerk_a:
        greet(clerk_a)
        publish(live, world.store_a.id, {"n": 1})
        assert next_frame(clerk_a)["seq"] == 1
    # Wi-Fi gone, no goodbye: the clerk stays on the floor for the grace period and their events wait.
    presence = live.floor.presence
    wait_until(lambda: not presence.connected_staff(world.store_a.id), "the server to see the socket close")
    assert presence.staff_on_floor(world.store_a.id) == {world.clerk_a.id}
    assert publish(live, world.store_a.id, {"n": 2}) == [(world.clerk_a.id, 2)]
    with open_floor(live.url, token, since=1) as clerk_a:
        _, replayed, ready = greet(clerk_a)
        assert [(f["seq"], f["payload"]) for f in replayed] == [(2, {"n": 2})] and ready["complete"]


def test_after_the_grace_period_a_dropped_phone_is_off_the_floor(
    context: AppContext, world: World, presence_clock: SteppedClock
) -> None:
    short = replace(context, settings=context.settings.model_copy(update={"floor_grace_seconds": 60}))
    with serve(short) as live:
        presence = live.floor.presence
        with open_floor(live.url, token_for(live.context, world.clerk_a)) as clerk_a:
            greet(clerk_a)
        wait_until(
            lambda: not presence.connected_staff(world.store_a.id), "the server to see the socket close"
        )
        assert presence.staff_on_floor(world.store_a.id) == {world.clerk_a.id}  # within the grace period

        def a_second_later_gone() -> bool:
            # Time passes a second a poll (not in real time) until the minute of grace has run out.
            presence_clock.step(1)
            return not presence.staff_on_floor(world.store_a.id)

        wait_until(a_second_later_gone, "clerk A off the floor after the grace period")
        assert presence_clock.offset >= 60
        assert publish(live, world.store_a.id, {"n": 1}) == []
