"""The journeys under load and a kill -9: a simulated week of a 100,000-member chain.

Run: python bench/journeys.py [--backend sqlite|postgresql|both] [--members 100000] [--data PATH]
[--no-dev-data] [--url PG_URL]. Builds a chain of its own (bench/journeys_world.py: the development
data's customers and sales padded to `--members` by cloned histories, four stores, birthdays and join
dates over the year, Wednesday the member day) with every seed journey switched on in every store.

The workers are real processes, but not `aisle worker`: the app's business clock cannot be pinned for a
process (server/core/clock.py has no setting), so each worker is this script with `--worker`, looping
`JourneyWorker(context, clock).run_once()` with the simulated time read from a file. SQLite runs one
worker (its single writer), PostgreSQL two. The week starts the Monday after the data's last sale,
09:00 UTC; each day the clock is set to 09:00 and the workers run the day's sweeps, events and due steps
until nothing is due; then the day's sales are booked as the till books them (a transaction and its
`purchased` event, key `purchased:<id>`) between 10:00 and 20:00, the clock moves to 21:00 and the
workers drain again. Members buy with a base probability a day. Once during the run (when a phase has
done some steps and has more due), one worker is killed with SIGKILL and started again.

Headline (`seconds`, `steps_per_s`): the member-day journey (everyone enters on the eve of the member
day, Tuesday, and the first step is the announcement) from the moment the clock reaches Tuesday 09:00
to the moment all of its ~members enrolments have their first step done; that day's other sweeps
(birthdays, lapsed, expiries) run in the same time. A lift is planted in it: over its goal window (the
eve and the member day) a control member buys with probability `--base` and a treatment member with
`--base` + `--lift`, arms computed with holdout.arm and the engine's settings; `lift_error` is |the
conversion lift service.report measures against the journey's holdout - `--lift`| in points.
Afterwards the database is audited; one JSON line per backend.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.integrity import postgres_schema  # noqa: E402
from bench.journeys_audit import audit  # noqa: E402
from bench.journeys_world import (  # noqa: E402
    World,
    build_world,
    random_histories,
    read_histories,
    start_of_week,
)
from server.automations.engine import live_journeys  # noqa: E402
from server.automations.holdout import arm  # noqa: E402
from server.automations.runner import JourneyWorker, settings_of  # noqa: E402
from server.automations.service import report  # noqa: E402
from server.automations.sweeps import _jobs  # noqa: E402
from server.business_events.events import NewEvent, emit_many  # noqa: E402
from server.config import Settings  # noqa: E402
from server.core.context import AppContext  # noqa: E402
from server.db import migrate  # noqa: E402
from server.db.session import make_engine, session_scope  # noqa: E402
from server.db.tables import (  # noqa: E402
    AutomationEvent,
    AutomationSweep,
    JourneyEnrolment,
    JourneyStep,
    Staff,
    Transaction,
)

SECRET = "journeys-bench-secret-0123456789ab"
DEFAULT_PATH = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
MEMBER_DAY, LIFT_JOURNEY = "seed-member-day", "seed-member-day"
EVE = 1  # Tuesday, the eve of Wednesday's member day


def context_for(url: str, data_dir: Path) -> AppContext:
    """The app's context on `url` with the bench's settings (default holdouts: 5% global, 10% per journey)."""
    settings = Settings(data_dir=data_dir, database_url=url, secret_key=SecretStr(SECRET), _env_file=None)  # type: ignore[call-arg]
    return AppContext.from_settings(settings, make_engine(url))


def worker_main(url: str, data_dir: Path, clock_file: Path) -> None:
    """A journey worker on the simulated clock: rounds until SIGTERM, resting briefly when idle."""
    context = context_for(url, data_dir)
    stop = False

    def _stop(*_: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    worker = JourneyWorker(context, lambda: datetime.fromisoformat(clock_file.read_text().strip()))
    while not stop:
        try:
            handled = worker.run_once()
        except Exception as exc:  # a lost race or a hiccup: the rows keep everything; go on
            print(f"worker {os.getpid()}: {exc!r}", file=sys.stderr, flush=True)
            handled = 0
        if not handled:
            time.sleep(0.05)


class Workers:
    """The worker processes on the shared clock file; one is killed once, mid-phase, and restarted."""

    def __init__(self, url: str, data_dir: Path, count: int) -> None:
        self.url, self.data_dir, self.clock = url, data_dir, data_dir / "clock"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.count, self.killed_at = count, ""

    def set(self, now: datetime) -> None:
        tmp = self.clock.with_suffix(".tmp")
        tmp.write_text(now.isoformat())
        tmp.replace(self.clock)  # atomic: a worker never reads half a time

    def _spawn(self) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, str(Path(__file__)), "--worker", "--url", self.url]
        return subprocess.Popen([*cmd, "--data-dir", str(self.data_dir)], cwd=ROOT)

    def start(self) -> None:
        self.procs = [self._spawn() for _ in range(self.count)]

    def kill_one(self, phase: str) -> None:
        victim = self.procs[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.procs[0] = self._spawn()
        self.killed_at = phase

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()

    def check(self) -> None:
        if any(p.poll() is not None for p in self.procs):
            raise SystemExit("a journey worker died")


def _pending(session: Session, now: datetime) -> tuple[int, int, bool]:
    """Unconsumed events, steps due by `now`, and whether today's sweeps all ran."""
    events = session.scalar(
        select(func.count()).select_from(AutomationEvent).where(AutomationEvent.consumed_at.is_(None))
    )
    due = session.scalar(
        select(func.count())
        .select_from(JourneyStep)
        .where(JourneyStep.status == "due", JourneyStep.due_at <= now)
    )
    wanted = {key for live in live_journeys(session) if live.stores for key, _ in _jobs(live, now)}
    taken = set(session.scalars(select(AutomationSweep.key).where(AutomationSweep.key.in_(sorted(wanted)))))
    return int(events or 0), int(due or 0), taken == wanted


def _done_steps(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(JourneyStep).where(JourneyStep.status != "due")) or 0
    )


def settle(context: AppContext, workers: Workers, now: datetime, phase: str, kill: int) -> None:
    """Wait until the workers have nothing left to do at `now`; kill one on the way if asked and possible."""
    with context.sessions() as s:
        before = _done_steps(s)
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        workers.check()
        with context.sessions() as s:
            events, due, swept = _pending(s, now)
            if kill and not workers.killed_at and due > kill and _done_steps(s) - before >= kill:
                workers.kill_one(phase)
            if not events and not due and swept:
                return
        time.sleep(0.1)
    raise SystemExit(f"the workers never settled at {now}")


def first_steps_done(context: AppContext, journey_id: int, expected: int, since: datetime) -> bool:
    """Every member of the member day entered and their first step done."""
    with context.sessions() as s:
        entered = s.scalar(
            select(func.count())
            .select_from(JourneyEnrolment)
            .where(JourneyEnrolment.journey_id == journey_id, JourneyEnrolment.entered_at >= since)
        )
        if int(entered or 0) < expected:
            return False
        waiting = s.scalar(
            select(func.count())
            .select_from(JourneyStep)
            .join(JourneyEnrolment, JourneyEnrolment.id == JourneyStep.enrolment_id)
            .where(JourneyEnrolment.journey_id == journey_id, JourneyStep.status == "due")
        )
    return not waiting


def book_sales(session: Session, rows: list[dict[str, Any]]) -> None:
    """Sales as the till books them: the transaction and its `purchased` event (key purchased:<id>)."""
    for part in range(0, len(rows), 5000):
        chunk = rows[part : part + 5000]
        ids = session.scalars(
            insert(Transaction).returning(Transaction.id, sort_by_parameter_order=True), chunk
        )
        emit_many(
            session,
            [
                NewEvent(
                    "purchased",
                    r["member_id"],
                    f"purchased:{txn_id}",
                    r["occurred_at"],
                    r["store_id"],
                    {"transaction_id": txn_id, "amount": str(r["total_amount"])},
                )
                for txn_id, r in zip(ids, chunk, strict=True)
            ],
        )


def day_sales(
    world: World,
    day: datetime,
    window: tuple[datetime, datetime],
    planted: dict[int, datetime],
    base_daily: float,
    rng: random.Random,
) -> list[dict[str, Any]]:
    """The day's sales between 10:00 and 20:00: base buyers, and the planted buyers of the lift window."""
    homes = dict(
        zip(
            world.members,
            [world.stores[i % len(world.stores)] for i in range(len(world.members))],
            strict=True,
        )
    )
    rows = []
    in_window = window[0] <= day < window[1]
    for member_id in world.members:
        if in_window:
            at = planted.get(member_id)
            if at is None or at.date() != day.date():
                continue
        elif rng.random() >= base_daily:
            continue
        else:
            at = day.replace(hour=10) + timedelta(seconds=rng.randrange(10 * 3600))
        amount = Decimal(str(round(rng.lognormvariate(3.5, 0.8), 2)))
        rows.append(
            {
                "store_id": homes[member_id],
                "member_id": member_id,
                "occurred_at": at,
                "kind": "sale",
                "total_amount": amount,
                "discount_amount": Decimal(0),
                "source": "till",
                "created_at": at,
            }
        )
    return rows


def plant(world: World, context: AppContext, eve: datetime, args: argparse.Namespace) -> dict[int, datetime]:
    """Who buys inside the member day's goal window: control with p, treatment with p + lift."""
    settings, rng = settings_of(context), random.Random(args.seed + 1)
    journey_id = world.journeys[LIFT_JOURNEY]
    with context.sessions() as s:
        live = next(x for x in live_journeys(s) if x.journey.id == journey_id)
    holdout = live.definition.holdout_percent
    out = {}
    for m in world.members:
        treated = arm(settings.salt, journey_id, m, holdout, settings.global_holdout_percent) == "treatment"
        if rng.random() < (args.base + (args.lift if treated else 0)) / 100:
            day = eve + timedelta(days=rng.randrange(2))
            out[m] = day.replace(hour=10) + timedelta(seconds=rng.randrange(1, 10 * 3600))
    return out


def run(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = (
            postgres_schema(args.url) if backend == "postgresql" else f"sqlite:///{data_dir / 'journeys.db'}"
        )
        try:
            return _drive(backend, url, data_dir, args)
        finally:
            if backend == "postgresql":
                postgres_schema(args.url, drop=url.rsplit("%3D", 1)[1])


def _drive(backend: str, url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    started = time.monotonic()
    if args.no_dev_data:
        histories = random_histories(min(args.members, 5000), datetime(2025, 3, 1, tzinfo=UTC), rng)
    else:
        histories = read_histories(args.data)
    start = start_of_week(histories)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    context = context_for(url, data_dir)
    with session_scope(context.sessions) as s:
        world = build_world(s, args.members, histories, start, args.stores, args.seed)
    if backend == "postgresql":
        with context.sessions() as s, s.begin():
            s.execute(text("ANALYZE"))
    built = time.monotonic() - started
    workers = Workers(url, data_dir, 1 if backend == "sqlite" else 2)
    workers.set(start - timedelta(hours=12))
    workers.start()
    eve = start + timedelta(days=EVE)
    planted = plant(world, context, eve, args)
    headline = day_seconds = 0.0
    kill = max(10, min(200, len(world.members) // 20))  # steps done, and still due, when one is killed
    days: list[float] = []  # each day's drains (morning and evening), the sales' booking left out
    try:
        for day in range(args.days):
            morning = start + timedelta(days=day)
            t0 = time.monotonic()
            workers.set(morning)
            if day == EVE:
                journey_id = world.journeys[MEMBER_DAY]
                while not first_steps_done(context, journey_id, len(world.members), eve):
                    workers.check()
                    time.sleep(0.25)  # light polling: the worker has the other core
                headline = time.monotonic() - t0
            settle(context, workers, morning, f"day {day} morning", kill=kill)
            morning_seconds = time.monotonic() - t0
            if day == EVE:
                day_seconds = morning_seconds
            with session_scope(context.sessions) as s:
                window = (eve, eve + timedelta(days=2))
                book_sales(s, day_sales(world, morning, window, planted, args.daily / 100, rng))
            evening = morning + timedelta(hours=12)
            t1 = time.monotonic()
            workers.set(evening)
            settle(context, workers, evening, f"day {day} evening", kill=kill)
            days.append(round(morning_seconds + time.monotonic() - t1, 1))
        final = start + timedelta(days=args.days)
        workers.set(final)
        settle(context, workers, final, "the week's end", kill=kill)
    finally:
        workers.stop()
    figures = audit(context, final)
    with context.sessions() as s:
        caller = s.get(Staff, world.admin_id)
        assert caller is not None
        measured = report(s, caller, world.journeys[LIFT_JOURNEY], final)
        entered = sum(measured.entered.values())
    lift = measured.against_holdout.conversion_lift
    context.engine.dispose()
    return {
        "backend": backend,
        "members": len(world.members),
        "enrolments": figures.pop("enrolments"),
        "steps": figures.pop("steps"),
        "seconds": round(headline, 2),
        "steps_per_s": round(entered / headline, 1) if headline else None,
        **{k: figures.pop(k) for k in ("double_sends", "double_enrolments", "missed_due_steps")},
        "lift_error": round(abs(lift * 100 - args.lift), 2) if lift is not None else None,
        "lift_measured": round(lift * 100, 2) if lift is not None else None,
        "lift_planted": args.lift,
        "lift_arms": {a: [x.members, x.converted] for a, x in measured.arms.items()},
        "headline_journey": MEMBER_DAY,
        "headline_enrolments": entered,
        "eve_day_seconds": round(day_seconds, 2),
        "day_seconds": days,
        "killed": workers.killed_at,
        "workers": workers.count,
        "sales_history": world.sales,
        "build_seconds": round(built, 1),
        "week_seconds": round(time.monotonic() - started - built, 1),
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=DEFAULT_PATH, help="the Online Retail file")
    parser.add_argument("--no-dev-data", action="store_true", help="random histories instead of the file")
    parser.add_argument("--stores", type=int, default=4)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--daily", type=float, default=2.0, help="percent of members buying on a day")
    parser.add_argument("--base", type=float, default=8.0, help="control's purchase percent in the window")
    parser.add_argument("--lift", type=float, default=5.0, help="planted lift in points")
    parser.add_argument("--url", default=os.environ.get("AISLE_TEST_POSTGRES_URL", ""), help="PostgreSQL URL")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.url, args.data_dir, args.data_dir / "clock")
        return
    backend = args.backend or ("both" if args.url and _reachable(args.url) else "sqlite")
    for name in ["sqlite", "postgresql"] if backend == "both" else [backend]:
        if name == "postgresql" and not args.url:
            raise SystemExit("--url (or AISLE_TEST_POSTGRES_URL) is needed for PostgreSQL")
        print(json.dumps(run(name, args)), flush=True)


def _reachable(url: str) -> bool:
    try:
        engine = make_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


if __name__ == "__main__":
    main()
