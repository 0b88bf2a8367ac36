"""The in-process dispatcher, WeCom tasks for the consultant, and the app push to their phone."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.app import create_app
from server.core.context import AppContext
from server.db.base import utcnow
from server.db.tables import ConsultantAssignment, FloorEventBody, Member, MemberEvent, OutboxMessage
from server.messaging.adapters.base import Outgoing
from server.messaging.outbox import enqueue
from server.tasks.done import complete
from tests.fixtures.factories import World
from tests.fixtures.waiting import wait_until
from tests.server.messaging.conftest import Clock, Dispatchers


def test_aisle_serve_runs_the_dispatcher_and_readiness_lists_it(
    session: Session, context: AppContext, member: Member, world: World
) -> None:
    context.settings.messaging_dispatcher = True
    context.settings.messaging_poll_seconds = 0.05
    world.store_a.quiet_start = world.store_a.quiet_end = "00:00"  # none: the wall clock may be at night
    row = enqueue(
        session, member.id, "tier_change", {"old_tier": "a", "new_tier": "b"}, key="live", now=utcnow()
    )
    session.commit()
    with TestClient(create_app(context.settings, context=context)) as client:
        ready = client.get("/api/v1/health/ready").json()
        assert "messaging.runner._dispatch" in ready["checks"]["background_jobs"]["detail"]

        def sent() -> bool:
            session.expire_all()
            found = session.get(OutboxMessage, row.id)
            return found is not None and found.status == "sent"

        wait_until(sent, "the in-process dispatcher to send the message")


def _consultant(session: Session, member: Member, world: World) -> None:
    session.add(ConsultantAssignment(member_id=member.id, staff_id=world.manager_a.id, position="primary"))
    session.commit()


def test_a_wecom_message_is_a_task_the_consultant_marks_done(
    session: Session, member: Member, world: World, clock: Clock, dispatchers: Dispatchers
) -> None:
    _consultant(session, member, world)
    row = enqueue(
        session, member.id, "birthday", {"coupon_amount": "50"}, key="w-1", channel="wecom", now=clock.now
    )
    session.commit()
    dispatcher = dispatchers()
    assert dispatcher.run_once() == 1
    task = session.scalars(select(MemberEvent).where(MemberEvent.dedup_key == "wecom:w-1")).one()
    assert task.staff_id == world.manager_a.id and "生日快乐" in task.text
    complete(session, world.manager_a, f"event:{task.id}", "done-1", clock.now)
    session.commit()
    outbox = session.get(OutboxMessage, row.id)
    assert outbox is not None
    adapter = dispatcher.adapters.by_channel["wecom"]  # delivered once the consultant marked it done
    probe = Outgoing("w-1", member.id, "wecom", "birthday", str(world.manager_a.id), "")
    assert adapter.query(probe, outbox.provider_id, outbox.sent_at) == "delivered"


def test_an_app_push_reaches_the_consultants_floor_log_once(
    session: Session, member: Member, world: World, clock: Clock, dispatchers: Dispatchers
) -> None:
    _consultant(session, member, world)
    enqueue(
        session,
        member.id,
        "tier_change",
        {"old_tier": "a", "new_tier": "b"},
        key="p-1",
        channel="push",
        now=clock.now,
    )
    session.commit()
    dispatcher = dispatchers()
    assert dispatcher.run_once() == 1
    bodies = session.scalars(select(FloorEventBody)).all()
    assert len(bodies) == 1 and bodies[0].event_type == "member.message"
    again = dispatcher.adapters.by_channel["push"].send(
        Outgoing("p-1", member.id, "push", "tier_change", str(world.manager_a.id), "x")
    )
    assert again.outcome == "accepted" and len(session.scalars(select(FloorEventBody)).all()) == 1
