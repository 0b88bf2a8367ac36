"""Heat alerts reach the member's consultant (or, without one, the store manager) once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.db.tables import AutomationEvent, MemberEvent
from server.events.service import raise_heat_alerts
from tests.fixtures.factories import make_staff
from tests.server.loyalty.rows import Shop, at, weekly_shopper


def test_two_weekly_falls_alert_the_consultant_once(session: Session) -> None:
    shop = Shop(session)
    ann = weekly_shopper(shop)
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


def test_a_member_without_a_consultant_is_alerted_to_the_store_manager_and_to_journeys(
    session: Session,
) -> None:
    shop = Shop(session)
    ann = weekly_shopper(shop)  # no consultant
    manager = make_staff(session, [(Role.STORE_MANAGER, shop.store.id)])
    raise_heat_alerts(session, at(2024, 5, 27, 2))
    assert raise_heat_alerts(session, at(2024, 6, 3, 2)) == 1
    alert = session.scalars(select(MemberEvent).where(MemberEvent.kind == "heat_alert")).one()
    assert (alert.member_id, alert.staff_id) == (ann.id, manager.id)  # on the manager's task list
    started = session.scalars(select(AutomationEvent).where(AutomationEvent.kind == "heat_alert")).all()
    assert [e.member_id for e in started] == [ann.id]  # a journey may follow it up
