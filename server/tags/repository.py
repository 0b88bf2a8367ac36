"""SQL for tags: member facts for many members in a few aggregate queries, rules, and member tags."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from server.db.queries import Members, restricted, utc_day
from server.db.tables import (
    Coupon,
    Member,
    MemberTag,
    MemberTier,
    Product,
    TagRule,
    Transaction,
    TransactionLine,
)
from server.tags.facts import NEW_PRODUCT_DAYS, WINDOWS, CategoryTotals, MemberAggregates, launched_after


def base_aggregates(session: Session, lowest_tier: str, member_ids: Members) -> dict[int, MemberAggregates]:
    """An empty aggregate per member, with birthday, gender, join day and tier filled in."""
    stmt = select(Member.id, Member.joined_on, Member.birthday, Member.gender, MemberTier.tier).outerjoin(
        MemberTier, MemberTier.member_id == Member.id
    )
    rows = _run(session, stmt, Member.id, member_ids)
    return {
        r.id: MemberAggregates(
            joined_on=r.joined_on, birthday=r.birthday, gender=r.gender, tier=r.tier or lowest_tier
        )
        for r in rows
    }


def _run(session: Session, stmt: Any, column: Any, member_ids: Members) -> list[Any]:
    return [row for part in restricted(stmt, column, member_ids) for row in session.execute(part)]


def add_transaction_totals(
    session: Session, aggs: dict[int, MemberAggregates], now: datetime, member_ids: Members
) -> None:
    """Windowed net spend, visit days, sales, coupon sales and last purchase for each member (one query)."""
    t = Transaction
    signed = case(
        (t.kind == "sale", func.abs(t.total_amount)), (t.kind == "return", -func.abs(t.total_amount)), else_=0
    )
    day = utc_day(session, t.occurred_at)
    starts = {d: now - timedelta(days=d) for d in WINDOWS}
    sale365 = and_(t.kind == "sale", t.occurred_at >= starts[365])
    coupon = or_(t.coupon_code.is_not(None), t.discount_amount > 0)
    columns: list[Any] = [t.member_id]
    columns += [func.sum(case((t.occurred_at >= starts[d], signed), else_=0)) for d in WINDOWS]
    columns += [
        func.count(func.distinct(case((and_(t.kind == "sale", t.occurred_at >= starts[d]), day))))
        for d in WINDOWS
    ]
    columns += [
        func.sum(case((sale365, 1), else_=0)),
        func.sum(case((and_(sale365, coupon), 1), else_=0)),
        func.max(case((t.kind == "sale", day))),
    ]
    stmt = (
        select(*columns)
        .where(t.member_id.is_not(None), t.kind.in_(("sale", "return")), t.occurred_at <= now)
        .group_by(t.member_id)
    )
    n = len(WINDOWS)
    for row in _run(session, stmt, t.member_id, member_ids):
        agg = aggs.get(row[0])
        if agg is None:
            continue
        agg.spend = {d: Decimal(str(row[1 + i] or 0)) for i, d in enumerate(WINDOWS)}
        agg.visits = {d: int(row[1 + n + i]) for i, d in enumerate(WINDOWS)}
        agg.sales_365, agg.coupon_sales_365 = int(row[1 + 2 * n] or 0), int(row[2 + 2 * n] or 0)
        last = row[3 + 2 * n]
        agg.last_purchase = (
            None if last is None else last if isinstance(last, date) else date.fromisoformat(last)
        )


def add_coupon_totals(
    session: Session, aggs: dict[int, MemberAggregates], now: datetime, member_ids: Members
) -> None:
    """Coupons issued to each member in the 365 days to `now`, and how many of those were used by `now`."""
    c = Coupon
    used = and_(c.redeemed_at.is_not(None), c.redeemed_at <= now)
    stmt = (
        select(c.member_id, func.count(c.id), func.sum(case((used, 1), else_=0)))
        .where(c.issued_at > now - timedelta(days=365), c.issued_at <= now)
        .group_by(c.member_id)
    )
    for member_id, issued, redeemed in _run(session, stmt, c.member_id, member_ids):
        agg = aggs.get(member_id)
        if agg is not None:
            agg.coupons_issued_365, agg.coupons_redeemed_365 = int(issued), int(redeemed or 0)


def _days_between(session: Session, later: Any, earlier: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return func.extract("epoch", later - earlier) / 86400


def add_category_totals(
    session: Session, aggs: dict[int, MemberAggregates], now: datetime, member_ids: Members
) -> None:
    """Per member and category over 365 days: net amount, quantity and spend on new products (one query)."""
    t, line, p = Transaction, TransactionLine, Product
    sale = t.kind == "sale"
    amount = case((sale, func.abs(line.amount)), else_=-func.abs(line.amount))
    quantity = case((sale, func.abs(line.quantity)), else_=-func.abs(line.quantity))
    launched = launched_after(catalog_start(session))
    fresh = and_(
        p.first_seen_at.is_not(None),
        _days_between(session, t.occurred_at, p.first_seen_at) < NEW_PRODUCT_DAYS,
        *([p.first_seen_at >= launched] if launched else []),
    )
    stmt = (
        select(
            t.member_id,
            p.category,
            func.sum(amount),
            func.sum(quantity),
            func.sum(case((fresh, amount), else_=0)),
        )
        .join(line, line.transaction_id == t.id)
        .join(p, p.id == line.product_id)
        .where(t.member_id.is_not(None), t.kind.in_(("sale", "return")), p.is_merchandise.is_(True))
        .where(t.occurred_at >= now - timedelta(days=365), t.occurred_at <= now)
        .group_by(t.member_id, p.category)
    )
    for member_id, category, total, qty, new in _run(session, stmt, t.member_id, member_ids):
        agg = aggs.get(member_id)
        if agg is not None:
            agg.categories[category] = CategoryTotals(
                Decimal(str(total or 0)), int(qty or 0), Decimal(str(new or 0))
            )


def catalog_start(session: Session) -> datetime | None:
    """When the first product of the catalogue was seen (None for an empty catalogue)."""
    found: datetime | None = session.scalar(select(func.min(Product.first_seen_at)))
    return found


def category_medians(session: Session) -> dict[str, Decimal]:
    """The median list price of the merchandise in each category."""
    prices: dict[str, list[Decimal]] = {}
    stmt = select(Product.category, Product.price).where(Product.is_merchandise.is_(True), Product.price > 0)
    for category, price in session.execute(stmt):
        prices.setdefault(category, []).append(Decimal(str(price)))
    return {c: Decimal(str(statistics.median(v))) for c, v in prices.items()}


def rule_tags(session: Session, member_ids: Members) -> dict[tuple[int, int], tuple[int, int | None]]:
    """Tags set by rules: (member id, rule id) -> (member tag id, rule version)."""
    stmt = select(MemberTag.member_id, MemberTag.rule_id, MemberTag.id, MemberTag.rule_version).where(
        MemberTag.rule_id.is_not(None)
    )
    return {(m, r): (i, v) for m, r, i, v in _run(session, stmt, MemberTag.member_id, member_ids)}


def staff_tags(session: Session, member_ids: Members) -> set[tuple[int, str]]:
    """Tags staff set by hand: (member id, tag); a rule never overwrites them."""
    stmt = select(MemberTag.member_id, MemberTag.tag).where(MemberTag.rule_id.is_(None))
    return {(m, t) for m, t in _run(session, stmt, MemberTag.member_id, member_ids)}


def refresh_tags(session: Session, rows: list[dict[str, Any]]) -> None:
    """Update the rule version and explanation of tags whose rule was edited, in bulk by id."""
    if rows:
        session.execute(update(MemberTag), rows)


def active_rules(session: Session) -> list[TagRule]:
    """The active tag rules, oldest first."""
    return list(session.scalars(select(TagRule).where(TagRule.active.is_(True)).order_by(TagRule.id)))


def rule_count(session: Session) -> int:
    """How many tag rules are stored, active or not."""
    return int(session.scalar(select(func.count()).select_from(TagRule)) or 0)


def rules_page(session: Session, limit: int, offset: int) -> tuple[list[TagRule], int]:
    """A page of every tag rule, active or not, by name, with how many there are."""
    total = rule_count(session)
    rows = session.scalars(select(TagRule).order_by(TagRule.name).limit(limit).offset(offset))
    return list(rows), total


def rule_by_name(session: Session, name: str) -> TagRule | None:
    """A tag rule by its (tag) name."""
    return session.scalar(select(TagRule).where(TagRule.name == name))
