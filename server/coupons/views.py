"""Reading coupons: a member's list and each template's 核销率."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.auth.scope import grants, visible_store_ids
from server.core.errors import Forbidden
from server.core.pagination import PageParams
from server.coupons import repository as repo
from server.db.tables import Coupon, CouponTemplate, Staff
from server.members.access import member_for

FIGURES_DAYS = 365


def _status_filter(status: str | None, now: datetime) -> ColumnElement[bool] | None:
    today = now.date()
    if status == "open":
        return and_(Coupon.redeemed_at.is_(None), Coupon.valid_until >= today, Coupon.issued_at <= now)
    if status == "used":
        return Coupon.redeemed_at.is_not(None)
    if status == "expired":
        return and_(Coupon.redeemed_at.is_(None), Coupon.valid_until < today)
    return None


def member_coupons(
    session: Session, caller: Staff, member_id: int, status: str | None, page: PageParams, now: datetime
) -> tuple[list[Coupon], int]:
    """The member's coupons (open, used, expired or all), soonest to lapse first."""
    member_for(session, caller, member_id)
    return repo.member_coupons(session, member_id, _status_filter(status, now), page.limit, page.offset)


def open_coupons(session: Session, member_id: int, now: datetime, limit: int = 20) -> list[Coupon]:
    """The member's usable coupons, soonest to lapse first (the 360° view and talking points)."""
    return repo.member_coupons(session, member_id, _status_filter("open", now), limit, 0)[0]


@dataclass(frozen=True)
class Figures:
    """One template's issued, redeemed, discount given and revenue of the sales that used its coupons."""

    template: CouponTemplate
    issued: int
    redeemed: int
    discount: Decimal
    revenue: Decimal

    @property
    def rate(self) -> float | None:
        """redeemed / issued, None when none were issued."""
        return round(self.redeemed / self.issued, 4) if self.issued else None


def figures(session: Session, caller: Staff, now: datetime, days: int = FIGURES_DAYS) -> list[Figures]:
    """Each template's figures over coupons issued in `days` days: HQ sees all, a manager their stores'."""
    stores: frozenset[int] | None = None
    if visible_store_ids(caller) is not None:
        stores = frozenset(s for role, s in grants(caller) if role == Role.STORE_MANAGER and s is not None)
        if not stores:
            raise Forbidden("coupon figures are for HQ and store managers")
    found = repo.template_figures(session, stores, now - timedelta(days=days))
    templates = session.query(CouponTemplate).order_by(CouponTemplate.id)
    out = []
    for t in templates:
        issued, redeemed, discount, revenue = found.get(t.id, (0, 0, Decimal("0"), Decimal("0")))
        out.append(Figures(t, issued, redeemed, discount, revenue))
    return out
