"""Business events journeys start from, written in the same transaction as the change they describe.

Each event has a key: writing it again (a retried request, a sweep run twice) is a no-op. Events are
consumed by the journey workers (`engine.consume_events`), never by the code that writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.db.queries import chunks
from server.db.tables.automations import AutomationEvent

# What can happen to a member, and what each event's payload carries.
KINDS: dict[str, str] = {
    "registered": "the member joined (payload: source)",
    "purchased": "a sale was booked (payload: transaction_id, amount)",
    "tier_changed": "the tier went up or down (payload: old, new, direction)",
    "tag_added": "a tag was added by a rule or by hand (payload: tag)",
    "tag_removed": "a tag was removed (payload: tag)",
    "heat_alert": "the heat index fell two weeks running (payload: weeks)",
    "replenishment_due": "a product the member buys regularly is due again "
    "(payload: product_id, cycle_days, last_bought, due_on, store_id)",
    "birthday": "the member's birthday is N days away (payload: days_before, on)",
    "member_day": "the store's member day is N days away (payload: days_before, on)",
    "lapsed": "N days since the last purchase (payload: days)",
    "coupon_expiring": "an open coupon expires in N days (payload: coupon_id, days_before, on)",
    "benefit_expiring": "a benefit expires in N days (payload: benefit_id, days_before, on)",
    "points_expiring": "points expire in N days (payload: points, days_before, on)",
    "audience": "the member is in a campaign's audience (payload: journey_id)",
    "segment_entered": "the member came into a journey's segment since yesterday (payload: journey_id)",
}


@dataclass(frozen=True)
class NewEvent:
    """An event to write; `key` makes writing it twice a no-op."""

    kind: str
    member_id: int
    key: str
    occurred_at: datetime
    store_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def emit_many(session: Session, events: Sequence[NewEvent]) -> None:
    """Write the events whose keys are new (a sweep's thousands in a few statements)."""
    unknown = {e.kind for e in events} - KINDS.keys()
    if unknown:
        raise ValueError(f"unknown automation event kind: {sorted(unknown)[0]}")
    insert = _insert(session)
    for part in chunks(list({e.key: e for e in events}.values()), 500):
        rows = [
            {
                "kind": e.kind,
                "member_id": e.member_id,
                "store_id": e.store_id,
                "occurred_at": e.occurred_at,
                "payload": e.payload,
                "key": e.key,
            }
            for e in part
        ]
        session.execute(insert(AutomationEvent).on_conflict_do_nothing(index_elements=["key"]), rows)


def emit(
    session: Session,
    kind: str,
    member_id: int,
    *,
    key: str,
    occurred_at: datetime,
    store_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Write one event in the caller's transaction (nothing if its key is taken)."""
    emit_many(session, [NewEvent(kind, member_id, key, occurred_at, store_id, payload or {})])
