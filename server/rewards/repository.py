"""SQL for rewards: the catalogue, taking and returning stock atomically, exchanges and their lots."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from server.db.tables import PointsAllocation, PointsEntry, Reward, RewardExchange

LIVE = ("to_collect", "collected", "issued")


def by_code(session: Session, code: str) -> Reward | None:
    """The reward with this code (codes compare case-insensitively)."""
    return session.scalar(select(Reward).where(func.lower(Reward.code) == code.lower()))


def catalogue(session: Session, active_only: bool) -> list[Reward]:
    """Every reward, cheapest first."""
    stmt = select(Reward).order_by(Reward.points, Reward.id)
    if active_only:
        stmt = stmt.where(Reward.active.is_(True))
    return list(session.scalars(stmt))


def take_stock(session: Session, reward_id: int) -> bool:
    """Take one from the reward's stock if any is left; False when it ran out (one statement, race-safe)."""
    stmt = (
        update(Reward)
        .where(Reward.id == reward_id, or_(Reward.stock.is_(None), Reward.stock > 0))
        .values(stock=Reward.stock - 1, exchanged=Reward.exchanged + 1)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]


def give_back_stock(session: Session, reward_id: int) -> None:
    """Put one back (a cancelled exchange)."""
    stmt = (
        update(Reward)
        .where(Reward.id == reward_id)
        .values(stock=Reward.stock + 1, exchanged=Reward.exchanged - 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(stmt)


def change_stock(session: Session, reward_id: int, change: int) -> bool:
    """Add `change` to the stock left; False (nothing changed) if that would take it below zero."""
    stmt = (
        update(Reward)
        .where(Reward.id == reward_id, Reward.stock.is_not(None), Reward.stock + change >= 0)
        .values(stock=Reward.stock + change)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]


def exchange_by_key(session: Session, key: str) -> RewardExchange | None:
    """The exchange made under this idempotency key."""
    return session.scalar(select(RewardExchange).where(RewardExchange.idempotency_key == key))


def live_count(session: Session, reward_id: int, member_id: int) -> int:
    """The member's exchanges of this reward that were not cancelled."""
    stmt = select(func.count(RewardExchange.id)).where(
        RewardExchange.reward_id == reward_id,
        RewardExchange.member_id == member_id,
        RewardExchange.status.in_(LIVE),
    )
    return int(session.scalar(stmt) or 0)


def live_counts(session: Session, member_id: int, reward_ids: Collection[int]) -> dict[int, int]:
    """Live exchanges per reward for one member."""
    stmt = (
        select(RewardExchange.reward_id, func.count(RewardExchange.id))
        .where(RewardExchange.member_id == member_id, RewardExchange.status.in_(LIVE))
        .where(RewardExchange.reward_id.in_(list(reward_ids)))
        .group_by(RewardExchange.reward_id)
    )
    return {r: int(n) for r, n in session.execute(stmt)}


def member_page(
    session: Session, member_id: int, limit: int, offset: int
) -> tuple[list[RewardExchange], int]:
    """A page of the member's exchanges, newest first, and how many there are."""
    where = RewardExchange.member_id == member_id
    stmt = select(RewardExchange).where(where).order_by(RewardExchange.id.desc()).limit(limit).offset(offset)
    total = session.scalar(select(func.count(RewardExchange.id)).where(where))
    return list(session.scalars(stmt)), int(total or 0)


def lots_taken(session: Session, entry_id: int) -> list[tuple[int, int, PointsEntry]]:
    """What a redeem entry took: (lot id, points, the lot's entry), oldest lot first."""
    stmt = (
        select(PointsAllocation.lot_id, PointsAllocation.points, PointsEntry)
        .join(PointsEntry, PointsEntry.id == PointsAllocation.lot_id)
        .where(PointsAllocation.debit_id == entry_id)
        .order_by(PointsAllocation.lot_id)
    )
    return [(lot_id, int(points), lot) for lot_id, points, lot in session.execute(stmt)]
