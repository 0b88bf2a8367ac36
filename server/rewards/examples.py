"""The rewards catalogue the demo starts with, so a clerk can show a member what their points buy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.tables import Product, Reward, TransactionLine

# (code, kind, English, Chinese, points, stock, per-member limit)
EXAMPLE_GIFTS = [
    ("TOTE-BAG", "Canvas tote bag", "帆布购物袋", 800, 120, 1),
    ("GIFT-WRAP-SET", "Gift wrapping set", "礼品包装套装", 300, None, None),
    ("TEA-TIN", "Tin of loose-leaf tea", "罐装散茶", 1500, 40, 2),
    ("UMBRELLA", "Folding umbrella", "折叠伞", 2500, 25, 1),
]


def ensure_example_rewards(session: Session, now: datetime) -> int:
    """Save the example gifts (and one catalogue product as a gift) when no reward exists at all."""
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
    session.add_all(rows)
    session.flush()
    return len(rows)
