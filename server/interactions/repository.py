"""SQL for interactions: one by its idempotency key, and the follow-ups due a reminder."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.tables import Interaction


def by_idempotency_key(session: Session, key: str | None) -> Interaction | None:
    """The interaction logged under `key`, if any."""
    return session.scalar(select(Interaction).where(Interaction.idempotency_key == key))


def due_follow_ups(
    session: Session, today: date, missed_days: int
) -> list[tuple[int, int, int | None, date | None]]:
    """(interaction, member, staff, day) of follow-ups due by `today`, missed by at most `missed_days`,
    and not marked done on the task list."""
    stmt = select(
        Interaction.id, Interaction.member_id, Interaction.staff_id, Interaction.follow_up_on
    ).where(
        Interaction.follow_up_on.is_not(None),
        Interaction.follow_up_on <= today,
        Interaction.follow_up_on >= today - timedelta(days=missed_days),
        Interaction.follow_up_done_at.is_(None),
    )
    return [(i, m, s, on) for i, m, s, on in session.execute(stmt)]
