"""Heat alerts reach the member's consultant once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.tables import Member, MemberEvent
from server.events.service import raise_heat_alerts
from tests.server.loyalty.rows import Shop, at


def _weekly_shopper(shop: Shop) -> Member:
    """A member who bought every Wednesday from 6 March to 15 May 2024, then stopped."""
    ann = shop.member()
    scarf = shop.product("accessories", "40.00")
    day = at(2024, 3, 6)
    while day <= at(2024, 5, 15):
        shop.sale(ann, day, [(scarf, 1, "40.00")])
        day += timedelta(days=7)
    return ann


def test_two_weekly_falls_alert_the_consultant_once(session: Session) -> None:
    shop = Shop(session)
    ann = _weekly_shopper(shop)
    staff = shop.consultant(ann)
    steady = shop.member("Steady")  # came once long ago: cold, never alerted
    shop.sale(steady, at(2023, 1, 4), [(shop.product(), 1, "10.00")])
    assert raise_heat_alerts(session, at(2024, 5, 27, 2)) == 0  # one fall so far
    assert raise_heat_alerts(session, at(2024, 6, 3, 2)) == 1
    assert raise_heat_alerts(session, at(2024, 6, 3, 4)) == 0  # the job ran twice that night
    assert raise_heat_alerts(session, at(2024, 6, 10, 2)) == 0  # still falling: already told
    events = session.scalars(select(MemberEvent).where(MemberEvent.kind == "heat_alert")).all()
    assert [(e.member_id, e.staff_id, e.payload["weekly"]) for e in events] == [
        (ann.id, staff.id, [83, 78, 72])
    ]
    assert "fell two weeks running: 83 → 78 → 72" in events[0].text
