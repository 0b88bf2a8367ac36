"""Caps and quiet hours are never broken: a property of the rules, and a randomised week of the dispatcher."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import OutboxMessage, Store
from server.messaging import limits
from server.messaging.outbox import enqueue
from tests.fixtures.factories import make_member
from tests.server.messaging.conftest import Clock, Dispatchers

START = datetime(2026, 3, 2, tzinfo=UTC)
ZONES = ["UTC", "Asia/Shanghai", "Europe/London", "America/Los_Angeles"]


def violations(sent: list[datetime], tz: str, start: str, end: str, caps: limits.Caps) -> list[str]:
    """Every quiet-hours or cap breach among one member's sends on one channel."""
    found = []
    zone = limits.zone(tz)
    for t in sent:
        if limits.quiet(t.astimezone(zone).time(), limits.parse_hhmm(start), limits.parse_hhmm(end)):
            found.append(f"{t} is in quiet hours")
        if sum(1 for u in sent if t - limits.DAY < u <= t) > caps.per_day:
            found.append(f"more than {caps.per_day} in the day up to {t}")
        if sum(1 for u in sent if t - limits.WEEK < u <= t) > caps.per_week:
            found.append(f"more than {caps.per_week} in the week up to {t}")
    return found


@settings(max_examples=200, deadline=None)
@given(
    arrivals=st.lists(st.integers(0, 14 * 24 * 60), min_size=1, max_size=40),
    tz=st.sampled_from(ZONES),
    quiet=st.tuples(st.integers(0, 23), st.integers(0, 23)),
    per_day=st.integers(1, 4),
    per_week=st.integers(1, 10),
    step=st.integers(1, 180),
)
def test_the_rules_never_let_a_send_break_caps_or_quiet_hours(
    arrivals: list[int], tz: str, quiet: tuple[int, int], per_day: int, per_week: int, step: int
) -> None:
    start, end = f"{quiet[0]:02d}:00", f"{quiet[1]:02d}:30"
    caps = limits.Caps(per_day, per_week)
    pending = sorted(START + timedelta(minutes=m) for m in arrivals)
    sent: list[datetime] = []
    now = START
    while pending and now < START + timedelta(days=60):
        for index, due in enumerate(pending):
            if due > now:
                continue
            later = limits.quiet_until(now, tz, start, end) or limits.capped_until(now, sent, caps)
            if later is not None:
                assert later > now
                pending[index] = later
            else:
                sent.append(now)
                pending[index] = datetime.max.replace(tzinfo=UTC)
        pending = [p for p in pending if p.year < 9999]
        now += timedelta(minutes=step)
    assert violations(sent, tz, start, end, caps) == []


def test_a_randomised_week_of_the_dispatcher_keeps_caps_and_quiet_hours(
    session: Session, context: AppContext, clock: Clock, dispatchers: Dispatchers
) -> None:
    rng = random.Random(20261207)
    stores = [Store(code=f"Q-{z}", name=z, timezone=z) for z in ZONES]
    session.add_all(stores)
    session.flush()
    members = [
        make_member(session, context.keys, stores[n % len(stores)], phone=f"1390013{n:04d}") for n in range(8)
    ]
    for m in members:
        m.marketing_consent = True
    session.commit()
    clock.now = START
    dispatcher = dispatchers()
    purposes = [("member_day", {"event_date": "2026-03-09"}), ("campaign", {"text": "新品"})]
    n = 0
    while clock.now < START + timedelta(days=7):
        for _ in range(rng.randint(0, 3)):
            purpose, values = rng.choice(purposes)
            enqueue(session, rng.choice(members).id, purpose, values, key=f"m-{n}", now=clock.now)
            n += 1
        session.commit()
        dispatcher.run_once()
        clock.advance(minutes=rng.randint(5, 120))
    caps = limits.Caps(
        context.settings.messaging_marketing_per_day, context.settings.messaging_marketing_per_week
    )
    total = 0
    for member, store in ((m, stores[i % len(stores)]) for i, m in enumerate(members)):
        sent = list(
            session.scalars(
                select(OutboxMessage.sent_at).where(
                    OutboxMessage.member_id == member.id, OutboxMessage.status == "sent"
                )
            )
        )
        total += len(sent)
        assert violations([t for t in sent if t], store.timezone, "21:00", "09:00", caps) == []
    assert total > 20  # the week did send: the check above is not vacuous
