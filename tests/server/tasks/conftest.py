"""A VIP consultant's book of clients with known answers for every list on the task screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.core.context import AppContext
from server.db.tables import ConsultantAssignment, Interaction, Member, MemberEvent, Staff
from tests.fixtures.factories import (
    World,
    build_world,
    make_member,
    make_product,
    make_staff,
    make_transaction,
)

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
TODAY = NOW.date()


@dataclass
class Book:
    world: World
    vip: Staff
    dan: Member  # dormant (200 days), never contacted: a dormant task
    eve: Member  # dormant, contacted 10 days ago: no task
    fay: Member  # dormant (250 days), contacted 40 days ago: a dormant task
    gus: Member  # bought 10 days ago: active
    hal: Member  # never bought: not dormant
    stranger: Member  # a store A member who is not the consultant's client
    alert: int  # open heat alert to the consultant about Gus
    follow_soon: int  # the consultant's follow-up on the stranger in 3 days
    follow_late: int  # a clerk's follow-up on Gus, 2 days overdue
    reminder: int  # the nightly reminder event of follow_late


def _talk(
    session: Session, member: Member, staff: Staff, days_ago: int, follow_up_on: date | None = None
) -> int:
    row = Interaction(
        member_id=member.id,
        staff_id=staff.id,
        channel="call",
        note="asked about  the spring   catalogue",
        occurred_at=NOW - timedelta(days=days_ago),
        follow_up_on=follow_up_on,
    )
    session.add(row)
    session.flush()
    return row.id


def _event(session: Session, member: Member, staff: Staff, kind: str, **fields: object) -> int:
    row = MemberEvent(
        member_id=member.id, staff_id=staff.id, kind=kind, occurred_at=NOW - timedelta(days=1), **fields
    )
    session.add(row)
    session.flush()
    return row.id


def build_book(session: Session, context: AppContext) -> Book:
    """The consultant, five clients, a stranger, events and interactions; committed."""
    world = build_world(session)
    store = world.store_a
    vip = make_staff(session, [(Role.VIP_CONSULTANT, store.id)])
    tea = make_product(session, name="Tea")
    people = {
        n: make_member(session, context.keys, store, name=n)
        for n in ("Dan", "Eve", "Fay", "Gus", "Hal", "Sam")
    }
    for name, days in (("Dan", 200), ("Eve", 300), ("Fay", 250), ("Gus", 10)):
        make_transaction(session, store, people[name], [(tea, 1, "3.00")], NOW - timedelta(days=days))
    for name in ("Dan", "Eve", "Fay", "Gus", "Hal"):
        session.add(ConsultantAssignment(member_id=people[name].id, staff_id=vip.id, position="primary"))
    _talk(session, people["Eve"], world.clerk_a, 10)
    _talk(session, people["Fay"], vip, 40)
    soon = _talk(session, people["Sam"], vip, 2, TODAY + timedelta(days=3))
    late = _talk(session, people["Gus"], world.clerk_a, 5, TODAY - timedelta(days=2))
    _talk(session, people["Gus"], vip, 1, TODAY + timedelta(days=10))  # beyond the week ahead
    _talk(session, people["Sam"], world.clerk_a, 1, TODAY)  # a clerk's, about a stranger
    done = _talk(session, people["Gus"], vip, 50, TODAY - timedelta(days=40))
    session.get_one(Interaction, done).follow_up_done_at = NOW - timedelta(days=39)
    alert = _event(
        session,
        people["Gus"],
        vip,
        "heat_alert",
        text="heat index fell two weeks running: 60 → 50 → 40",
        payload={"weekly": [60, 50, 40], "week_end": "2025-02-23"},
    )
    _event(session, people["Dan"], vip, "tier_change", text="read already", acknowledged_at=NOW)
    _event(session, people["Dan"], world.clerk_a, "heat_alert", text="for somebody else")
    reminder = _event(
        session, people["Gus"], vip, "follow_up", text="follow up", dedup_key=f"follow-up:{late}"
    )
    session.commit()
    p = people
    return Book(
        world, vip, p["Dan"], p["Eve"], p["Fay"], p["Gus"], p["Hal"], p["Sam"], alert, soon, late, reminder
    )


@pytest.fixture
def book(session: Session, context: AppContext) -> Book:
    return build_book(session, context)
