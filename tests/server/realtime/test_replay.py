"""Reconnecting with ?since=N replays exactly what was missed, then goes live: nothing lost or doubled."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.base import utcnow
from server.realtime import store as realtime_store
from server.realtime.events import Envelope
from server.realtime.service import prune_now, publish_to_floor
from tests.fixtures.factories import World
from tests.server.realtime.conftest import (
    LiveServer,
    greet,
    next_frame,
    open_floor,
    publish,
    serve,
    token_for,
)


def test_a_reconnect_replays_what_was_missed_while_events_keep_coming(
    live: LiveServer, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk, store = world.clerk_a, world.store_a.id
    token = token_for(live.context, clerk)
    with open_floor(live.url, token) as ws:
        greet(ws)
        for n in range(1, 4):
            # On the floor and named as an extra recipient: still one copy.
            assert publish(live, store, {"n": n}, also=(clerk.id,)) == [(clerk.id, n)]
        assert [next_frame(ws)["payload"]["n"] for _ in range(3)] == [1, 2, 3]
    for n in range(4, 11):  # offline: kept for the clerk because they are named
        publish(live, store, {"n": n}, also=(clerk.id,))

    # Right at the seam, after the socket subscribed and before the replay reads the log, events 11-20
    # are published: they reach the socket live *and* are in the log it is about to read.
    real_events_after = realtime_store.events_after
    at_seam: list[int] = []

    def events_after(session: Session, staff_id: int, after: int, upto: int | None = None) -> list[Envelope]:
        if not at_seam:
            at_seam.extend(n for n in range(11, 21) if publish(live, store, {"n": n}, also=(clerk.id,)))
        return real_events_after(session, staff_id, after, upto)

    monkeypatch.setattr(realtime_store, "events_after", events_after)

    # And events keep being published while the phone replays and goes live.
    def keep_publishing() -> None:
        for n in range(21, 61):
            publish(live, store, {"n": n}, also=(clerk.id,))
            time.sleep(0.002)

    publisher = threading.Thread(target=keep_publishing)
    with open_floor(live.url, token, since=3) as ws:
        publisher.start()
        try:
            hello, replayed, ready = greet(ws)
            frames = replayed + [next_frame(ws) for _ in range(57 - len(replayed))]
            # Then the line stays quiet: no event comes twice.
            ws.send('{"type": "ping"}')
            assert next_frame(ws)["type"] == "pong"
        finally:
            publisher.join()
    assert at_seam == list(range(11, 21))
    assert hello["last_seq"] >= 10 and ready["complete"] is True and ready["seq"] >= 20
    assert [f["seq"] for f in replayed] == list(range(4, ready["seq"] + 1))
    assert [f["seq"] for f in frames] == list(range(4, 61))
    # Two publishers ran at once, so their events interleave; each arrived exactly once.
    assert sorted(f["payload"]["n"] for f in frames) == list(range(4, 61))
    assert len({f["event_id"] for f in frames}) == 57


def test_the_log_survives_a_restart(context: AppContext, world: World) -> None:
    clerk, store = world.clerk_a, world.store_a.id
    with serve(context) as first:
        token = token_for(first.context, clerk)
        with open_floor(first.url, token) as ws:
            greet(ws)
            publish(first, store, {"n": 1})
            assert next_frame(ws)["seq"] == 1
        publish(first, store, {"n": 2}, also=(clerk.id,))
    with serve(context) as second, open_floor(second.url, token, since=1) as ws:
        _, replayed, ready = greet(ws)
        assert [(f["seq"], f["payload"]) for f in replayed] == [(2, {"n": 2})]
        assert ready == {"type": "ready", "seq": 2, "complete": True}
        publish(second, store, {"n": 3})
        assert next_frame(ws)["seq"] == 3


def test_without_since_only_live_events_come(live: LiveServer, world: World) -> None:
    clerk = world.clerk_a
    publish(live, world.store_a.id, {"n": 1}, also=(clerk.id,))
    with open_floor(live.url, token_for(live.context, clerk)) as ws:
        hello, replayed, ready = greet(ws)
        assert (hello["last_seq"], replayed, ready["seq"]) == (1, [], 1)
        publish(live, world.store_a.id, {"n": 2})
        assert next_frame(ws)["payload"] == {"n": 2}
    with open_floor(live.url, token_for(live.context, clerk), since=0) as ws:
        assert [f["seq"] for f in greet(ws)[1]] == [1, 2]


def test_a_replay_says_when_missed_events_were_pruned(
    live: LiveServer, world: World, session: Session
) -> None:
    clerk = world.clerk_a
    long_ago = utcnow() - timedelta(hours=30)
    for n in (1, 2):
        with live.context.sessions() as s:
            publish_to_floor(
                s,
                live.floor,
                world.store_a.id,
                "member.arrived",
                {"n": n},
                also_staff_ids=[clerk.id],
                now=long_ago if n == 1 else None,
            )
            s.commit()
    assert prune_now(live.context) == 1
    token = token_for(live.context, clerk)
    with open_floor(live.url, token, since=0) as ws:
        _, replayed, ready = greet(ws)
        assert [f["seq"] for f in replayed] == [2]
        assert ready == {"type": "ready", "seq": 2, "complete": False}
    with open_floor(live.url, token, since=1) as ws:
        assert greet(ws)[2]["complete"] is True
    # A phone that claims numbers the server never gave out is told its state is stale.
    with open_floor(live.url, token, since=99) as ws:
        hello, replayed, ready = greet(ws)
        assert (hello["last_seq"], replayed, ready) == (2, [], {"type": "ready", "seq": 2, "complete": False})


def test_events_handed_over_out_of_order_reach_the_phone_in_order(live: LiveServer, world: World) -> None:
    # Two arrivals committed by two threads can reach the broker in either order.
    with open_floor(live.url, token_for(live.context, world.clerk_a)) as clerk_a:
        greet(clerk_a)
        with live.context.sessions() as session:
            first = publish_to_floor(session, live.floor, world.store_a.id, "member.arrived", {"n": 1})
            second = publish_to_floor(session, live.floor, world.store_a.id, "member.arrived", {"n": 2})
            envelopes = realtime_store.events_after(session, world.clerk_a.id, 0)
            session.info.clear()  # keep the commit from handing them over in order; the test does
            session.commit()
        assert [e.seq for e in envelopes] == [first[0][1], second[0][1]] == [1, 2]
        live.floor.broker.publish([envelopes[1]])
        time.sleep(0.01)
        live.floor.broker.publish([envelopes[0]])
        assert [next_frame(clerk_a)["payload"] for _ in range(2)] == [{"n": 1}, {"n": 2}]
        # A number that never comes live (a lost broker message) is read from the log after a moment.
        with live.context.sessions() as session:
            publish_to_floor(session, live.floor, world.store_a.id, "member.arrived", {"n": 3})
            publish_to_floor(session, live.floor, world.store_a.id, "member.arrived", {"n": 4})
            later = realtime_store.events_after(session, world.clerk_a.id, 2)
            session.info.clear()
            session.commit()
        live.floor.broker.publish([later[1]])
        assert [next_frame(clerk_a)["payload"] for _ in range(2)] == [{"n": 3}, {"n": 4}]
