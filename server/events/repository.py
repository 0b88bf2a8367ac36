"""SQL for member events: which dedup keys are taken, storing new events, and pages of the feed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.orm import Session

from server.db.queries import chunks
from server.db.tables import Member, MemberEvent, Staff, StaffRole


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of `keys` are already used by a stored event."""
    found: set[str] = set()
    for part in chunks(list(keys)):
        found.update(session.scalars(select(MemberEvent.dedup_key).where(MemberEvent.dedup_key.in_(part))))
    return found


def add_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert event rows in one statement."""
    session.execute(insert(MemberEvent), rows)


def events_page(
    session: Session, where: list[ColumnElement[bool]], limit: int, offset: int
) -> tuple[list[tuple[MemberEvent, str]], int]:
    """Events matching `where` with their member's name, newest first, and how many match."""
    count = select(func.count()).select_from(MemberEvent).join(Member, Member.id == MemberEvent.member_id)
    total = int(session.scalar(count.where(*where)) or 0)
    stmt = (
        select(MemberEvent, Member.name)
        .join(Member, Member.id == MemberEvent.member_id)
        .where(*where)
        .order_by(MemberEvent.occurred_at.desc(), MemberEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(e, name) for e, name in session.execute(stmt)], total


def event_with_member(session: Session, event_id: int) -> tuple[MemberEvent, str, int | None] | None:
    """An event with its member's name and home store, or None."""
    found = session.execute(
        select(MemberEvent, Member.name, Member.home_store_id)
        .join(Member, Member.id == MemberEvent.member_id)
        .where(MemberEvent.id == event_id)
    ).first()
    return None if found is None else (found[0], found[1], found[2])


def acknowledge_by_key(session: Session, dedup_key: str, now: datetime) -> None:
    """Mark the open event raised under `dedup_key` as dealt with."""
    session.execute(
        update(MemberEvent)
        .where(MemberEvent.dedup_key == dedup_key, MemberEvent.acknowledged_at.is_(None))
        .values(acknowledged_at=now)
    )


def home_store_managers(session: Session, member_ids: set[int]) -> dict[int, int]:
    """Member id -> an active manager of the member's home store (the longest-serving), where there is one."""
    if not member_ids:
        return {}
    out: dict[int, int] = {}
    for part in chunks(sorted(member_ids)):
        stmt = (
            select(Member.id, Staff.id)
            .join(StaffRole, StaffRole.store_id == Member.home_store_id)
            .join(Staff, Staff.id == StaffRole.staff_id)
            .where(Member.id.in_(part), StaffRole.role == "store_manager", Staff.active.is_(True))
            .order_by(Member.id, Staff.id)
        )
        for member_id, staff_id in session.execute(stmt):
            out.setdefault(member_id, staff_id)
    return out
