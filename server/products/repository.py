"""SQL for the product catalog."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.db.tables import Product


def get_product(session: Session, product_id: int) -> Product | None:
    """The product with this id, if any."""
    return session.get(Product, product_id)


def search_products(
    session: Session,
    *,
    text: str | None,
    category: str | None,
    merchandise: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[Product], int]:
    """Active products whose name or SKU contains `text`, in `category`; ordered by name, with the total."""
    query = select(Product).where(Product.active.is_(True))
    if text:
        query = query.where(
            or_(Product.name.icontains(text, autoescape=True), Product.sku.icontains(text, autoescape=True))
        )
    if category:
        query = query.where(Product.category == category)
    if merchandise is not None:
        query = query.where(Product.is_merchandise.is_(merchandise))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Product.name, Product.id).limit(limit).offset(offset)).all()
    return list(rows), total


def category_counts(session: Session) -> list[tuple[str, int]]:
    """(category, number of active products), most populous first."""
    count = func.count(Product.id)
    query = (
        select(Product.category, count)
        .where(Product.active.is_(True))
        .group_by(Product.category)
        .order_by(count.desc(), Product.category)
    )
    return [(category, n) for category, n in session.execute(query).all()]


def category_translations(session: Session) -> list[tuple[str, Any]]:
    """(category, translations) of each active piece of merchandise, in id order: what labels come from."""
    query = (
        select(Product.category, Product.translations)
        .where(Product.active.is_(True), Product.is_merchandise.is_(True))
        .order_by(Product.id)
    )
    return [(category, translations) for category, translations in session.execute(query).all()]
