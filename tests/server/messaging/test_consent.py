"""Opting out by SMS reply, by the unsubscribe link and through a clerk suppresses queued messages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member, OutboxMessage
from server.messaging.consent import unsubscribe_token
from server.messaging.outbox import enqueue
from tests.fixtures.factories import World, auth
from tests.server.messaging.conftest import Clock, Dispatchers

HOOKS = "/api/v1/messaging/webhooks/console"


def _queue(session: Session, member: Member, clock: Clock) -> tuple[OutboxMessage, OutboxMessage]:
    marketing = enqueue(
        session, member.id, "member_day", {"event_date": "2026-03-08"}, key="day", now=clock.now
    )
    service = enqueue(
        session,
        member.id,
        "tier_change",
        {"old_tier": "silver", "new_tier": "gold"},
        key="tier",
        now=clock.now,
    )
    session.commit()
    return marketing, service


def _status(session: Session, row: OutboxMessage) -> tuple[str, str | None]:
    session.expire_all()
    found = session.get(OutboxMessage, row.id)
    assert found is not None
    return found.status, found.reason


def test_a_reply_td_opts_out_and_nothing_marketing_goes_after_it(
    client: TestClient,
    session: Session,
    context: AppContext,
    member: Member,
    clock: Clock,
    dispatchers: Dispatchers,
) -> None:
    context.settings.messaging_webhook_secret = SecretStr("hook-secret")
    marketing, service = _queue(session, member, clock)
    reply = {"phone": "+86 138 0013 8000", "text": "退订"}
    assert client.post(f"{HOOKS}/inbound", json=reply).status_code == 401  # no secret, no opt-out
    done = client.post(f"{HOOKS}/inbound", json=reply, headers={"X-Aisle-Webhook-Secret": "hook-secret"})
    assert done.status_code == 200 and done.json() == {"received": 1, "changed": 1}
    assert _status(session, marketing) == ("suppressed", "opted out (sms_reply)")
    later = enqueue(session, member.id, "birthday", {"coupon_amount": "50"}, key="bday", now=clock.now)
    session.commit()
    dispatchers().run_once()
    assert _status(session, later)[0] == "suppressed"  # checked again under the claim
    assert _status(session, service)[0] == "sent"  # a service message needs no marketing consent
    assert [line["purpose"] for line in dispatchers.console().lines()] == ["tier_change"]


def test_the_unsubscribe_link_asks_then_opts_out(
    client: TestClient, session: Session, context: AppContext, member: Member, clock: Clock
) -> None:
    marketing, _ = _queue(session, member, clock)
    token = unsubscribe_token(context.keys, member.id, "sms")
    assert "13800138000" not in token
    page = client.get(f"/api/v1/messaging/unsubscribe/{token}")
    assert page.status_code == 200 and "退订" in page.text and re.search(r'method="post"', page.text)
    assert _status(session, marketing)[0] == "queued"  # a GET (a link preview) changes nothing
    assert client.post(f"/api/v1/messaging/unsubscribe/{token}").status_code == 200
    assert _status(session, marketing) == ("suppressed", "opted out (unsubscribe_link)")
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert client.post(f"/api/v1/messaging/unsubscribe/{forged}").status_code == 422


def test_a_clerk_of_the_members_store_records_an_opt_out_from_the_app(
    client: TestClient, session: Session, context: AppContext, world: World, member: Member, clock: Clock
) -> None:
    marketing, service = _queue(session, member, clock)
    url = f"/api/v1/members/{member.id}/consents"
    body = {"channel": "sms", "purpose_class": "service", "granted": False, "source": "app"}
    assert client.post(url, json=body, headers=auth(context, world.clerk_b)).status_code == 403
    done = client.post(url, json=body, headers=auth(context, world.clerk_a))
    assert done.status_code == 200 and done.json()["channels"]["sms"] == {"service": False, "marketing": True}
    assert _status(session, marketing)[0] == "suppressed" and _status(session, service)[0] == "suppressed"
    shown = client.get(url, headers=auth(context, world.manager_a)).json()
    assert shown["channels"]["sms"]["service"] is False and shown["channels"]["push"]["marketing"] is True


def test_a_code_still_reaches_a_member_who_opted_out_of_marketing(
    session: Session, context: AppContext, member: Member, clock: Clock, dispatchers: Dispatchers
) -> None:
    from server.messaging.consent import record

    record(session, member.id, "sms", "marketing", False, "sms_reply", clock.now)
    row = enqueue(
        session,
        member.id,
        "otp",
        {"code": "123456", "points": 2000, "value": "20", "minutes": 5},
        key="otp",
        now=clock.now,
    )
    session.commit()
    dispatchers().run_once()
    assert _status(session, row)[0] == "sent"
    assert "123456" in str(dispatchers.console().lines()[0]["text"])
