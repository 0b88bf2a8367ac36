"""What consultants and managers are told: tier changes, heat alerts, expiring points, follow-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.auth.scope import ANY_ROLE, holds, require, require_any_role
from server.core.errors import Forbidden, NotFound
from server.core.pagination import PageParams
from server.db.tables import Member, MemberEvent, Staff
from server.events import repository as repo
from server.members.access import member_for


@dataclass(frozen=True)
class EventView:
    """An event with the name of the member it is about."""

    event: MemberEvent
    member_name: str


def _page(
    session: Session, where: list[ColumnElement[bool]], page: PageParams
) -> tuple[list[EventView], int]:
    rows, total = repo.events_page(session, where, page.limit, page.offset)
    return [EventView(e, name) for e, name in rows], total


def member_events(
    session: Session, caller: Staff, member_id: int, page: PageParams, kind: str | None = None
) -> tuple[list[EventView], int]:
    """Events about one member the caller may open, newest first."""
    member_for(session, caller, member_id)
    where: list[ColumnElement[bool]] = [MemberEvent.member_id == member_id]
    if kind:
        where.append(MemberEvent.kind == kind)
    return _page(session, where, page)


def event_feed(
    session: Session,
    caller: Staff,
    page: PageParams,
    store_id: int | None = None,
    kind: str | None = None,
    open_only: bool = False,
) -> tuple[list[EventView], int]:
    """Events of a store's members (a role there needed), or else the events addressed to the caller."""
    if store_id is not None:
        require(caller, ANY_ROLE, store_id)
        where: list[ColumnElement[bool]] = [Member.home_store_id == store_id]
    else:
        require_any_role(caller)
        where = [MemberEvent.staff_id == caller.id]
    if kind:
        where.append(MemberEvent.kind == kind)
    if open_only:
        where.append(MemberEvent.acknowledged_at.is_(None))
    return _page(session, where, page)


def acknowledge(session: Session, caller: Staff, event_id: int, now: datetime) -> EventView:
    """Mark an event as dealt with: by whom it is addressed to, or a manager of the member's store."""
    found = repo.event_with_member(session, event_id)
    if found is None:
        raise NotFound(f"event {event_id} not found")
    event, name, home = found
    managers = {Role.STORE_MANAGER, Role.ADMIN}
    if event.staff_id != caller.id and not holds(caller, managers, home):
        raise Forbidden(
            "only the staff member the event is addressed to, or a store manager, may acknowledge it"
        )
    if event.acknowledged_at is None:
        event.acknowledged_at = now
        session.flush()
    return EventView(event, name)
