"""The publish API and the event log: atomic numbering, commit-then-send, validation, pruning."""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.core.errors import InvalidInput, NotFound
from server.db.base import utcnow
from server.db.tables import FloorCopyRun, FloorEventBody, FloorStream, Staff
from server.realtime import store
from server.realtime.broker import Broker, Signal, Subscription
from server.realtime.events import Envelope, decode_batch, encode_batch
from server.realtime.service import Floor, build_floor, publish_to_floor
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
    assert (
        session.scalars(select(FloorCopyRun)).all() == [] and session.scalars(select(FloorStream)).all() == []
    )


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


def _runs(s: Session, staff_id: int) -> list[tuple[int, int, int]]:
    """The staff member's runs as (first seq, stream, first position)."""
    runs = s.scalars(
        select(FloorCopyRun).where(FloorCopyRun.staff_id == staff_id).order_by(FloorCopyRun.first_seq)
    )
    return [(run.first_seq, run.stream_id, run.first_pos) for run in runs]


def test_a_floor_that_stays_the_same_adds_no_rows_per_copy_and_replay_reads_any_range(
    context: AppContext, world: World
) -> None:
    floor = build_floor(context)
    clerk, other, store_a = world.clerk_a.id, world.clerk_b.id, world.store_a.id

    def replay(staff_id: int, after: int = 0, upto: int | None = None, limit: int = 500) -> list[int]:
        with context.sessions() as s:
            return [e.payload["n"] for e in store.events_after(s, staff_id, after, upto, limit)]

    with context.sessions() as s:
        for n in range(1, 26):  # the other clerk misses every fifth event
            to = [clerk, other] if n % 5 else [clerk]
            publish_to_floor(s, floor, store_a, "member.arrived", {"n": n}, also_staff_ids=to)
        s.commit()
        # The clerk got every event of the floor: one run. The other clerk's copies restart after each gap.
        assert _runs(s, clerk) == [(1, store_a, 1)]
        assert _runs(s, other) == [
            (1, store_a, 1),
            (5, store_a, 6),
            (9, store_a, 11),
            (13, store_a, 16),
            (17, store_a, 21),
        ]
        assert s.get(FloorStream, store_a).last_pos == 25
    everything = list(range(1, 26))
    assert replay(clerk) == everything and replay(clerk, 10, 20) == list(range(11, 21))
    assert replay(clerk, 5, limit=3) == [6, 7, 8] and replay(clerk, 11, 13) == [12, 13]
    assert replay(other) == [n for n in everything if n % 5]
    # Ranges across runs: seqs 4-6 are events 4, 6 and 7; after 16 come 21-24.
    assert replay(other, 3, 6) == [4, 6, 7] and replay(other, 16) == [21, 22, 23, 24]
    assert replay(other, 20) == [] and replay(other, 99) == []


def test_an_event_of_another_floor_starts_a_run_and_the_floor_after_it_another(
    context: AppContext, world: World
) -> None:
    floor = build_floor(context)
    clerk, store_a, store_b = world.clerk_a.id, world.store_a.id, world.store_b.id
    with context.sessions() as s:
        for n, where in enumerate((store_a, store_a, store_b, store_a, store_a), start=1):
            publish_to_floor(s, floor, where, "member.arrived", {"n": n}, also_staff_ids=[clerk])
        publish_to_floor(s, floor, store_b, "member.arrived", {"n": 6}, also_staff_ids=[world.clerk_b.id])
        publish_to_floor(s, floor, store_b, "member.arrived", {"n": 7}, also_staff_ids=[clerk])
        s.commit()
        # Back on A the copies go on from A's third event; B's second went to another clerk, so the
        # clerk's next copy of B (B's third) starts a run of its own too.
        assert _runs(s, clerk) == [(1, store_a, 1), (3, store_b, 1), (4, store_a, 3), (6, store_b, 3)]
        envelopes = store.events_after(s, clerk, 0)
    assert [(e.seq, e.store_id, e.payload["n"]) for e in envelopes] == [
        (1, store_a, 1),
        (2, store_a, 2),
        (3, store_b, 3),
        (4, store_a, 4),
        (5, store_a, 5),
        (6, store_b, 7),
    ]


def test_pruning_removes_old_events_and_the_runs_that_ended_before_the_cutoff(
    context: AppContext, world: World
) -> None:
    floor = build_floor(context)
    clerk = world.clerk_a.id
    now = utcnow()
    with context.sessions() as s:
        for hours, where in ((40, world.store_a.id), (30, world.store_b.id), (1, world.store_a.id)):
            publish_to_floor(
                s,
                floor,
                where,
                "member.arrived",
                {"h": hours},
                also_staff_ids=[clerk],
                now=now - timedelta(hours=hours),
            )
        s.commit()
        assert [seq for seq, _, _ in _runs(s, clerk)] == [1, 2, 3]
        assert store.prune_floor_events(s, now) == 2
        s.commit()
        # The first run ended 30 hours ago: gone. The second ended an hour ago: kept, its event pruned.
        assert [seq for seq, _, _ in _runs(s, clerk)] == [2, 3]
        assert [(e.seq, e.payload["h"]) for e in store.events_after(s, clerk, 0)] == [(3, 1)]
        # Each staff member's newest run stays however old it is: their next copy may continue it.
        assert store.prune_floor_events(s, now + timedelta(days=3)) == 1
        s.commit()
        assert [seq for seq, _, _ in _runs(s, clerk)] == [3]
        assert publish_to_floor(s, floor, world.store_a.id, "member.arrived", {}, also_staff_ids=[clerk]) == [
            (clerk, 4)
        ]


def test_a_run_outliving_some_of_its_events_replays_only_the_kept_ones(
    context: AppContext, world: World
) -> None:
    floor = build_floor(context)
    clerk = world.clerk_a.id
    now = utcnow()
    with context.sessions() as s:
        _publish_hours_ago(s, floor, world, clerk, now, (30, 2, 1))
        s.commit()
        assert len(_runs(s, clerk)) == 1  # one run holding a 30-hour-old copy and two recent ones
        assert store.prune_floor_events(s, now) == 1
        s.commit()
        # The run stays for its newer copies; the oldest copy's body is gone and is not replayed.
        assert [(e.seq, e.payload["h"]) for e in store.events_after(s, clerk, 0)] == [(2, 2), (3, 1)]
        assert len(_runs(s, clerk)) == 1
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

        def publish(recipients: list[int]) -> list[tuple[int, int]]:
            copies = store.append_event(
                s,
                event_id=str(uuid.uuid4()),
                event_type="member.arrived",
                store_id=world.store_a.id,
                payload={},
                recipients=recipients,
                now=utcnow(),
            )
            return [(e.staff_id, e.seq) for e in copies]

        assert publish(ids[:700]) == [(i, 1) for i in ids[:700]]
        # 700 counters moved on, 500 made, and the same ids given twice count once.
        assert publish(ids + ids[:10]) == [(i, 2) for i in ids[:700]] + [(i, 1) for i in ids[700:]]
        assert publish([]) == []
        assert store.last_seq(s, ids[0]) == 2 and store.last_seq(s, ids[-1]) == 1
        # The 700 continued their runs; only the 500 newcomers started one.
        assert s.scalar(select(func.count()).select_from(FloorCopyRun)) == 1200
        s.rollback()


def test_random_floors_replay_every_range_exactly_as_it_was_sent(context: AppContext, world: World) -> None:
    # Staff join and leave two floors, consultants get other floors' events, some transactions roll
    # back (their positions are handed out again): whatever the mix, every staff member's replay of
    # every range is exactly the copies they were sent, in order.
    rng = random.Random(7)
    floor = build_floor(context)
    staff = [world.clerk_a.id, world.clerk_b.id, world.cashier_a.id, world.manager_a.id]
    stores = [world.store_a.id, world.store_b.id]
    sent: dict[int, list[tuple[int, int]]] = {s: [] for s in staff}  # staff -> [(seq, n)]
    for n in range(1, 121):
        where = rng.choice(stores)
        to = [s for s in staff if rng.random() < 0.6]
        with context.sessions() as s:
            copies = publish_to_floor(s, floor, where, "member.arrived", {"n": n}, also_staff_ids=to)
            if rng.random() < 0.15:
                s.rollback()
                continue
            s.commit()
        for staff_id, seq in copies:
            sent[staff_id].append((seq, n))
    with context.sessions() as s:
        for staff_id, copies in sent.items():
            assert [seq for seq, _ in copies] == list(range(1, len(copies) + 1))
            for after in range(0, len(copies) + 1, 3):
                for upto in (None, after + 1, after + 7):
                    want = [n for seq, n in copies if seq > after and (upto is None or seq <= upto)]
                    got = [e.payload["n"] for e in store.events_after(s, staff_id, after, upto)]
                    assert got == want, (staff_id, after, upto)
            assert [e.payload["n"] for e in store.events_after(s, staff_id, 0, limit=5)] == [
                n for _, n in copies[:5]
            ]
