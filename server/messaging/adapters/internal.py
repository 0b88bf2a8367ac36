"""Channels that reach the member through their consultant: WeCom tasks and the clerk's phone app.

WeCom's rules allow a business to message a customer only by the employee's own hand (mass sends go
out from their phone, once a day at most), so a WeCom message becomes a task on the consultant's task
list (a member event, `event:<id>`): they send it from WeCom and mark it done; `query` reports it
delivered once done. The app push writes an event to the consultant's live-floor log: a phone on the
floor gets it at once (in `aisle serve`, after the send is recorded) and any other on its next
reconnect. Both are idempotent on the outbox key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.db.base import utcnow
from server.db.session import session_scope
from server.db.tables import FloorEventBody, Member, MemberEvent
from server.messaging.adapters.base import Known, Match, Outgoing, SendResult, WebhookOnly
from server.realtime import store
from server.realtime.events import Envelope

KEYS = uuid.UUID("4f1a2c3e-8d7b-4e55-9a61-0c2b3d4e5f60")
PUSH_EVENT = "member.message"


class WeComAdapter(WebhookOnly):
    """A WeCom message as a task for the member's consultant."""

    name = "wecom"

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def send(self, message: Outgoing) -> SendResult:
        """Raise the task (once per key) for the consultant in `message.to`."""
        dedup = f"wecom:{message.key}"
        try:
            with session_scope(self.sessions) as session:
                found = session.scalars(select(MemberEvent.id).where(MemberEvent.dedup_key == dedup)).first()
                if found is not None:
                    return SendResult("accepted", provider_id=str(found))
                event = MemberEvent(
                    member_id=message.member_id,
                    kind="wecom_message",
                    staff_id=int(message.to),
                    text=f"Send on WeCom: {message.text}",
                    payload={"message_key": message.key, "purpose": message.purpose, "text": message.text},
                    dedup_key=dedup,
                    occurred_at=utcnow(),
                )
                session.add(event)
                session.flush()
                return SendResult("accepted", provider_id=str(event.id))
        except IntegrityError:
            return SendResult("unknown", detail="the task was raised at the same time")

    def query(
        self,
        message: Outgoing,
        provider_id: str | None,
        sent_at: datetime | None,
        taken: frozenset[str] = frozenset(),
    ) -> Known | Match:
        """Delivered once the consultant marked the task done; sent while it is open."""
        with session_scope(self.sessions) as session:
            stmt = select(MemberEvent.acknowledged_at).where(MemberEvent.dedup_key == f"wecom:{message.key}")
            row = session.execute(stmt).first()
        if row is None:
            return "not_found"
        return "delivered" if row[0] is not None else "sent"


class PushAdapter(WebhookOnly):
    """A message to the member, shown on their consultant's phone through the live floor."""

    name = "push"

    def __init__(
        self, sessions: sessionmaker[Session], fan_out: Callable[[list[Envelope]], None] | None = None
    ) -> None:
        self.sessions, self.fan_out = sessions, fan_out

    def send(self, message: Outgoing) -> SendResult:
        """Log the event for the consultant (once per key) and fan it out if the floor runs here."""
        event_id = str(uuid.uuid5(KEYS, message.key))
        with session_scope(self.sessions) as session:
            if session.get(FloorEventBody, event_id) is not None:
                return SendResult("accepted", provider_id=event_id)
            member = session.get(Member, message.member_id)
            if member is None or member.home_store_id is None:
                return SendResult("failed", detail="the member has no home store for the floor")
            envelopes = store.append_event(
                session,
                event_id=event_id,
                event_type=PUSH_EVENT,
                store_id=member.home_store_id,
                payload={"member_id": member.id, "purpose": message.purpose, "text": message.text},
                recipients=[int(message.to)],
                now=utcnow(),
            )
        if self.fan_out is not None:
            self.fan_out(envelopes)
        return SendResult("accepted", provider_id=event_id)

    def query(
        self,
        message: Outgoing,
        provider_id: str | None,
        sent_at: datetime | None,
        taken: frozenset[str] = frozenset(),
    ) -> Known | Match:
        """Sent when the event is in the log."""
        with session_scope(self.sessions) as session:
            found = session.get(FloorEventBody, str(uuid.uuid5(KEYS, message.key)))
        return "sent" if found is not None else "not_found"
