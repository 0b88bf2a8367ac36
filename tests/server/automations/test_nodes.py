"""Each step type and each re-entry policy, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from server.automations.holdout import branch
from server.business_events.events import emit
from server.db.tables import JourneyEnrolment, JourneyStep, MemberEvent, MemberTag, Store
from tests.server.automations.conftest import JOURNEYS, NO_HOLDOUT, NOW, Chain, drain


def tag_journey(nodes: list[dict[str, Any]], start: str, **extra: Any) -> dict[str, Any]:
    """A journey that starts when the tag 'go' is added."""
    return {
        "trigger": {"type": "event", "event": "tag_added", "tag": "go"},
        "holdout_percent": 0,
        "start": start,
        "nodes": nodes,
    } | extra


def go(chain: Chain, member_ids: list[int], key: str) -> None:
    with chain.context.sessions() as s:
        for m in member_ids:
            emit(s, "tag_added", m, key=f"go:{m}:{key}", occurred_at=NOW, payload={"tag": "go"})
        s.commit()


def steps_of(chain: Chain, member_id: int) -> list[tuple[str, str, str]]:
    with chain.context.sessions() as s:
        stmt = (
            select(JourneyStep.node, JourneyStep.status, JourneyStep.outcome)
            .join(JourneyEnrolment, JourneyEnrolment.id == JourneyStep.enrolment_id)
            .where(JourneyEnrolment.member_id == member_id)
            .order_by(JourneyStep.id)
        )
        return [tuple(r) for r in s.execute(stmt)]  # type: ignore[misc]


def test_a_random_split_sends_members_down_its_arms_by_share_and_stably(chain: Chain) -> None:
    made = chain.journey(
        tag_journey(
            [
                {
                    "id": "split",
                    "type": "split",
                    "branches": [
                        {"label": "a", "percent": 50, "next": "tag_a"},
                        {"label": "b", "percent": 50, "next": "tag_b"},
                    ],
                },
                {"id": "tag_a", "type": "tag", "action": "add", "tag": "arm-a"},
                {"id": "tag_b", "type": "tag", "action": "add", "tag": "arm-b"},
            ],
            "split",
        )
    )
    members = chain.members(40)
    go(chain, [m.id for m in members], "1")
    drain(chain.context, NOW)
    with chain.context.sessions() as s:
        tags = dict(
            s.execute(select(MemberTag.member_id, MemberTag.tag).where(MemberTag.tag.like("arm-%"))).all()
        )
    assert len(tags) == 40 and set(tags.values()) == {"arm-a", "arm-b"}
    for m in members:  # the same hash the engine used: the arm is a function of member and node
        expected = "arm-a" if branch(NO_HOLDOUT.salt, made["id"], "split", m.id, [50, 50]) == 0 else "arm-b"
        assert tags[m.id] == expected


def test_notify_tells_the_consultant_without_a_task_and_exit_ends_the_journey(chain: Chain) -> None:
    chain.journey(
        tag_journey(
            [
                {
                    "id": "note",
                    "type": "notify",
                    "text_zh": "这位会员刚被标记",
                    "text_en": "Just tagged",
                    "next": "out",
                },
                {"id": "out", "type": "exit"},
            ],
            "note",
        )
    )
    member = chain.members(1)[0]
    go(chain, [member.id], "1")
    drain(chain.context, NOW)
    with chain.context.sessions() as s:
        note = s.scalars(select(MemberEvent).where(MemberEvent.kind == "journey_note")).one()
        enrolment = s.scalars(select(JourneyEnrolment)).one()
    assert note.staff_id == chain.world.manager_a.id and note.payload["text_zh"] == "这位会员刚被标记"
    assert enrolment.status == "exited"
    assert steps_of(chain, member.id) == [("note", "done", "assigned"), ("out", "done", "exited")]


def test_a_wait_until_a_time_of_day_lands_in_the_stores_time_zone(chain: Chain) -> None:
    with chain.context.sessions() as s:
        s.get(Store, chain.world.store_a.id).timezone = "Asia/Shanghai"
        s.commit()
    chain.journey(
        tag_journey(
            [
                {"id": "wait", "type": "wait", "days": 1, "until_time": "10:00", "next": "t"},
                {"id": "t", "type": "tag", "action": "add", "tag": "done"},
            ],
            "wait",
        )
    )
    member = chain.members(1)[0]
    go(chain, [member.id], "1")
    drain(chain.context, NOW)  # NOW is 10:00 UTC = 18:00 in Shanghai; +1 day, then the next 10:00 there
    with chain.context.sessions() as s:
        due = s.scalars(select(JourneyStep.due_at).where(JourneyStep.node == "t")).one()
    assert due.astimezone(NOW.tzinfo) == (NOW + timedelta(days=2)).replace(hour=2)  # 10:00 +08:00


def test_re_entry_once_after_exit_and_every_time(chain: Chain) -> None:
    waiting = [
        {"id": "wait", "type": "wait", "days": 3, "next": "t"},
        {"id": "t", "type": "tag", "action": "add", "tag": "seen"},
    ]
    once = chain.journey(tag_journey(waiting, "wait", reentry="once"))
    after = chain.journey(tag_journey(waiting, "wait", reentry="after_exit"))
    every = chain.journey(tag_journey(waiting, "wait", reentry="every_time"))
    member = chain.members(1)[0]

    def count(journey: dict[str, Any]) -> int:
        with chain.context.sessions() as s:
            stmt = select(JourneyEnrolment).where(JourneyEnrolment.journey_id == journey["id"])
            return len(s.scalars(stmt).all())

    go(chain, [member.id], "1")
    drain(chain.context, NOW)
    go(chain, [member.id], "2")  # while still inside (waiting)
    drain(chain.context, NOW + timedelta(hours=1))
    assert (count(once), count(after), count(every)) == (1, 1, 2)
    drain(chain.context, NOW + timedelta(days=4))  # everyone has finished
    go(chain, [member.id], "3")
    drain(chain.context, NOW + timedelta(days=4, hours=1))
    assert (count(once), count(after), count(every)) == (1, 2, 3)


def test_a_paused_journey_holds_its_waiting_steps_and_takes_nobody_new_until_resumed(chain: Chain) -> None:
    made = chain.journey(
        tag_journey(
            [
                {"id": "wait", "type": "wait", "days": 1, "next": "t"},
                {"id": "t", "type": "tag", "action": "add", "tag": "done"},
            ],
            "wait",
        )
    )
    first, second = chain.members(2)
    go(chain, [first.id], "1")
    drain(chain.context, NOW)
    paused = chain.client.post(f"{JOURNEYS}/{made['id']}/pause", headers=chain.as_(chain.world.admin))
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    go(chain, [second.id], "1")
    drain(chain.context, NOW + timedelta(days=2))
    assert steps_of(chain, first.id) == [("wait", "done", "waited"), ("t", "due", "")]  # held
    assert steps_of(chain, second.id) == []  # nobody new entered
    chain.client.post(f"{JOURNEYS}/{made['id']}/resume", headers=chain.as_(chain.world.admin))
    drain(chain.context, NOW + timedelta(days=2, hours=1))
    assert steps_of(chain, first.id)[-1] == ("t", "done", "added")
