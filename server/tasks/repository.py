"""SQL for a consultant's task list: last contacts, recent completions, open alerts and follow-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.db.queries import chunks
from server.db.tables import (
    ConsultantAssignment,
    Interaction,
    Member,
    MemberEvent,
    MemberTier,
    Staff,
    TaskCompletion,
)

# Reminder events of follow-ups: the follow-up list already shows them, from the interaction itself.
FOLLOW_UP_EVENT = "follow_up"


def last_contacts(session: Session, member_ids: Sequence[int], now: datetime) -> dict[int, datetime]:
    """When each member was last contacted by anyone (an interaction up to `now`)."""
    out: dict[int, datetime] = {}
    for part in chunks(list(member_ids)):
        stmt = (
            select(Interaction.member_id, func.max(Interaction.occurred_at))
            .where(Interaction.member_id.in_(part), Interaction.occurred_at <= now)
            .group_by(Interaction.member_id)
        )
        out.update({member_id: at for member_id, at in session.execute(stmt) if at is not None})
    return out


def done_since(session: Session, refs: Sequence[str], since: datetime) -> set[str]:
    """Which of `refs` someone marked done at or after `since`."""
    found: set[str] = set()
    for part in chunks(list(refs)):
        stmt = select(TaskCompletion.ref).where(TaskCompletion.ref.in_(part), TaskCompletion.done_at >= since)
        found.update(session.scalars(stmt))
    return found


def open_alerts(session: Session, staff_id: int) -> list[tuple[MemberEvent, str, str | None]]:
    """Unacknowledged events addressed to the staff member (bar follow-up reminders), newest first."""
    stmt = (
        select(MemberEvent, Member.name, MemberTier.tier)
        .join(Member, Member.id == MemberEvent.member_id)
        .outerjoin(MemberTier, MemberTier.member_id == Member.id)
        .where(MemberEvent.staff_id == staff_id, MemberEvent.acknowledged_at.is_(None))
        .where(MemberEvent.kind != FOLLOW_UP_EVENT)
        .order_by(MemberEvent.occurred_at.desc(), MemberEvent.id.desc())
    )
    return [(e, name, tier) for e, name, tier in session.execute(stmt)]


def open_follow_ups(
    session: Session, staff_id: int, until: date
) -> list[tuple[Interaction, str, str | None, str | None]]:
    """Follow-ups due by `until` and not done, logged by the staff member or about one of their clients.

    Each comes with the member's name and tier and the name of whoever logged the interaction.
    """
    clients = select(ConsultantAssignment.member_id).where(
        ConsultantAssignment.staff_id == staff_id, ConsultantAssignment.ended_at.is_(None)
    )
    stmt = (
        select(Interaction, Member.name, MemberTier.tier, Staff.display_name)
        .join(Member, Member.id == Interaction.member_id)
        .outerjoin(MemberTier, MemberTier.member_id == Member.id)
        .outerjoin(Staff, Staff.id == Interaction.staff_id)
        .where(Interaction.follow_up_on.is_not(None), Interaction.follow_up_on <= until)
        .where(Interaction.follow_up_done_at.is_(None))
        .where(or_(Interaction.staff_id == staff_id, Interaction.member_id.in_(clients)))
        .order_by(Interaction.follow_up_on, Interaction.id)
    )
    return [(i, name, tier, author) for i, name, tier, author in session.execute(stmt)]


def completion_by_key(session: Session, key: str) -> TaskCompletion | None:
    """The task completion recorded under idempotency key `key`, if any."""
    return session.scalar(select(TaskCompletion).where(TaskCompletion.idempotency_key == key))
