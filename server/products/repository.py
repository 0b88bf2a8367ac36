"""SQL for the product catalog."""

from __future__ import annotations

from collections.abc import Sequence

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


def category_label_counts(session: Session, langs: Sequence[str]) -> list[tuple[str, str, str | None, int]]:
    """(category, lang, label or None, how many active merchandise products give it), one grouped query a
    language; within a category, labels in the order their first product was added."""
    out: list[tuple[str, str, str | None, int]] = []
    for lang in langs:
        label = Product.translations[(lang, "category")].as_string()
        query = (
            select(Product.category, label, func.count())
            .where(Product.active.is_(True), Product.is_merchandise.is_(True))
            .group_by(Product.category, label)
            .order_by(Product.category, func.min(Product.id))
        )
        out.extend((category, lang, text, int(n)) for category, text, n in session.execute(query).all())
    return out
