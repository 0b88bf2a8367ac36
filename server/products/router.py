"""GET /products, GET /products/categories, GET /products/{id}."""

from __future__ import annotations

from fastapi import APIRouter, Query

from server.auth.deps import CurrentStaff
from server.core.bounds import Id
from server.core.deps import SessionDep
from server.core.pagination import Page, PageDep
from server.products import service
from server.products.schemas import CategoryCount, ProductRead

router = APIRouter(prefix="/products", tags=["catalog"])


@router.get("")
def search_products(
    caller: CurrentStaff,
    session: SessionDep,
    page: PageDep,
    q: str | None = None,
    category: str | None = None,
    merchandise: bool | None = Query(None, description="true: goods only; false: postage, fees ..."),
) -> Page[ProductRead]:
    """Active products by name or SKU fragment, optionally in one category."""
    rows, total = service.search_products_as(
        session, caller, q=q, category=category, merchandise=merchandise, page=page
    )
    items = [ProductRead.model_validate(p) for p in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


# Declared before /{product_id} so 'categories' is not read as an id.
@router.get("/categories")
def categories(caller: CurrentStaff, session: SessionDep) -> list[CategoryCount]:
    """Each category with its number of active products, most populous first."""
    return [CategoryCount(category=c, count=n) for c, n in service.categories_as(session, caller)]


@router.get("/{product_id}")
def get_product(product_id: Id, caller: CurrentStaff, session: SessionDep) -> ProductRead:
    """One product."""
    return ProductRead.model_validate(service.get_product_as(session, caller, product_id))
