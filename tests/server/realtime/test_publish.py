"""The publish API and the event log: atomic numbering, commit-then-send, validation, pruning."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.core.errors import InvalidInput, NotFound
from server.db.base import utcnow
from server.db.tables import FloorEventBody, FloorEventPending, FloorEventRun, Staff
from server.realtime import store
from server.realtime.broker import Broker, Signal, Subscription
from server.realtime.events import Envelope, decode_batch, encode_batch
from server.realtime.service import Floor, build_floor, file_now, publish_to_floor
from tests.fixtures.factories import World


def test_concurrent_publishers_number_each_staff_members_events_without_gaps(
    context: AppContext, world: World
) -> None:
    floor = build_floor(context)  # not started: events are only stored
    targets = (world.clerk_a.id, world.clerk_b.id)
    errors: list[BaseException] = []

    def publisher(i: int) -> None:
        try:
            for n in range(10):
                with context.sessions() as s:
                    publish_to_floor(
                        s,
                        floor,
                        world.store_a.id,
                        "member.arrived",
                        {"p": i, "n": n},
                        also_staff_ids=targets if i % 2 else targets[::-1],
                    )
                    s.commit()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=publisher, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with context.sessions() as s:
        for staff_id in targets:
            assert [e.seq for e in store.events_after(s, staff_id, 0)] == list(range(1, 61))
            assert store.last_seq(s, staff_id) == 60
        # Both clerks' copies of one event share its id.
        a, b = (store.events_after(s, staff_id, 0) for staff_id in targets)
        assert {e.event_id for e in a} == {e.event_id for e in b}


def test_nothing_is_sent_or_kept_when_the_transaction_rolls_back(context: AppContext, world: World) -> None:
    sent: list[list[Envelope]] = []

    class Recording(Broker):
        def publish(self, envelopes: list[Envelope]) -> None:
            sent.append(envelopes)

    floor = build_floor(context)
    floor.broker = Recording()
    clerk = world.clerk_a.id
    with context.sessions() as s:
        assert publish_to_floor(
            s, floor, world.store_a.id, "member.arrived", {"n": 1}, also_staff_ids=[clerk]
        ) == [(clerk, 1)]
        assert sent == []  # stored, not yet committed: not announced
        s.rollback()
    assert sent == []
    with context.sessions() as s:
        assert store.last_seq(s, clerk) == 0
        publish_to_floor(s, floor, world.store_a.id, "member.arrived", {"n": 2}, also_staff_ids=[clerk])
        s.commit()
    assert [[(e.staff_id, e.seq, e.payload) for e in batch] for batch in sent] == [[(clerk, 1, {"n": 2})]]


def test_bad_publications_are_refused_with_the_reason(
    context: AppContext, world: World, session: Session
) -> None:
    floor = build_floor(context)
    to = [world.clerk_a.id]
    with pytest.raises(InvalidInput, match="dotted lower-case name"):
        publish_to_floor(session, floor, world.store_a.id, "Member Arrived", {}, also_staff_ids=to)
    with pytest.raises(InvalidInput, match="not JSON serializable"):
        publish_to_floor(
            session, floor, world.store_a.id, "member.arrived", {"at": utcnow()}, also_staff_ids=to
        )
    with pytest.raises(NotFound, match="store 987654 does not exist"):
        publish_to_floor(session, floor, 987654, "member.arrived", {}, also_staff_ids=to)
    assert session.scalars(select(FloorEventBody)).all() == []
    assert session.scalars(select(FloorEventPending)).all() == []


def _publish_hours_ago(
    s: Session, floor: Floor, world: World, clerk: int, now: datetime, hours_ago: tuple[int, ...]
) -> None:
    """One event {"h": hours} to `clerk` in store A for each of `hours_ago`, dated that long before now."""
    for hours in hours_ago:
        publish_to_floor(
            s,
            floor,
            world.store_a.id,
            "member.arrived",
            {"h": hours},
            also_staff_ids=[clerk],
            now=now - timedelta(hours=hours),
        )


def test_pruning_keeps_a_day_and_never_reuses_numbers(context: AppContext, world: World) -> None:
    floor = build_floor(context)
    clerk = world.clerk_a.id
    now = utcnow()
    with context.sessions() as s:
        _publish_hours_ago(s, floor, world, clerk, now, (30, 25, 23, 1))
        s.commit()
        assert store.prune_floor_events(s, now) == 2
        s.commit()
        assert [e.payload["h"] for e in store.events_after(s, clerk, 0)] == [23, 1]
        with pytest.raises(ValueError, match="kept at least"):
            store.prune_floor_events(s, now, keep=timedelta(hours=1))
        assert publish_to_floor(s, floor, world.store_a.id, "member.arrived", {}, also_staff_ids=[clerk]) == [
            (clerk, 5)
        ]


def test_a_broker_message_round_trips_and_garbage_is_refused() -> None:
    at = utcnow()
    copies = [Envelope(s, 10 + s, "e-1", "member.arrived", 3, at, {"member_id": 9}) for s in (1, 2)]
    origin, decoded = decode_batch(encode_batch("proc-1", copies))
    assert (origin, decoded) == ("proc-1", copies)
    for garbage in ("", "{}", '{"origin": "x", "event": {}, "to": [[1, 2]]}', "[1, 2]"):
        with pytest.raises(ValueError, match="not a floor broker message"):
            decode_batch(garbage)


def test_a_phone_that_falls_behind_is_told_to_reconnect() -> None:
    async def scenario() -> list[object]:
        sub = Subscription(staff_id=1, maxsize=3)
        for seq in range(1, 6):
            sub.offer(Envelope(1, seq, f"e{seq}", "member.arrived", None, utcnow(), {}))
        return [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]

    # The queue is emptied and holds only the signal to close; the phone replays from the log.
    assert asyncio.run(scenario()) == [Signal.OVERFLOW]


def _filed(s: Session) -> list[tuple[int, int]]:
    """Every filed copy as (staff_id, seq), from the run rows."""
    return sorted((run.staff_id, seq) for run in s.scalars(select(FloorEventRun)) for seq, _ in run.copies)


def test_copies_are_filed_in_the_background_and_replay_reads_them_before_and_after(
    context: AppContext, world: World
) -> None:
    floor = build_floor(context)
    clerk, other = world.clerk_a.id, world.clerk_b.id

    def replay(staff_id: int, after: int = 0, upto: int | None = None, limit: int = 500) -> list[int]:
        with context.sessions() as s:
            return [e.payload["n"] for e in store.events_after(s, staff_id, after, upto, limit)]

    with context.sessions() as s:
        for n in range(1, 26):
            to = [clerk, other] if n % 5 else [clerk]
            publish_to_floor(s, floor, world.store_a.id, "member.arrived", {"n": n}, also_staff_ids=to)
        s.commit()
        # Written as one pending row per event: nothing filed yet, all of it replayable.
        assert _filed(s) == []
    everything = list(range(1, 26))
    assert replay(clerk) == everything
    assert replay(other) == [n for n in everything if n % 5]
    with context.sessions() as s:  # half filed, half pending: the replay is the same
        assert store.file_copies(s, batch=12) == 12
        s.commit()
        # One run per recipient for the batch: the clerk's twelve numbers, the other clerk's ten.
        runs = {run.staff_id: run for run in s.scalars(select(FloorEventRun))}
        assert (runs[clerk].first_seq, runs[clerk].last_seq, len(runs[clerk].copies)) == (1, 12, 12)
        assert (runs[other].first_seq, runs[other].last_seq, len(runs[other].copies)) == (1, 10, 10)
    assert replay(clerk) == everything and replay(clerk, 10, 20) == list(range(11, 21))
    assert replay(clerk, 5, limit=3) == [6, 7, 8] and replay(clerk, 11, 13) == [12, 13]
    assert file_now(context, batch=4) == 13
    with context.sessions() as s:
        filed = _filed(s)
        assert s.scalars(select(FloorEventPending)).all() == []
    assert [seq for staff_id, seq in filed if staff_id == clerk] == list(range(1, 26))
    assert len(filed) == 25 + 20
    assert replay(clerk) == everything and replay(other, 16) == [21, 22, 23, 24]
    assert file_now(context) == 0


def test_a_batch_filed_meanwhile_by_another_process_is_read_again_not_filed_twice(
    context: AppContext, world: World
) -> None:
    floor = build_floor(context)
    clerk = world.clerk_a.id
    with context.sessions() as s:
        for n in (1, 2):
            publish_to_floor(s, floor, world.store_a.id, "member.arrived", {"n": n}, also_staff_ids=[clerk])
        s.commit()
    with context.sessions() as s:
        stale = store.pending_batch(s)
    assert len(stale.event_ids) == 2
    with context.sessions() as s:  # another server process files the first event
        assert store.file_copies(s, batch=1) == 1
        s.commit()
    with context.sessions() as s:
        with pytest.raises(store.StaleBatch):
            store.file_batch(s, stale)
        s.rollback()
    assert file_now(context) == 1
    with context.sessions() as s:
        assert _filed(s) == [(clerk, 1), (clerk, 2)]
        assert [e.seq for e in store.events_after(s, clerk, 0)] == [1, 2]


def test_pruning_removes_old_events_whether_filed_or_pending(context: AppContext, world: World) -> None:
    floor = build_floor(context)
    clerk = world.clerk_a.id
    now = utcnow()
    with context.sessions() as s:
        _publish_hours_ago(s, floor, world, clerk, now, (40, 30))
        s.commit()
        store.file_copies(s, batch=1)  # the 40-hour-old event is filed, the 30-hour-old one pending
        publish_to_floor(s, floor, world.store_a.id, "member.arrived", {"h": 1}, also_staff_ids=[clerk])
        s.commit()
        assert store.prune_floor_events(s, now) == 2
        s.commit()
        assert [e.payload["h"] for e in store.events_after(s, clerk, 0)] == [1]
        assert len(s.scalars(select(FloorEventPending)).all()) == 1


def test_a_run_outliving_some_of_its_events_replays_only_the_kept_ones(
    context: AppContext, world: World
) -> None:
    floor = build_floor(context)
    clerk = world.clerk_a.id
    now = utcnow()
    with context.sessions() as s:
        _publish_hours_ago(s, floor, world, clerk, now, (30, 2, 1))
        s.commit()
        assert store.file_copies(s) == 3  # one run holding a 30-hour-old copy and two recent ones
        s.commit()
        assert store.prune_floor_events(s, now) == 1
        s.commit()
        # The run stays for its newer copies; the oldest copy's body is gone and is not replayed.
        assert [(e.seq, e.payload["h"]) for e in store.events_after(s, clerk, 0)] == [(2, 2), (3, 1)]
        assert len(s.scalars(select(FloorEventRun)).all()) == 1
        # A pruned copy does not take a place in a batch: a short batch still means "nothing more".
        assert [e.seq for e in store.events_after(s, clerk, 0, limit=2)] == [2, 3]
        assert [e.seq for e in store.events_after(s, clerk, 0, limit=1)] == [2]


def test_many_recipients_are_numbered_in_one_statement_new_and_existing_alike(
    context: AppContext, world: World
) -> None:
    # More recipients than a statement of one VALUES row each could hold (it took 500 a statement).
    with context.sessions() as s:
        rows = [
            {"login": f"many-{n}", "display_name": f"Many {n}", "password_hash": "x", "active": True}
            for n in range(1200)
        ]
        s.execute(insert(Staff), rows)
        ids = sorted(s.scalars(select(Staff.id).where(Staff.login.like("many-%"))))
        assert len(ids) == 1200
        assert store.allocate_seqs(s, ids[:700]) == dict.fromkeys(ids[:700], 1)
        # 700 counters moved on, 500 made, and the same ids given twice count once.
        both = store.allocate_seqs(s, ids + ids[:10])
        assert both == dict.fromkeys(ids[:700], 2) | dict.fromkeys(ids[700:], 1)
        assert store.allocate_seqs(s, []) == {}
        assert store.last_seq(s, ids[0]) == 2 and store.last_seq(s, ids[-1]) == 1
        s.rollback()
