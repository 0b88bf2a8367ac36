"""The product catalog, readable by anyone holding a role."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.auth.scope import require_any_role
from server.core.errors import NotFound
from server.core.pagination import PageParams
from server.db.tables import Product, Staff
from server.products import repository


def search_products_as(
    session: Session,
    caller: Staff,
    *,
    q: str | None,
    category: str | None,
    merchandise: bool | None,
    page: PageParams,
) -> tuple[list[Product], int]:
    """Active products by name or SKU fragment and category."""
    require_any_role(caller)
    return repository.search_products(
        session,
        text=(q or "").strip() or None,
        category=(category or "").strip() or None,
        merchandise=merchandise,
        limit=page.limit,
        offset=page.offset,
    )


def get_product_as(session: Session, caller: Staff, product_id: int) -> Product:
    """One product (inactive ones too, so old receipts still resolve); 404 when unknown."""
    require_any_role(caller)
    product = repository.get_product(session, product_id)
    if product is None:
        raise NotFound(f"product {product_id} does not exist")
    return product


def categories_as(session: Session, caller: Staff) -> list[tuple[str, int]]:
    """Each category with its number of active products."""
    require_any_role(caller)
    return repository.category_counts(session)
