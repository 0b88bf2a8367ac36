"""SQL for coupon templates and coupons: look-ups, limits, redeeming, a member's list and the figures."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from server.db.tables import (
    Coupon,
    CouponTemplate,
    IssuedOffer,
    Member,
    MemberTag,
    Product,
    Store,
    Transaction,
)


def code_taken(session: Session, code: str) -> bool:
    """Whether a coupon or a reactivation offer already has this code (the till looks in both)."""
    if session.scalar(select(Coupon.id).where(Coupon.code == code)) is not None:
        return True
    return session.scalar(select(IssuedOffer.id).where(IssuedOffer.code == code)) is not None


def by_code(session: Session, code: str) -> Coupon | None:
    """The coupon with this (normalised) code."""
    return session.scalar(select(Coupon).where(Coupon.code == code))


def by_key(session: Session, key: str) -> Coupon | None:
    """The coupon issued under idempotency key `key`."""
    return session.scalar(select(Coupon).where(Coupon.idempotency_key == key))


def by_sale(session: Session, sale_id: int) -> list[Coupon]:
    """The coupons a sale used."""
    return list(session.scalars(select(Coupon).where(Coupon.redeemed_transaction_id == sale_id)))


def held(session: Session, template_id: int, member_id: int, today: date) -> int:
    """The member's coupons of this template that count against its limit: used, or open and valid."""
    stmt = select(func.count(Coupon.id)).where(
        Coupon.template_id == template_id,
        Coupon.member_id == member_id,
        or_(Coupon.redeemed_at.is_not(None), Coupon.valid_until >= today),
    )
    return int(session.scalar(stmt) or 0)


def lock_template(session: Session, template_id: int) -> None:
    """Hold the template's row until commit (PostgreSQL; SQLite's write lock is already held)."""
    session.execute(select(CouponTemplate.id).where(CouponTemplate.id == template_id).with_for_update())


def count_issue(session: Session, template_id: int, total_limit: int | None) -> bool:
    """Count one more coupon of the template unless that passes its total limit; True if counted."""
    stmt = update(CouponTemplate).where(CouponTemplate.id == template_id)
    if total_limit is not None:
        stmt = stmt.where(CouponTemplate.issued_count < total_limit)
    stmt = stmt.values(issued_count=CouponTemplate.issued_count + 1).execution_options(
        synchronize_session=False
    )
    return getattr(session.execute(stmt), "rowcount", 0) == 1


def redeem(session: Session, coupon_id: int, sale_id: int, discount: Decimal, now: datetime) -> bool:
    """Mark the coupon used by this sale unless it already is (a conditional update); True if this did."""
    stmt = (
        update(Coupon)
        .where(Coupon.id == coupon_id, Coupon.redeemed_at.is_(None))
        .values(redeemed_at=now, redeemed_transaction_id=sale_id, discount_amount=discount)
        .execution_options(synchronize_session=False)
    )
    return getattr(session.execute(stmt), "rowcount", 0) == 1


def unknown_categories(session: Session, categories: Collection[str]) -> list[str]:
    """The categories no product is filed under."""
    known = set(session.scalars(select(Product.category).where(Product.category.in_(categories)).distinct()))
    return sorted(set(categories) - known)


def unknown_ids(session: Session, model: Any, ids: Collection[int]) -> list[int]:
    """The ids among `ids` with no row of `model` (Product or Store)."""
    known = set(session.scalars(select(model.id).where(model.id.in_(ids))))
    return sorted(set(ids) - known)


def products(session: Session, ids: Collection[int]) -> dict[int, Product]:
    """Products by id."""
    return {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}


def member_coupons(
    session: Session, member_id: int, where: ColumnElement[bool] | None, limit: int, offset: int
) -> tuple[list[Coupon], int]:
    """A page of the member's coupons (soonest to lapse first), and how many match."""
    cond = Coupon.member_id == member_id if where is None else (Coupon.member_id == member_id) & where
    total = int(session.scalar(select(func.count(Coupon.id)).where(cond)) or 0)
    stmt = select(Coupon).where(cond).order_by(Coupon.valid_until, Coupon.id).limit(limit).offset(offset)
    return list(session.scalars(stmt)), total


def tagged_members(session: Session, tag: str) -> list[int]:
    """Members carrying the tag (a rule's or a clerk's)."""
    stmt = select(MemberTag.member_id).where(MemberTag.tag == tag).distinct().order_by(MemberTag.member_id)
    return list(session.scalars(stmt))


def all_member_ids(session: Session) -> list[int]:
    """Every member id, in order."""
    return list(session.scalars(select(Member.id).order_by(Member.id)))


def template_figures(
    session: Session, stores: frozenset[int] | None, since: datetime | None
) -> dict[int, tuple[int, int, Decimal, Decimal]]:
    """Per template: issued, redeemed, discount given and revenue of the sales that used them.

    Limited to `stores` (a manager's) by the member's home store; every store when None.
    """
    where: list[ColumnElement[bool]] = []
    if stores is not None:
        where.append(Coupon.member_id.in_(select(Member.id).where(Member.home_store_id.in_(stores))))
    if since is not None:
        where.append(Coupon.issued_at >= since)
    counts = (
        select(
            Coupon.template_id,
            func.count(Coupon.id),
            func.count(Coupon.redeemed_at),
            func.coalesce(func.sum(Coupon.discount_amount), 0),
        )
        .where(*where)
        .group_by(Coupon.template_id)
    )
    out = {t: (int(n), int(r), Decimal(d or 0), Decimal("0")) for t, n, r, d in session.execute(counts)}
    # A sale with two coupons of one template counts once towards that template's revenue.
    sales = (
        select(Coupon.template_id, Coupon.redeemed_transaction_id)
        .where(Coupon.redeemed_transaction_id.is_not(None), *where)
        .distinct()
        .subquery()
    )
    revenue = (
        select(sales.c.template_id, func.coalesce(func.sum(Transaction.total_amount), 0))
        .join(Transaction, Transaction.id == sales.c.redeemed_transaction_id)
        .group_by(sales.c.template_id)
    )
    for template_id, amount in session.execute(revenue):
        n, r, d, _ = out[template_id]
        out[template_id] = (n, r, d, Decimal(amount))
    return out


def store_exists(session: Session, store_id: int) -> bool:
    """Whether the store exists."""
    return session.get(Store, store_id) is not None


def first_template(session: Session, purpose: str, created_by: int | None) -> CouponTemplate | None:
    """The oldest template of this purpose made by `created_by` (None: by the system)."""
    who = (
        CouponTemplate.created_by.is_(None) if created_by is None else CouponTemplate.created_by == created_by
    )
    stmt = select(CouponTemplate).where(CouponTemplate.purpose == purpose, who).order_by(CouponTemplate.id)
    return session.scalars(stmt.limit(1)).first()


def open_of_template(session: Session, template_id: int, member_id: int, today: date) -> list[date]:
    """The last valid day of each of the member's unused coupons of the template still valid `today`."""
    stmt = (
        select(Coupon.valid_until)
        .where(Coupon.template_id == template_id, Coupon.member_id == member_id, Coupon.redeemed_at.is_(None))
        .where(Coupon.valid_until >= today)
        .order_by(Coupon.valid_until)
    )
    return list(session.scalars(stmt))


def of_template(session: Session, template_id: int, member_id: int) -> list[Coupon]:
    """The member's coupons of the template."""
    stmt = select(Coupon).where(Coupon.template_id == template_id, Coupon.member_id == member_id)
    return list(session.scalars(stmt))
