"""Member events for consultants (tier change, heat alert, expiring points), raised at most once per key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.business_events.events import NewEvent as AutomationEvent
from server.business_events.events import emit_many
from server.db.queries import IdRange
from server.events import repository as repo
from server.signals.heat import WEEKS, HeatSettings, heat_alert, history_start, weekly_heat
from server.signals.repository import daily_activity, primary_consultants


@dataclass(frozen=True)
class NewEvent:
    """An event to raise; `dedup_key` makes raising it again (a re-run job) a no-op."""

    member_id: int
    kind: str
    text: str
    occurred_at: datetime
    dedup_key: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def raise_events(session: Session, events: Sequence[NewEvent], managers_stand_in: bool = False) -> int:
    """Store events addressed to each member's primary consultant, skipping keys already raised; the count.

    With `managers_stand_in`, a member without a consultant's event goes to their store's manager."""
    seen = repo.existing_keys(session, [e.dedup_key for e in events if e.dedup_key])
    fresh: list[NewEvent] = []
    for event in events:
        if event.dedup_key is None or event.dedup_key not in seen:
            fresh.append(event)
            if event.dedup_key:
                seen.add(event.dedup_key)
    if not fresh:
        return 0
    consultants = primary_consultants(session, {e.member_id for e in fresh})
    if managers_stand_in:
        consultants |= repo.home_store_managers(session, {e.member_id for e in fresh} - consultants.keys())
    rows = [
        {
            "member_id": e.member_id,
            "kind": e.kind,
            "staff_id": consultants.get(e.member_id),
            "text": e.text,
            "payload": e.payload,
            "dedup_key": e.dedup_key,
            "occurred_at": e.occurred_at,
        }
        for e in fresh
    ]
    repo.add_events(session, rows)
    return len(rows)


def raise_heat_alerts(
    session: Session, now: datetime, settings: HeatSettings | None = None, members: IdRange | None = None
) -> int:
    """Alert consultants of members (in `members`) whose heat fell two weeks running (once per fall); new
    alerts raised."""
    settings = settings or HeatSettings()
    events = []
    for member_id, acts in daily_activity(session, history_start(now), now, members).items():
        alert = heat_alert(weekly_heat(acts, now.date(), settings, WEEKS), settings)
        if alert is not None:
            events.append(
                NewEvent(
                    member_id,
                    "heat_alert",
                    alert.text,
                    now,
                    f"heat-alert:{member_id}:{alert.week_end.isoformat()}",
                    {"weekly": list(alert.values), "week_end": alert.week_end.isoformat()},
                )
            )
    emit_many(
        session,
        [
            AutomationEvent(
                "heat_alert", e.member_id, e.dedup_key or "", now, None, {"weeks": len(e.payload["weekly"])}
            )
            for e in events
        ],
    )
    return raise_events(session, events, managers_stand_in=True)
