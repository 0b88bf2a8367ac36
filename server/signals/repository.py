"""SQL for the signals: daily activity per member (the heat index's input) and each member's consultant."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.queries import Members, as_date, restricted, utc_day
from server.db.tables import ConsultantAssignment, Interaction, OutboxMessage, Transaction
from server.signals.heat import DailyActivity


def daily_activity(
    session: Session, since: datetime, until: datetime, member_ids: Members = None
) -> dict[int, list[DailyActivity]]:
    """Per member, per day: a visit and the number of purchases, interactions and replies to messages."""
    out: dict[int, list[DailyActivity]] = {}
    t_day = utc_day(session, Transaction.occurred_at)
    sales = (
        select(Transaction.member_id, t_day, func.count())
        .where(Transaction.kind == "sale", Transaction.member_id.is_not(None))
        .where(Transaction.occurred_at >= since, Transaction.occurred_at <= until)
        .group_by(Transaction.member_id, t_day)
    )
    for stmt in restricted(sales, Transaction.member_id, member_ids):
        for member_id, day, count in session.execute(stmt):
            acts = out.setdefault(member_id, [])
            acts.append(DailyActivity(as_date(day), "visit", 1))
            acts.append(DailyActivity(as_date(day), "purchase", count))
    i_day = utc_day(session, Interaction.occurred_at)
    talks = (
        select(Interaction.member_id, i_day, func.count())
        .where(Interaction.occurred_at >= since, Interaction.occurred_at <= until)
        .group_by(Interaction.member_id, i_day)
    )
    r_day = utc_day(session, OutboxMessage.responded_at)
    replies = (
        select(OutboxMessage.member_id, r_day, func.count())
        .where(OutboxMessage.responded_at >= since, OutboxMessage.responded_at <= until)
        .group_by(OutboxMessage.member_id, r_day)
    )
    for kind, query, column in (
        ("interaction", talks, Interaction.member_id),
        ("response", replies, OutboxMessage.member_id),
    ):
        for stmt in restricted(query, column, member_ids):
            for member_id, day, count in session.execute(stmt):
                out.setdefault(member_id, []).append(DailyActivity(as_date(day), kind, count))  # type: ignore[arg-type]
    return out


def primary_consultants(session: Session, member_ids: Collection[int] | None = None) -> dict[int, int]:
    """Each member's active primary consultant (member id -> staff id)."""
    stmt = select(ConsultantAssignment.member_id, ConsultantAssignment.staff_id).where(
        ConsultantAssignment.ended_at.is_(None), ConsultantAssignment.position == "primary"
    )
    ids = None if member_ids is None else sorted(member_ids)
    return {
        m: s
        for part in restricted(stmt, ConsultantAssignment.member_id, ids)
        for m, s in session.execute(part)
    }
