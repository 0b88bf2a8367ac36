"""The outbox never sends twice: claimed and committed before the provider, unknown reconciled, retries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member, OutboxMessage
from server.messaging.adapters.base import Known, Match, Outgoing, SendResult
from server.messaging.adapters.console import ConsoleAdapter
from server.messaging.dispatch import Dispatcher
from server.messaging.outbox import enqueue
from tests.fixtures.factories import World, make_member
from tests.server.messaging.conftest import Clock, Dispatchers


def _row(session: Session, row_id: int) -> OutboxMessage:
    session.expire_all()
    found = session.get(OutboxMessage, row_id)
    assert found is not None
    return found


def _service(session: Session, member: Member, key: str, now: datetime) -> OutboxMessage:
    row = enqueue(
        session, member.id, "tier_change", {"old_tier": "silver", "new_tier": "gold"}, key=key, now=now
    )
    session.commit()
    return row


class Spy:
    """Wraps an adapter; records what the database said about the row at the moment of each send."""

    def __init__(self, inner: ConsoleAdapter, context: AppContext) -> None:
        self.inner, self.context, self.name = inner, context, inner.name
        self.seen: list[tuple[str, str | None]] = []

    def send(self, message: Outgoing) -> SendResult:
        with self.context.sessions() as other:  # a separate connection sees only what was committed
            row = other.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == message.key)).one()
            self.seen.append((row.status, row.claim_owner))
        return self.inner.send(message)

    def query(
        self,
        message: Outgoing,
        provider_id: str | None,
        sent_at: datetime | None,
        taken: frozenset[str] = frozenset(),
    ) -> Known | Match:
        return self.inner.query(message, provider_id, sent_at, taken)


def test_the_claim_is_committed_before_the_provider_is_called(
    session: Session, context: AppContext, member: Member, clock: Clock, dispatchers: Dispatchers
) -> None:
    row = _service(session, member, "tier:1", clock.now)
    dispatcher = dispatchers()
    console = dispatcher.adapters.by_channel["sms"]
    assert isinstance(console, ConsoleAdapter)
    spy = Spy(console, context)
    dispatcher.adapters.by_channel["sms"] = spy  # type: ignore[assignment]
    assert dispatcher.run_once() == 1
    assert spy.seen == [("sending", dispatcher.owner)]
    assert _row(session, row.id).status == "sent"


def test_an_expired_claim_becomes_unknown_and_is_reconciled_not_sent_again(
    session: Session, member: Member, clock: Clock, dispatchers: Dispatchers
) -> None:
    sent = _service(session, member, "tier:sent", clock.now)
    lost = _service(session, member, "tier:lost", clock.now)
    crashed = dispatchers()
    claimed = crashed.claim(clock.now)
    assert {c.message.key for c in claimed} == {"tier:sent", "tier:lost"}
    # The process died after handing one message to the provider and before recording anything.
    crashed.adapters.by_channel["sms"].send(next(c.message for c in claimed if c.message.key == "tier:sent"))
    survivor = dispatchers()
    assert survivor.run_once() == 0  # claimed rows are left alone while their claim lasts
    clock.advance(seconds=context_claim(survivor) + 1)
    survivor.run_once()
    assert _row(session, sent.id).status == "sent"  # the provider knew its key: recorded, not re-sent
    assert _row(session, lost.id).status == "unknown"  # not known yet: wait, never send blindly
    clock.advance(seconds=survivor.settings.messaging_reconcile_grace_seconds + 1)
    survivor.run_once()  # the provider never got it: queued again with the same key ...
    survivor.run_once()  # ... and sent
    assert _row(session, lost.id).status == "sent"
    keys = [line["key"] for line in dispatchers.console().lines()]
    assert sorted(keys) == ["tier:lost", "tier:sent"]


def context_claim(dispatcher: Dispatcher) -> float:
    return dispatcher.settings.messaging_claim_seconds


def _twilio(context: AppContext) -> None:
    context.settings.messaging_sms_provider = "twilio"
    context.settings.twilio_account_sid = "AC123"
    context.settings.twilio_auth_token = SecretStr("token")
    context.settings.twilio_from = "+15005550006"


def test_transient_failures_back_off_exponentially_then_give_up(
    session: Session, context: AppContext, member: Member, clock: Clock, dispatchers: Dispatchers
) -> None:
    _twilio(context)
    context.settings.messaging_max_tries = 3
    calls: list[datetime] = []

    def busy(request: httpx.Request) -> httpx.Response:
        calls.append(clock.now)
        return httpx.Response(503, text="busy")

    row = _service(session, member, "tier:busy", clock.now)
    dispatcher = dispatchers(httpx.MockTransport(busy))
    start = clock.now
    for _ in range(40):
        dispatcher.run_once()
        clock.advance(seconds=5)
    assert [int((c - start).total_seconds()) for c in calls] == [0, 30, 90]  # 30 s, then 60 s more
    found = _row(session, row.id)
    assert found.status == "failed" and found.tries == 3 and "gave up after 3 tries" in (found.reason or "")


def test_a_retry_that_succeeds_is_sent_once(
    session: Session, context: AppContext, member: Member, clock: Clock, dispatchers: Dispatchers
) -> None:
    _twilio(context)
    answers = iter(
        [httpx.Response(429, text="slow down"), httpx.Response(201, json={"sid": "SM1", "status": "queued"})]
    )
    dispatcher = dispatchers(httpx.MockTransport(lambda request: next(answers)))
    row = _service(session, member, "tier:retry", clock.now)
    dispatcher.run_once()
    assert _row(session, row.id).status == "queued"
    clock.advance(seconds=31)
    dispatcher.run_once()
    found = _row(session, row.id)
    assert (found.status, found.provider_id, found.tries) == ("sent", "SM1", 1)


@pytest.mark.parametrize("dispatcher_count", [4])
def test_dispatchers_racing_over_the_same_rows_send_each_message_once(
    session: Session,
    context: AppContext,
    world: World,
    clock: Clock,
    dispatchers: Dispatchers,
    dispatcher_count: int,
) -> None:
    context.settings.messaging_batch = 7
    members = [make_member(session, context.keys, world.store_a, phone=f"1380013{n:04d}") for n in range(30)]
    session.commit()
    for n in range(90):
        _service(session, members[n % 30], f"race:{n}", clock.now)
    racers = [dispatchers() for _ in range(dispatcher_count)]

    def drain(dispatcher: Dispatcher) -> int:
        total = 0
        while (claimed := dispatcher.run_once()) > 0:
            total += claimed
        return total

    with ThreadPoolExecutor(dispatcher_count) as pool:
        claimed = sum(pool.map(drain, racers))
    keys = [line["key"] for line in dispatchers.console().lines()]
    assert claimed == 90 and len(keys) == 90 and len(set(keys)) == 90
    statuses = session.scalars(select(OutboxMessage.status).where(OutboxMessage.dedup_key.like("race:%")))
    assert set(statuses) == {"sent"}
