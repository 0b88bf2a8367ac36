"""The rewards catalogue the demo starts with, so a clerk can show a member what their points buy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.coupons.schemas import CouponTerms
from server.db.tables import CouponTemplate, Product, Reward, TransactionLine

# (code, kind, English, Chinese, points, stock, per-member limit)
EXAMPLE_GIFTS = [
    ("TOTE-BAG", "Canvas tote bag", "帆布购物袋", 800, 120, 1),
    ("GIFT-WRAP-SET", "Gift wrapping set", "礼品包装套装", 300, None, None),
    ("TEA-TIN", "Tin of loose-leaf tea", "罐装散茶", 1500, 40, 2),
    ("UMBRELLA", "Folding umbrella", "折叠伞", 2500, 25, 1),
]


def ensure_example_rewards(session: Session, now: datetime) -> int:
    """Save the example gifts, one catalogue product as a gift and a coupon, when no reward exists at all."""
    if session.scalar(select(func.count(Reward.id))):
        return 0
    rows = [
        Reward(
            code=code,
            kind="gift",
            name_en=en,
            name_zh=zh,
            points=points,
            stock=stock,
            per_member_limit=limit,
            exchanged=0,
            created_at=now,
            updated_at=now,
        )
        for code, en, zh, points, stock, limit in EXAMPLE_GIFTS
    ]
    # The best-selling small item of the shop's own catalogue, for 100 points per unit of its price.
    sold = func.count(TransactionLine.id)
    cheap = session.scalar(
        select(Product)
        .join(TransactionLine, TransactionLine.product_id == Product.id)
        .where(Product.active.is_(True), Product.is_merchandise.is_(True), Product.price.between(3, 15))
        .group_by(Product.id)
        .order_by(sold.desc(), Product.id)
        .limit(1)
    )
    if cheap is not None:
        zh = (cheap.translations or {}).get("zh", {}).get("name", "")
        rows.append(
            Reward(
                code=f"GIFT-{cheap.sku}"[:40],
                kind="gift",
                name_en=cheap.name[:120],
                name_zh=str(zh)[:120],
                points=max(int(cheap.price * 100), 100),
                stock=30,
                product_id=cheap.id,
                exchanged=0,
                created_at=now,
                updated_at=now,
            )
        )
    rows.append(_coupon_reward(session, now))
    session.add_all(rows)
    session.flush()
    return len(rows)


def _coupon_reward(session: Session, now: datetime) -> Reward:
    """10% off the next purchase (9折券) for 2,000 points, as a coupon template of its own."""
    terms = CouponTerms(kind="percent_off", percent=10)
    template = CouponTemplate(
        name_zh="积分兑换9折券",
        name_en="10% off, for points",
        purpose="points_exchange",
        terms=terms.money(),
        valid_days=60,
        per_member_limit=5,
        issued_count=0,
        version=1,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(template)
    session.flush()
    return Reward(
        code="COUPON-10PCT",
        kind="coupon",
        name_en="10% off your next purchase",
        name_zh="下次购物9折券",
        points=2000,
        coupon_template_id=template.id,
        exchanged=0,
        created_at=now,
        updated_at=now,
    )
