"""Check-in (签到) and activity points: once a day where the store is, a streak bonus, once per event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member, PointsEntry
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, make_member
from tests.fixtures.race import race

NOW = datetime(2024, 6, 30, 15, tzinfo=UTC)


def _check_in(client: TestClient, context: AppContext, staff: Any, member: Member, **body: Any) -> Any:
    return client.post(f"/api/v1/members/{member.id}/check-ins", json=body, headers=auth(context, staff))


def _entries(session: Session, member: Member) -> list[PointsEntry]:
    session.expire_all()
    stmt = select(PointsEntry).where(PointsEntry.member_id == member.id).order_by(PointsEntry.id)
    return list(session.scalars(stmt))


def test_a_check_in_earns_points_once_a_day_and_a_week_in_a_row_earns_the_bonus(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    member = make_member(session, context.keys, world.store_a)
    session.commit()
    for day in range(7):
        pin_clock(client, NOW + timedelta(days=day))
        first = _check_in(client, context, world.clerk_a, member)
        assert first.status_code == 201, first.text
        again = _check_in(client, context, world.clerk_a, member)
        assert again.json()["replayed"] is True and again.json()["entry_id"] == first.json()["entry_id"]
        assert first.json()["streak"] == day + 1
    last = first.json()
    assert (last["points"], last["bonus"]) == (25, 20), last  # 5 a day, +20 on the 7th day in a row
    assert sum(e.points for e in _entries(session, member)) == 6 * 5 + 25
    assert last["available"] == 55
    # A day missed starts the run again.
    pin_clock(client, NOW + timedelta(days=8))
    assert _check_in(client, context, world.clerk_a, member).json()["streak"] == 1


def test_the_day_is_the_store_s_day_not_utc(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    world.store_a.timezone = "Asia/Shanghai"
    member = make_member(session, context.keys, world.store_a)
    session.commit()
    # 15:30 and 16:30 UTC are 23:30 on the 30th and 00:30 on 1 July in Shanghai: two days.
    pin_clock(client, datetime(2024, 6, 30, 15, 30, tzinfo=UTC))
    assert _check_in(client, context, world.clerk_a, member).status_code == 201
    pin_clock(client, datetime(2024, 6, 30, 16, 30, tzinfo=UTC))
    second = _check_in(client, context, world.clerk_a, member).json()
    assert second["replayed"] is False and second["streak"] == 2
    assert [e.detail["day"] for e in _entries(session, member)] == ["2024-06-30", "2024-07-01"]


def test_twenty_parallel_check_ins_earn_once(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    pin_clock(client, NOW)
    member = make_member(session, context.keys, world.store_a)
    session.commit()
    answers = race(20, lambda i: _check_in(client, context, world.clerk_a, member))
    assert sorted(a.status_code for a in answers) == [201] * 20, [
        a.text for a in answers if a.status_code != 201
    ]
    assert sum(not a.json()["replayed"] for a in answers) == 1
    assert [e.points for e in _entries(session, member)] == [5]


def test_an_activity_earns_once_per_event_and_unknown_kinds_are_refused(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    pin_clock(client, NOW)
    member = make_member(session, context.keys, world.store_a)
    session.commit()
    url = f"/api/v1/members/{member.id}/activities"
    headers = auth(context, world.clerk_a)
    body = {"kind": "event_attended", "reference": "tea-salon-2024-06"}
    answers = race(20, lambda i: client.post(url, json=body, headers=headers))
    assert {a.status_code for a in answers} == {201}
    assert sum(not a.json()["replayed"] for a in answers) == 1
    other = client.post(url, json={"kind": "survey_answered", "reference": "nps-q2"}, headers=headers)
    assert other.status_code == 201 and other.json()["points"] == 20
    entries = _entries(session, member)
    assert [(e.points, e.detail["reason"]) for e in entries] == [
        (50, "event_attended"),
        (20, "survey_answered"),
    ]
    unknown = client.post(url, json={"kind": "karaoke", "reference": "x"}, headers=headers)
    assert unknown.status_code == 422 and "unknown activity 'karaoke'" in unknown.json()["detail"]
    assert "event_attended" in unknown.json()["detail"]


def test_points_rules_are_admin_data_validated_when_saved(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    pin_clock(client, NOW)
    url = "/api/v1/loyalty/config/activities"
    admin = auth(context, world.admin)
    bad = client.put(url, json={"check_in_points": 5, "activities": {"Bad Name": 5}}, headers=admin)
    assert bad.status_code == 422 and "Bad Name" in bad.json()["detail"]
    good = client.put(
        url, json={"check_in_points": 10, "streak_days": 0, "activities": {"workshop": 80}}, headers=admin
    )
    assert good.status_code == 200, good.text
    member = make_member(session, context.keys, world.store_a)
    session.commit()
    assert _check_in(client, context, world.clerk_a, member).json()["points"] == 10
    workshop = {"kind": "workshop", "reference": "calligraphy"}
    answer = client.post(
        f"/api/v1/members/{member.id}/activities", json=workshop, headers=auth(context, world.clerk_a)
    )
    assert answer.json()["points"] == 80


def test_a_clerk_of_another_store_cannot_check_a_member_in_there(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    pin_clock(client, NOW)
    member = make_member(session, context.keys, world.store_a)
    session.commit()
    refused = _check_in(client, context, world.clerk_b, member, store_id=world.store_a.id)
    assert refused.status_code == 403
    assert _entries(session, member) == []
    count = session.scalar(select(func.count(PointsEntry.id)))
    assert count == 0
