"""All SQL of the loyalty engine: ledger entries and lots, tier state, and the growth of members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, case, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from server.core.errors import Conflict, NotFound
from server.db.base import UTCDateTime
from server.db.queries import IdRange, Members, chunks, restricted, utc_day
from server.db.session import serialise_member
from server.db.tables import (
    Benefit,
    BenefitUsage,
    Member,
    MemberTier,
    OutboxMessage,
    PointsAllocation,
    PointsEntry,
    Product,
    Transaction,
    TransactionLine,
)
from server.loyalty.points import Lot
from server.loyalty.tiers import Activity


def lock_member(session: Session, member_id: int) -> Member:
    """The member, locked for the rest of the unit of work so two redemptions cannot both spend a lot."""
    serialise_member(session, member_id)
    member = session.scalar(
        select(Member).where(Member.id == member_id).execution_options(populate_existing=True)
    )
    if member is None:
        raise NotFound(f"member {member_id} not found")
    return member


def entry_by_key(session: Session, key: str) -> PointsEntry | None:
    """The ledger entry written under an idempotency key, if any."""
    return session.scalar(select(PointsEntry).where(PointsEntry.idempotency_key == key))


def redeemed_since(session: Session, member_id: int, since: datetime) -> int:
    """Points the member redeemed after `since` (what a one-time code's threshold counts)."""
    stmt = select(func.coalesce(func.sum(-PointsEntry.points), 0)).where(
        PointsEntry.member_id == member_id, PointsEntry.kind == "redeem", PointsEntry.occurred_at > since
    )
    return int(session.scalar(stmt) or 0)


def entry_for_transaction(session: Session, transaction_id: int, kind: str) -> PointsEntry | None:
    """The earn (or reverse) entry already written for a transaction."""
    stmt = select(PointsEntry).where(PointsEntry.transaction_id == transaction_id, PointsEntry.kind == kind)
    return session.scalar(stmt.order_by(PointsEntry.id).limit(1))


def add_entry(
    session: Session, entry: PointsEntry, allocations: Sequence[tuple[int, int]] = ()
) -> PointsEntry:
    """Append an entry and the lots it consumed; a clash on the idempotency key is a 409."""
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"points entry {entry.idempotency_key!r} was written concurrently; retry") from exc
    add_allocations(session, entry.id, allocations)
    return entry


def add_allocations(session: Session, debit_id: int, allocations: Sequence[tuple[int, int]]) -> None:
    """Record which lots a debit entry took its points from."""
    rows = [{"debit_id": debit_id, "lot_id": lot, "points": pts} for lot, pts in allocations if pts > 0]
    if rows:
        session.execute(insert(PointsAllocation), rows)


def _used(column: Any) -> Any:
    return (
        select(func.coalesce(func.sum(PointsAllocation.points), 0))
        .where(column == PointsEntry.id)
        .correlate(PointsEntry)
        .scalar_subquery()
    )


_REMAINING = (PointsEntry.points - _used(PointsAllocation.lot_id)).label("remaining")
_LOTS = select(
    PointsEntry.id, PointsEntry.member_id, PointsEntry.occurred_at, PointsEntry.expires_on, _REMAINING
).where(PointsEntry.points > 0, PointsEntry.expires_on.is_not(None))
_MEMBER_LOTS = _LOTS.where(PointsEntry.member_id == bindparam("member_id"), _REMAINING > 0)


def _lot_select() -> Any:
    return _LOTS, _REMAINING


def lots(session: Session, member_id: int) -> list[Lot]:
    """The member's lots that still hold points (expired ones included until the nightly job runs)."""
    rows = session.execute(_MEMBER_LOTS, {"member_id": member_id})
    return [Lot(r.id, r.occurred_at.date(), r.expires_on, int(r.remaining)) for r in rows]


def expired_from(session: Session, lot_id: int) -> int:
    """Points of a lot that were taken by expiry."""
    stmt = (
        select(func.coalesce(func.sum(PointsAllocation.points), 0))
        .join(PointsEntry, PointsEntry.id == PointsAllocation.debit_id)
        .where(PointsAllocation.lot_id == lot_id, PointsEntry.kind == "expire")
    )
    return int(session.scalar(stmt) or 0)


_OWED = (-PointsEntry.points - _used(PointsAllocation.debit_id)).label("owed")
_DEBTS = (
    select(PointsEntry.id, _OWED)
    .where(PointsEntry.member_id == bindparam("member_id"), PointsEntry.points < 0)
    .where(PointsEntry.kind.in_(("reverse", "adjust")))
    .order_by(PointsEntry.occurred_at, PointsEntry.id)
)


def debts(session: Session, member_id: int) -> list[tuple[int, int]]:
    """Reversals not yet covered by lots [(entry id, points owed)], oldest first."""
    return [(r.id, int(r.owed)) for r in session.execute(_DEBTS, {"member_id": member_id}) if r.owed > 0]


def reverse_entries(session: Session, member_id: int) -> list[PointsEntry]:
    """Every reversal of the member (what earlier returns already took back)."""
    stmt = select(PointsEntry).where(PointsEntry.member_id == member_id, PointsEntry.kind == "reverse")
    return list(session.scalars(stmt))


def balance(session: Session, member_id: int) -> int:
    """The sum of the member's ledger."""
    stmt = select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.member_id == member_id)
    return int(session.scalar(stmt) or 0)


def balances(session: Session, member_ids: Members = None) -> dict[int, int]:
    """The ledger sum of many members at once."""
    stmt = select(PointsEntry.member_id, func.sum(PointsEntry.points)).group_by(PointsEntry.member_id)
    out: dict[int, int] = {}
    for part in restricted(stmt, PointsEntry.member_id, member_ids):
        out.update({m: int(p) for m, p in session.execute(part)})
    return out


def lines_with_products(session: Session, transaction_id: int) -> list[tuple[TransactionLine, str, bool]]:
    """A transaction's lines with each product's category and whether it is merchandise."""
    stmt = (
        select(TransactionLine, Product.category, Product.is_merchandise)
        .join(Product, Product.id == TransactionLine.product_id)
        .where(TransactionLine.transaction_id == transaction_id)
        .order_by(TransactionLine.line_no)
    )
    return [(line, category, merch) for line, category, merch in session.execute(stmt)]


def lines_by_id(session: Session, line_ids: Sequence[int]) -> dict[int, TransactionLine]:
    """Transaction lines by id."""
    out: dict[int, TransactionLine] = {}
    for part in chunks(line_ids):
        out.update(
            {
                line.id: line
                for line in session.scalars(select(TransactionLine).where(TransactionLine.id.in_(part)))
            }
        )
    return out


def window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The `days` calendar days (UTC) ending today, up to `now`: later rows are not yet part of the story."""
    start = datetime.combine(now.date() - timedelta(days=days - 1), time.min, UTC)
    return start, now


# Built once: a till applies a sale per request, and building the statement costs more than running it.
_ORIGINAL = aliased(Transaction)
_ATTRIBUTED = func.coalesce(_ORIGINAL.occurred_at, Transaction.occurred_at)
_SIGNED = case(
    (Transaction.kind == "sale", func.abs(Transaction.total_amount)),
    else_=-func.abs(Transaction.total_amount),
)
_GROWTH = (
    select(Transaction.member_id, Transaction.kind, _ATTRIBUTED.label("attributed"), _SIGNED.label("amount"))
    .outerjoin(_ORIGINAL, _ORIGINAL.id == Transaction.original_transaction_id)
    .where(Transaction.member_id.is_not(None), Transaction.kind.in_(("sale", "return")))
    .where(_ATTRIBUTED >= bindparam("start", type_=UTCDateTime()))
    .where(Transaction.occurred_at <= bindparam("end", type_=UTCDateTime()))
)
_MEMBER_GROWTH = _GROWTH.where(Transaction.member_id == bindparam("member_id"))


def tier_activities(session: Session, member_id: int, now: datetime, days: int) -> list[Activity]:
    """A member's sales and returns in the window; a return counts on the day of the sale it undoes."""
    start, end = window(now, days)
    rows = session.execute(_MEMBER_GROWTH, {"start": start, "end": end, "member_id": member_id})
    return [Activity(r.attributed.date(), Decimal(str(r.amount)), r.kind == "sale") for r in rows]


def growth_of_all(
    session: Session, now: datetime, days: int, members: IdRange | None = None
) -> dict[int, tuple[Decimal, int]]:
    """Net spend and visit days in the window for every member (in `members`) with activity in it."""
    start, end = window(now, days)
    day = utc_day(session, Transaction.occurred_at)
    visits = func.count(func.distinct(case((Transaction.kind == "sale", day))))
    stmt = _GROWTH.with_only_columns(Transaction.member_id, func.sum(_SIGNED), visits).group_by(
        Transaction.member_id
    )
    if members is not None:
        stmt = stmt.where(members.holds(Transaction.member_id))
    rows = session.execute(stmt, {"start": start, "end": end})
    return {m: (Decimal(str(spend or 0)), int(v)) for m, spend, v in rows}


def due_lots(session: Session, today: date, members: IdRange | None = None) -> list[tuple[int, int, int]]:
    """Every lot (of `members`) whose expiry day has come and still holds points: (lot, member, remaining)."""
    stmt, remaining = _lot_select()
    stmt = stmt.where(PointsEntry.expires_on <= today, remaining > 0).order_by(PointsEntry.id)
    if members is not None:
        stmt = stmt.where(members.holds(PointsEntry.member_id))
    return [(r.id, r.member_id, int(r.remaining)) for r in session.execute(stmt)]


def expiring_by_member(
    session: Session, today: date, days: int, members: IdRange | None = None
) -> list[tuple[int, date, int]]:
    """Members with points expiring after today and within `days`: (member, first expiry day, points)."""
    stmt, remaining = _lot_select()
    stmt = stmt.where(PointsEntry.expires_on > today, PointsEntry.expires_on <= today + timedelta(days=days))
    if members is not None:
        stmt = stmt.where(members.holds(PointsEntry.member_id))
    lots_due = stmt.where(remaining > 0).subquery()
    grouped = select(
        lots_due.c.member_id, func.min(lots_due.c.expires_on), func.sum(lots_due.c.remaining)
    ).group_by(lots_due.c.member_id)
    return [(m, first, int(points)) for m, first, points in session.execute(grouped)]


def ledger_page(session: Session, member_id: int, limit: int, offset: int) -> tuple[list[PointsEntry], int]:
    """One page of the member's ledger, newest first, with the number of entries in all."""
    where = PointsEntry.member_id == member_id
    total = int(session.scalar(select(func.count()).select_from(PointsEntry).where(where)) or 0)
    stmt = select(PointsEntry).where(where).order_by(PointsEntry.occurred_at.desc(), PointsEntry.id.desc())
    return list(session.scalars(stmt.limit(limit).offset(offset))), total


def benefit_uses(session: Session, member_ids: Members, since: datetime) -> dict[int, list[tuple[str, date]]]:
    """Per member (all when `member_ids` is None): each benefit used since `since`, by code and day."""
    stmt = (
        select(BenefitUsage.member_id, Benefit.code, BenefitUsage.used_at)
        .join(Benefit, Benefit.id == BenefitUsage.benefit_id)
        .where(BenefitUsage.used_at >= since)
    )
    out: dict[int, list[tuple[str, date]]] = {}
    for part in restricted(stmt, BenefitUsage.member_id, member_ids):
        for member_id, code, used_at in session.execute(part):
            out.setdefault(member_id, []).append((code, used_at.date()))
    return out


def benefit_use_by_key(session: Session, key: str) -> BenefitUsage | None:
    """The benefit use recorded under idempotency key `key`, if any."""
    return session.scalar(select(BenefitUsage).where(BenefitUsage.idempotency_key == key))


def members_in_tiers(
    session: Session, tiers: Sequence[str], members: IdRange | None = None
) -> list[tuple[int, date | None, date, str]]:
    """(member, birthday, joined on, tier) of every member (in `members`) holding one of `tiers`."""
    stmt = (
        select(Member.id, Member.birthday, Member.joined_on, MemberTier.tier)
        .join(MemberTier, MemberTier.member_id == Member.id)
        .where(MemberTier.tier.in_(tiers))
    )
    if members is not None:
        stmt = stmt.where(members.holds(Member.id))
    return [(m, birthday, joined, tier) for m, birthday, joined, tier in session.execute(stmt)]


def newest_unused_code(session: Session, member_id: int) -> OutboxMessage | None:
    """The member's newest redemption code message not used yet (valid or not)."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.member_id == member_id, OutboxMessage.kind == "redemption_code")
        .where(OutboxMessage.consumed_at.is_(None))
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def codes_sent_since(session: Session, member_id: int, since: datetime) -> int:
    """How many redemption codes the member was sent after `since`."""
    stmt = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.member_id == member_id, OutboxMessage.kind == "redemption_code")
        .where(OutboxMessage.created_at > since)
    )
    return int(session.scalar(stmt) or 0)
