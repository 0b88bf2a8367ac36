"""A member's rows turned into `models.member.MemberFacts`: purchases, tier, points, birthday, locale."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.member import MemberFacts, Purchase
from server.db.tables import Member, Transaction, TransactionLine
from server.loyalty.service import points_summary, tier_progress


def purchases(session: Session, member_id: int, now: datetime) -> tuple[Purchase, ...]:
    """The member's sale lines up to `now` (one indexed query over transactions by member and time)."""
    stmt = (
        select(
            TransactionLine.product_id,
            Transaction.occurred_at,
            TransactionLine.quantity,
            TransactionLine.unit_price,
            TransactionLine.discount_amount,
            Transaction.coupon_code,
        )
        .join(Transaction, Transaction.id == TransactionLine.transaction_id)
        .where(Transaction.member_id == member_id, Transaction.occurred_at <= now)
        .where(Transaction.kind == "sale", TransactionLine.quantity > 0)
        .order_by(Transaction.occurred_at, TransactionLine.line_no)
    )
    return tuple(
        Purchase(
            item_id=int(product_id),
            day=occurred_at.date(),
            quantity=int(quantity),
            unit_price=float(unit_price),
            discount=float(discount),
            coupon=coupon is not None,
        )
        for product_id, occurred_at, quantity, unit_price, discount, coupon in session.execute(stmt)
    )


def member_facts(session: Session, member: Member, now: datetime) -> MemberFacts:
    """What the recommender may say about the member; facts the store does not record stay None.

    Coupons offered are not recorded anywhere (only coupons used at the till), so the coupon
    redemption rate is left out rather than guessed.
    """
    progress = tier_progress(session, member.id, now)
    points = points_summary(session, member.id, now)
    expiring = points.expiring[0] if points.expiring else None
    return MemberFacts(
        member_id=member.id,
        name=member.name,
        locale=member.locale or "en",
        purchases=purchases(session, member.id, now),
        birthday=member.birthday,
        tier=progress.tier,
        next_tier=progress.next_tier,
        spend_to_next_tier=float(progress.spend_needed) if progress.next_tier else None,
        points_balance=points.available,
        points_expiring=expiring[1] if expiring else None,
        points_expire_on=datetime.fromisoformat(expiring[0]).date() if expiring else None,
    )
