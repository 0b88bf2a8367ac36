"""GET /members/{id}/events, GET /events (a store's or one's own), POST /events/{id}/acknowledge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from server.auth.deps import CurrentStaff
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import SessionDep
from server.core.pagination import Page, PageDep
from server.events import feed

router = APIRouter(tags=["events"])


class EventRead(BaseModel):
    id: int
    member_id: int
    member_name: str
    kind: str
    text: str
    payload: dict[str, Any]
    staff_id: int | None
    occurred_at: datetime
    acknowledged_at: datetime | None


def _read(v: feed.EventView) -> EventRead:
    e = v.event
    return EventRead(
        id=e.id,
        member_id=e.member_id,
        member_name=v.member_name,
        kind=e.kind,
        text=e.text,
        payload=e.payload,
        staff_id=e.staff_id,
        occurred_at=e.occurred_at,
        acknowledged_at=e.acknowledged_at,
    )


def _page(found: tuple[list[feed.EventView], int], limit: int, offset: int) -> Page[EventRead]:
    views, total = found
    return Page(items=[_read(v) for v in views], total=total, limit=limit, offset=offset)


@router.get("/members/{member_id}/events")
def member_events(
    member_id: Id, caller: CurrentStaff, session: SessionDep, page: PageDep, kind: str | None = None
) -> Page[EventRead]:
    """Tier changes, heat alerts, expiring points and benefits, follow-ups of one member, newest first."""
    found = feed.member_events(session, caller, member_id, page, kind)
    return _page(found, page.limit, page.offset)


@router.get("/events")
def events(
    caller: CurrentStaff,
    session: SessionDep,
    page: PageDep,
    store_id: Id | None = None,
    kind: str | None = None,
    open_only: bool = False,
) -> Page[EventRead]:
    """The events of a store's members (`store_id`), else those addressed to you (a consultant's inbox)."""
    found = feed.event_feed(session, caller, page, store_id, kind, open_only)
    return _page(found, page.limit, page.offset)


@router.post("/events/{event_id}/acknowledge")
def acknowledge(event_id: Id, caller: CurrentStaff, session: SessionDep, now: NowDep) -> EventRead:
    """Mark an event as dealt with (its addressee or a manager of the member's store)."""
    return _read(feed.acknowledge(session, caller, event_id, now))
