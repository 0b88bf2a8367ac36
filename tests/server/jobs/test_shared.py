"""A night shared by several workers: the same results as one unit of work, every chunk done exactly
once, the steps in order, a failed chunk taken over, a second run adding nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from server.core.context import AppContext
from server.db.queries import IdRange
from server.db.session import make_session_factory, session_scope
from server.db.tables import JobChunk
from server.jobs import shared
from server.jobs.nightly import STEPS, Step, run_nightly
from server.jobs.shared import SharedNight, help_with_nights, plan_night, share_night
from server.jobs.worker import work
from tests.server.jobs.chain import NIGHT, fill_chain, snapshot

SIZE = 2  # members per chunk: nine members make five chunks of each member-wise step


def _poll() -> None:
    time.sleep(0.01)


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        fill_chain(session)
    return factory


def _report(night: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in night.items() if k not in ("seconds", "shared")}


def _chunks(sessions: sessionmaker[Session]) -> list[tuple[str, int, str]]:
    with session_scope(sessions) as session:
        stmt = select(JobChunk.step, JobChunk.lo, JobChunk.status).where(JobChunk.step != "plan")
        return [
            (step, lo, status)
            for step, lo, status in session.execute(stmt.order_by(JobChunk.step_index, JobChunk.lo))
        ]


def _record(monkeypatch: pytest.MonkeyPatch, also: Callable[[Step, IdRange | None], None]) -> list[Any]:
    """Every chunk run (committed or not), as (step, lo); `also` runs after the step, before the chunk is
    marked done."""
    ran: list[Any] = []
    lock = threading.Lock()
    real = shared.run_step

    def run_step(session: Session, step: Step, now: datetime, members: IdRange | None) -> dict[str, Any]:
        figures = real(session, step, now, members)
        with lock:
            ran.append((step.name, members.lo if members else None))
        also(step, members)
        return figures

    monkeypatch.setattr(shared, "run_step", run_step)
    return ran


def test_a_chunked_night_does_what_one_unit_of_work_does(sessions: sessionmaker[Session]) -> None:
    session = sessions()
    try:
        alone = run_nightly(session, NIGHT).as_dict()
        expected = snapshot(session)
    finally:
        session.rollback()  # the single unit of work never happened
        session.close()
    night = share_night(sessions, NIGHT, SIZE, pause=_poll)
    assert night.planned_here and night.chunks_left == 0
    assert night.chunks_done_here == 8 * 5 + 1  # eight member-wise steps of five chunks, one of follow-ups
    with session_scope(sessions) as session:
        assert snapshot(session) == expected
    assert _report(night.as_dict()) == _report(alone)
    # Every step had something to do on this chain, so the comparison covers each of them.
    assert alone["points_expired"] > 0 and alone["tags"]["added"] > 0 and alone["heat_alerts"] > 0
    assert alone["tiers"]["upgraded"] > 0 and alone["points_reminders"] > 0 and alone["benefit_reminders"] > 0
    assert alone["follow_up_reminders"] == 1 and all(alone["notices"].values()), alone["notices"]
    assert set(night.report.seconds) == set(alone["seconds"])


def _race(sessions: sessionmaker[Session], workers: int) -> list[SharedNight | BaseException]:
    """`workers` threads, each with sessions of its own, share the night; what each returned or raised."""
    results: list[SharedNight | BaseException] = [RuntimeError("did not finish")] * workers
    start = threading.Barrier(workers)

    def work(n: int) -> None:
        try:
            start.wait()
            results[n] = share_night(sessions, NIGHT, SIZE, pause=_poll)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test to assert on
            results[n] = exc

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_racing_workers_do_every_chunk_once_and_each_step_after_the_last(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    order = {step.name: index for index, step in enumerate(STEPS)}
    early: list[Any] = []

    def no_earlier_step_due(step: Step, _members: IdRange | None) -> None:
        # Seen from outside the worker's transaction: a lower step's chunk still due (waiting or claimed
        # by a worker that has not committed) would mean this chunk was claimed too soon.
        with session_scope(sessions) as session:
            stmt = select(JobChunk.step).where(JobChunk.status == "due", JobChunk.step != "plan")
            behind = [s for s in session.scalars(stmt) if order[s] < order[step.name]]
        early.extend((step.name, s) for s in behind)

    ran = _record(monkeypatch, no_earlier_step_due)
    results = _race(sessions, 3)
    nights = [r for r in results if isinstance(r, SharedNight)]
    assert len(nights) == 3, results
    assert sum(n.planned_here for n in nights) == 1
    chunks = _chunks(sessions)
    assert len(chunks) == 8 * 5 + 1 and {status for _, _, status in chunks} == {"done"}
    assert sorted(ran, key=repr) == sorted(((s, lo) for s, lo, _ in chunks), key=repr)  # each once
    assert sum(n.chunks_done_here for n in nights) == len(chunks)
    assert early == []
    # Each worker waited for the others, so each reports the whole night.
    assert all(n.chunks_left == 0 and n.as_dict()["shared"]["run_key"] == "2024-06-24" for n in nights)
    assert len({repr(_report(n.as_dict())) for n in nights}) == 1


def test_a_worker_that_fails_mid_chunk_leaves_it_due_for_another(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    failed: list[int] = []

    def die_once_in_the_tier_review(step: Step, members: IdRange | None) -> None:
        if step.name == "tier_review" and members is not None and members.lo > 0 and not failed:
            failed.append(members.lo)
            raise RuntimeError("worker killed mid-chunk")  # after the step wrote, before the commit

    ran = _record(monkeypatch, die_once_in_the_tier_review)
    with pytest.raises(RuntimeError, match="killed"):
        share_night(sessions, NIGHT, SIZE, pause=_poll)
    due = [(step, lo) for step, lo, status in _chunks(sessions) if status == "due"]
    assert ("tier_review", failed[0]) in due
    assert {step for step, _ in due} == {s.name for s in STEPS[2:]}  # birthdays and expiry are in
    night = share_night(sessions, NIGHT, SIZE, pause=_poll)  # another worker
    assert not night.planned_here and night.chunks_left == 0
    assert ran.count(("tier_review", failed[0])) == 2  # run twice, committed once
    assert {status for _, _, status in _chunks(sessions)} == {"done"}
    session = sessions()
    try:
        with session.begin():
            expected = snapshot(session)
        fresh = run_nightly(session, NIGHT)  # the single unit of work finds nothing left to do
        assert snapshot(session) == expected
        assert fresh.points_expired == 0 and fresh.tiers is not None and fresh.tiers.upgraded == 0
        assert fresh.tags is not None and fresh.tags.added == 0 and sum(fresh.notices.values()) == 0
    finally:
        session.rollback()
        session.close()


def test_running_the_night_twice_adds_nothing(sessions: sessionmaker[Session]) -> None:
    first = share_night(sessions, NIGHT, SIZE, pause=_poll)
    with session_scope(sessions) as session:
        after = snapshot(session)
        chunks = session.scalar(select(func.count()).select_from(JobChunk))
    later = share_night(sessions, NIGHT.replace(hour=3), SIZE, pause=_poll)  # cron started it again
    assert (later.planned_here, later.chunks_done_here, later.chunks_left) == (False, 0, 0)
    assert later.as_of == first.as_of == NIGHT  # the night runs as of its plan's moment
    assert _report(later.as_dict()) == _report(first.as_dict())
    with session_scope(sessions) as session:
        assert snapshot(session) == after
        assert session.scalar(select(func.count()).select_from(JobChunk)) == chunks


def test_aisle_workers_help_with_a_night_that_share_planned(context: AppContext) -> None:
    sessions = context.sessions
    with session_scope(sessions) as session:
        fill_chain(session)
    assert help_with_nights(sessions) == 0  # no night planned: nothing to help with
    with session_scope(sessions) as session:
        assert plan_night(session, NIGHT, SIZE)
    work(context, once=True)  # an `aisle worker` round: messages, journeys, and one chunk
    assert [status for _, _, status in _chunks(sessions)].count("done") == 1
    while help_with_nights(sessions):
        pass
    assert {status for _, _, status in _chunks(sessions)} == {"done"}
    night = share_night(sessions, NIGHT, SIZE, pause=_poll)  # the cron process finds the night done
    assert (night.planned_here, night.chunks_done_here, night.chunks_left) == (False, 0, 0)
    assert night.report.points_expired == 3000 and night.report.follow_up_reminders == 1
