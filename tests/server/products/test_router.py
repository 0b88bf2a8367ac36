"""The catalog over HTTP: search, one product, categories; any signed-in staff with a role."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from tests.fixtures.factories import World, auth, make_product

URL = "/api/v1/products"


def test_search_by_name_sku_and_category(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    mug = make_product(
        session, name="White Hanging Heart T-Light Holder", sku="85123A", category="home", price="2.55"
    )
    make_product(session, name="Red Heart Cushion", sku="22111", category="textiles")
    make_product(session, name="Old Heart Sign", category="home", active=False)
    make_product(session, name="POSTAGE", sku="POST", category="fees", is_merchandise=False)
    session.commit()
    clerk = auth(context, world.clerk_a)

    def names(**params: str | bool) -> list[str]:
        response = client.get(URL, params=params, headers=clerk)
        assert response.status_code == 200, response.text
        return [p["name"] for p in response.json()["items"]]

    assert names(q="heart") == ["Red Heart Cushion", "White Hanging Heart T-Light Holder"]
    assert names(q="85123a") == [mug.name]
    assert names(q="heart", category="home") == [mug.name]
    assert "POSTAGE" not in names(merchandise=True) and names(merchandise=False) == ["POSTAGE"]
    one = client.get(f"{URL}/{mug.id}", headers=clerk).json()
    assert one["sku"] == "85123A" and one["price"] == "2.550"


def test_categories_count_active_products(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    for _ in range(3):
        make_product(session, category="home")
    make_product(session, category="home", active=False)
    make_product(session, category="toys")
    session.commit()
    response = client.get(f"{URL}/categories", headers=auth(context, world.analyst))
    assert response.status_code == 200
    assert response.json() == [{"category": "home", "count": 3}, {"category": "toys", "count": 1}]


def test_catalog_needs_a_token_and_a_role(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    product = make_product(session)
    session.commit()
    for url in (URL, f"{URL}/categories", f"{URL}/{product.id}"):
        assert client.get(url).status_code == 401
        assert client.get(url, headers=auth(context, world.nobody)).status_code == 403
    assert client.get(f"{URL}/999999", headers=auth(context, world.clerk_b)).status_code == 404


def test_limit_is_capped(client: TestClient, session: Session, context: AppContext, world: World) -> None:
    for _ in range(201):
        make_product(session)
    session.commit()
    page = client.get(URL, params={"limit": 201}, headers=auth(context, world.clerk_a)).json()
    assert page["limit"] == 200 and len(page["items"]) == 200 and page["total"] == 201
