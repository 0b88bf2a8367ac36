"""The small shop of the recommendations tests (a regular, a dormant member, one of store B)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.recommendations.engine import Engine, build_recommender
from tests.server.recommendations.conftest import HashEncoder, Shop, build_shop, use


@pytest.fixture
def shop(session: Session, context: AppContext) -> Shop:
    return build_shop(session, context)


@pytest.fixture
def recommender(shop: Shop, context: AppContext) -> Engine:
    with context.sessions() as s:
        return build_recommender(s, HashEncoder())


@pytest.fixture
def api(client: TestClient, recommender: Engine) -> TestClient:
    """The test client using `recommender`, its clock pinned to the shop's NOW."""
    return use(client, recommender)
