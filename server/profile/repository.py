"""SQL for one member's 360° view: a handful of indexed queries, each touching only that member's rows.

Statements are built once (with bind parameters); building a statement costs more than running it
on an indexed member.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import Session, aliased

from server.db.base import UTCDateTime
from server.db.tables import (
    Benefit,
    BenefitUsage,
    ConsultantAssignment,
    Interaction,
    Member,
    MemberTag,
    MemberTier,
    OutboxMessage,
    PointsAllocation,
    PointsEntry,
    Product,
    Staff,
    Store,
    TagRule,
    TierChange,
    Transaction,
    TransactionLine,
)
from server.tags.facts import NEW_PRODUCT_DAYS, CategoryTotals

T, L, P, E, A = Transaction, TransactionLine, Product, PointsEntry, PointsAllocation
_MEMBER: Any = bindparam("member_id")
_SINCE = bindparam("since", type_=UTCDateTime())
_UNTIL = bindparam("until", type_=UTCDateTime())

MEMBER = (
    select(
        Member.id,
        Member.name,
        Member.gender,
        Member.birthday,
        Member.phone_encrypted,
        Member.card_number,
        Member.qr_token,
        Member.home_store_id,
        Member.joined_on,
        Member.marketing_consent,
        Member.locale,
        MemberTier.tier,
        MemberTier.since,
    )
    .outerjoin(MemberTier, MemberTier.member_id == Member.id)
    .where(Member.id == _MEMBER)
)
TRANSACTIONS = (
    select(
        T.id,
        T.store_id,
        T.occurred_at,
        T.kind,
        T.total_amount,
        T.discount_amount,
        T.coupon_code,
        T.original_transaction_id,
    )
    .where(T.member_id == _MEMBER, T.occurred_at <= _UNTIL)
    .order_by(T.occurred_at, T.id)
)
_BOUGHT = (
    T.member_id == _MEMBER,
    T.occurred_at >= _SINCE,
    T.occurred_at <= _UNTIL,
    T.kind.in_(("sale", "return")),
    P.is_merchandise.is_(True),
)
_SALE = T.kind == "sale"
_AMOUNT = case((_SALE, func.abs(L.amount)), else_=-func.abs(L.amount))
_UNITS = case((_SALE, func.abs(L.quantity)), else_=-func.abs(L.quantity))
_PURCHASES = func.count(func.distinct(case((_SALE, T.id))))
FAVOURITES = (
    select(P.id, P.sku, P.name, _PURCHASES, func.sum(_UNITS), func.sum(_AMOUNT))
    .select_from(T)
    .join(L, L.transaction_id == T.id)
    .join(P, P.id == L.product_id)
    .where(*_BOUGHT)
    .group_by(P.id, P.sku, P.name)
    .having(func.sum(_UNITS) > 0)
    .order_by(_PURCHASES.desc(), func.sum(_AMOUNT).desc(), P.name, P.id)
    .limit(bindparam("limit"))
)
RECENT_LINES = (
    select(
        T.occurred_at,
        T.kind,
        T.store_id,
        L.transaction_id,
        L.line_no,
        L.quantity,
        L.unit_price,
        L.amount,
        P.id.label("product_id"),
        P.sku,
        P.name,
    )
    .select_from(T)
    .join(L, L.transaction_id == T.id)
    .join(P, P.id == L.product_id)
    .where(T.member_id == _MEMBER, T.occurred_at <= _UNTIL, T.kind.in_(("sale", "return")))
    .order_by(T.occurred_at.desc(), T.id.desc(), L.line_no)
    .limit(bindparam("limit"))
)
_CATEGORIES: dict[str, Any] = {}


def category_totals(
    session: Session, member_id: int, now: datetime, launched: datetime
) -> dict[str, CategoryTotals]:
    """Per category over 365 days: net merchandise spend, net units, and spend on products then new.

    The same sums as `server.tags.repository.add_category_totals`, for one member: a product is new in its
    first NEW_PRODUCT_DAYS on sale, if it was first seen after `launched` (the catalogue's first weeks).
    """
    dialect = session.get_bind().dialect.name
    stmt = _CATEGORIES.get(dialect)
    if stmt is None:
        if dialect == "sqlite":
            young = func.julianday(T.occurred_at) - func.julianday(P.first_seen_at) < NEW_PRODUCT_DAYS
        else:
            young = T.occurred_at - P.first_seen_at < timedelta(days=NEW_PRODUCT_DAYS)
        # The cheap comparison first (NULL when never seen, so false): the day arithmetic, a fifth of
        # the query for a member with thousands of lines, runs only for products first seen since launch.
        fresh = and_(P.first_seen_at >= bindparam("launched", type_=UTCDateTime()), young)
        stmt = _CATEGORIES[dialect] = (
            select(P.category, func.sum(_AMOUNT), func.sum(_UNITS), func.sum(case((fresh, _AMOUNT), else_=0)))
            .select_from(T)
            .join(L, L.transaction_id == T.id)
            .join(P, P.id == L.product_id)
            .where(*_BOUGHT)
            .group_by(P.category)
        )
    params = {"member_id": member_id, "since": since(now, 365), "until": now, "launched": launched}
    return {
        category: CategoryTotals(Decimal(str(amount or 0)), int(units or 0), Decimal(str(new or 0)))
        for category, amount, units, new in session.connection().execute(stmt, params)
    }


STORES = select(Store.id, Store.name).where(Store.id.in_(bindparam("ids", expanding=True)))
POINTS = select(E.id, E.kind, E.points, E.occurred_at, E.expires_on).where(
    E.member_id == _MEMBER, E.occurred_at <= _UNTIL
)
ALLOCATIONS = (
    select(A.lot_id, A.debit_id, A.points)
    .join(E, E.id == A.debit_id)
    .where(E.member_id == _MEMBER, E.occurred_at <= _UNTIL)
)
TIER_AT = (
    select(TierChange.to_tier, TierChange.occurred_at)
    .where(TierChange.member_id == _MEMBER, TierChange.occurred_at <= _UNTIL)
    .order_by(TierChange.occurred_at.desc(), TierChange.id.desc())
    .limit(1)
)
USAGES = (
    select(Benefit.code, BenefitUsage.used_at)
    .join(Benefit, Benefit.id == BenefitUsage.benefit_id)
    .where(BenefitUsage.member_id == _MEMBER, BenefitUsage.used_at >= _SINCE)
)
TAGS = (
    select(
        MemberTag.tag,
        MemberTag.source,
        MemberTag.rule_id,
        MemberTag.rule_version,
        MemberTag.explanation,
        MemberTag.tagged_at,
        TagRule.rule,
        TagRule.description,
    )
    .outerjoin(TagRule, TagRule.id == MemberTag.rule_id)
    .where(MemberTag.member_id == _MEMBER)
    .order_by(MemberTag.tag)
)
INTERACTIONS = (
    select(
        Interaction.id,
        Interaction.channel,
        Interaction.note,
        Interaction.occurred_at,
        Interaction.follow_up_on,
        Interaction.staff_id,
        Staff.display_name,
    )
    .outerjoin(Staff, Staff.id == Interaction.staff_id)
    .where(Interaction.member_id == _MEMBER, Interaction.occurred_at <= _UNTIL)
    .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
    .limit(bindparam("limit"))
)
FOLLOW_UPS = (
    select(Interaction.follow_up_on, Interaction.note, Staff.display_name)
    .outerjoin(Staff, Staff.id == Interaction.staff_id)
    .where(Interaction.member_id == _MEMBER, Interaction.follow_up_on >= bindparam("today"))
    .order_by(Interaction.follow_up_on)
)
INTERACTION_TIMES = select(Interaction.occurred_at).where(
    Interaction.member_id == _MEMBER, Interaction.occurred_at >= _SINCE, Interaction.occurred_at <= _UNTIL
)
REPLY_TIMES = select(OutboxMessage.responded_at).where(
    OutboxMessage.member_id == _MEMBER,
    OutboxMessage.responded_at >= _SINCE,
    OutboxMessage.responded_at <= _UNTIL,
)
CONSULTANTS = (
    select(
        ConsultantAssignment.staff_id,
        ConsultantAssignment.position,
        ConsultantAssignment.assigned_at,
        Staff.display_name,
    )
    .join(Staff, Staff.id == ConsultantAssignment.staff_id)
    .where(ConsultantAssignment.member_id == _MEMBER, ConsultantAssignment.ended_at.is_(None))
    .order_by(ConsultantAssignment.position)
)
_RETURN = aliased(Transaction)
# A store the member bought in opens them to its staff; a sale taken back (even in part) does not, so a
# token sale rung up and refunded cannot make a member of another store visible for good.
LAST_SALE = select(func.max(T.occurred_at)).where(
    T.member_id == _MEMBER, T.kind == "sale", T.occurred_at <= _UNTIL
)


def rows(session: Session, stmt: Any, **params: Any) -> Sequence[Any]:
    """Run one of this module's statements with its parameters (plain rows, no ORM loading)."""
    return session.connection().execute(stmt, params).all()


def member(session: Session, member_id: int) -> Any:
    """The member's own columns with their tier and since when they hold it (a row, or None)."""
    return session.connection().execute(MEMBER, {"member_id": member_id}).first()


def store_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    """Store names by id."""
    if not ids:
        return {}
    return {i: name for i, name in session.connection().execute(STORES, {"ids": sorted(ids)})}


def last_sale(session: Session, member_id: int, until: datetime) -> datetime | None:
    """When the member last bought something, up to `until`."""
    value: datetime | None = session.scalar(LAST_SALE, {"member_id": member_id, "until": until})
    return value


def since(now: datetime, days: int) -> datetime:
    """`days` before `now`."""
    return now - timedelta(days=days)
