"""A member's rows turned into `models.member.MemberFacts`: purchases, tier, points, birthday, locale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Float, and_, bindparam, case, cast, func, select
from sqlalchemy.orm import Session

from models.member import MemberFacts, Purchase
from server.db.base import UTCDateTime
from server.db.session import core
from server.db.tables import Coupon, Member, Transaction, TransactionLine
from server.loyalty.service import points_summary, tier_progress

# The latest sale lines the recommender reads. Nearly every member has far fewer; a wholesale buyer's
# whole history is too slow to turn into facts while the clerk waits (docs/performance.md), and the
# next suggestion hardly depends on what they bought years and thousands of lines ago.
MAX_LINES = 2000
# Built once (an arrival runs both): the member's sales up to a time, and their latest lines.
_SALES = (
    Transaction.member_id == bindparam("member_id"),
    Transaction.occurred_at <= bindparam("now", type_=UTCDateTime()),
    Transaction.kind == "sale",
)
_VISITS = select(Transaction.id, Transaction.occurred_at, Transaction.coupon_code).where(*_SALES)
_LINES = (
    select(
        TransactionLine.transaction_id,
        TransactionLine.product_id,
        TransactionLine.quantity,
        cast(TransactionLine.unit_price, Float),
        cast(TransactionLine.discount_amount, Float),
    )
    .join(Transaction, Transaction.id == TransactionLine.transaction_id)
    .where(*_SALES, TransactionLine.quantity > 0)
    .order_by(Transaction.occurred_at.desc(), TransactionLine.line_no.desc())
    .limit(bindparam("limit"))
)


def purchases(
    session: Session, member_id: int, now: datetime, limit: int = MAX_LINES
) -> tuple[Purchase, ...]:
    """The member's latest `limit` sale lines up to `now`, oldest first.

    Two indexed queries: the member's sales (one timestamp each to convert) and their lines as plain
    numbers; a line costs a tuple, not a timestamp and two Decimals (this ran while the clerk waited).
    """
    connection = core(session)
    params = {"member_id": member_id, "now": now, "limit": limit}
    visits = {
        sale_id: (occurred_at.date(), coupon is not None)
        for sale_id, occurred_at, coupon in connection.execute(_VISITS, params)
    }
    newest_first = connection.execute(_LINES, params).all()
    lines = []
    # Positional (item, day, quantity, unit price, discount, coupon) and unconverted (the columns are
    # typed; the prices are cast to float by the query): a third cheaper per line than by keyword.
    for sale_id, product_id, quantity, unit_price, discount in reversed(newest_first):
        day, coupon = visits[sale_id]
        lines.append(Purchase(product_id, day, quantity, unit_price, discount, coupon))
    return tuple(lines)


@dataclass(frozen=True)
class Standing:
    """A member's tier and points as the recommender reads them."""

    tier: str
    next_tier: str | None
    spend_needed: Decimal
    points_available: int
    expiring: tuple[date, int] | None  # the next points to expire within 30 days: (day, points)


def current_standing(session: Session, member_id: int, now: datetime) -> Standing:
    """The member's tier progress and points, read from the loyalty ledger."""
    progress = tier_progress(session, member_id, now)
    points = points_summary(session, member_id, now)
    soonest = points.expiring[0] if points.expiring else None
    return Standing(
        tier=progress.tier,
        next_tier=progress.next_tier,
        spend_needed=progress.spend_needed,
        points_available=points.available,
        expiring=(datetime.fromisoformat(soonest[0]).date(), soonest[1]) if soonest else None,
    )


def member_facts(
    session: Session, member: Member, now: datetime, standing: Standing | None = None
) -> MemberFacts:
    """What the recommender may say about the member; facts the store does not record stay None.

    `standing` saves reading tier and points again when the caller has them (an arrival builds the card
    first). Coupons offered and redeemed are the member's coupons (server/coupons) issued by `now`; a
    member never issued one has neither, so no redemption rate is guessed.
    """
    standing = standing or current_standing(session, member.id, now)
    return MemberFacts(
        member_id=member.id,
        name=member.name,
        locale=member.locale or "en",
        purchases=purchases(session, member.id, now),
        birthday=member.birthday,
        tier=standing.tier,
        next_tier=standing.next_tier,
        spend_to_next_tier=float(standing.spend_needed) if standing.next_tier else None,
        points_balance=standing.points_available,
        points_expiring=standing.expiring[1] if standing.expiring else None,
        points_expire_on=standing.expiring[0] if standing.expiring else None,
        expiring_coupon=expiring_coupon(session, member.id, now),
        **coupon_counts(session, member.id, now),
    )


def coupon_counts(session: Session, member_id: int, now: datetime) -> dict[str, int | None]:
    """Coupons issued to the member by `now` and how many of them were used by then (None without any)."""
    used = and_(Coupon.redeemed_at.is_not(None), Coupon.redeemed_at <= now)
    stmt = select(func.count(Coupon.id), func.sum(case((used, 1), else_=0))).where(
        Coupon.member_id == member_id, Coupon.issued_at <= now
    )
    offered, redeemed = session.execute(stmt).one()
    if not offered:
        return {"coupons_offered": None, "coupons_redeemed": None}
    return {"coupons_offered": int(offered), "coupons_redeemed": int(redeemed or 0)}


def expiring_coupon(session: Session, member_id: int, now: datetime) -> tuple[str, str, date] | None:
    """The member's open coupon that lapses first: names in zh and en and its last valid day."""
    stmt = (
        select(Coupon.name_zh, Coupon.name_en, Coupon.valid_until)
        .where(Coupon.member_id == member_id, Coupon.redeemed_at.is_(None))
        .where(Coupon.valid_until >= now.date(), Coupon.issued_at <= now)
        .order_by(Coupon.valid_until, Coupon.id)
        .limit(1)
    )
    found = session.execute(stmt).first()
    return None if found is None else (found[0], found[1], found[2])
