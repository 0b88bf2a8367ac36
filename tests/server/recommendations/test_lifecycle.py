"""The recommender is built when the server starts and rebuilt when the catalogue changes."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal

import faiss
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.runtime import search_threads, use_threads
from server.app import create_app
from server.config import Settings
from server.core.context import AppContext
from server.recommendations.engine import RecommenderHolder, catalog_fingerprint, load_catalog
from tests.fixtures.factories import make_product
from tests.server.recommendations.conftest import HashEncoder, Shop


def holder(context: AppContext) -> RecommenderHolder:
    made = RecommenderHolder(context.sessions, HashEncoder)
    context.recommender = made
    return made


def test_the_server_builds_the_recommender_at_start(
    shop: Shop, settings: Settings, context: AppContext
) -> None:
    warm = replace(context, settings=settings.model_copy(update={"recommender_warm_up": True}))
    built = holder(warm)
    app = create_app(warm.settings, warm)
    with TestClient(app):
        deadline = time.monotonic() + 120  # only turns a hang into a failure
        while not built.built and time.monotonic() < deadline:
            time.sleep(0.02)
        assert built.built, "the recommender was not built in the background within 120 s of start-up"
        assert len(built.get().catalog) == len(shop.products)


def test_a_changed_catalogue_is_picked_up(shop: Shop, session: Session, context: AppContext) -> None:
    built = holder(context)
    assert built.refresh() is False  # nothing built yet: nothing to refresh
    first = built.get()
    assert built.refresh() is False
    make_product(session, name="Silk Scarf", category="Accessories", price="19.00")
    session.commit()
    assert built.refresh() is True
    assert len(built.get().catalog) == len(first.catalog) + 1
    assert built.get().version != first.version
    product = shop.products["Ceramic Mug"]
    session.merge(product).price = Decimal("7.00")
    session.commit()
    before = built.fingerprint
    assert built.refresh() is True and built.fingerprint != before


def test_the_fingerprint_ignores_what_the_recommender_does_not_read(shop: Shop, session: Session) -> None:
    before = catalog_fingerprint(session)
    session.merge(shop.regular).name = "Rita R."
    session.commit()
    assert catalog_fingerprint(session) == before


def test_search_threads_can_be_limited() -> None:
    was = search_threads()
    try:
        use_threads(1)
        assert search_threads() == 1 == faiss.omp_get_max_threads()
    finally:
        faiss.omp_set_num_threads(was)


def test_prices_are_written_in_the_chains_currency(shop: Shop, session: Session) -> None:
    assert load_catalog(session)[0].currency == "£"  # both stores of the test chain sell in GBP
    for store in (shop.world.store_a, shop.world.store_b):
        session.merge(store).currency = "CNY"
    session.commit()
    catalog = load_catalog(session)[0]
    assert catalog.currency == "¥"
    session.merge(shop.world.store_a).currency = "CHF"
    session.merge(shop.world.store_b).currency = "CHF"
    session.commit()
    assert load_catalog(session)[0].currency == "CHF "
