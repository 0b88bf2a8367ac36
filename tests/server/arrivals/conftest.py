"""A live server (uvicorn on loopback) over the recommendations test shop, fake encoder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.core.clock import get_now
from server.core.context import AppContext
from server.core.phone import normalise_phone
from server.db.tables import ConsultantAssignment, Member, Staff
from server.recommendations.deps import get_recommender
from server.recommendations.engine import build_recommender
from tests.fixtures.factories import make_staff
from tests.server.realtime.conftest import WAIT, LiveServer, serve, token_for
from tests.server.recommendations.conftest import NOW, HashEncoder, Shop, build_shop

PHONE = "13800138000"


@dataclass
class Floor:
    """The live server, the shop, a second clerk of store A and the regular's consultant from store B."""

    live: LiveServer
    shop: Shop
    clerk_a2: Staff
    consultant_b: Staff
    http: httpx.Client

    def arrive(self, caller: Staff, store_id: int, **body: Any) -> httpx.Response:
        """POST an arrival as `caller`."""
        token = token_for(self.live.context, caller)
        return self.http.post(
            f"/api/v1/stores/{store_id}/arrivals",
            json={"source": "till", **body},
            headers={"Authorization": f"Bearer {token}"},
        )


@pytest.fixture
def floor(context: AppContext, session: Session) -> Iterator[Floor]:
    """The server running, the regular given a phone and a consultant who works in store B."""
    shop = build_shop(session, context)
    with context.sessions() as s:
        recommender = build_recommender(s, HashEncoder())
    regular = session.get(Member, shop.regular.id)
    assert regular is not None
    e164 = normalise_phone(PHONE, "CN")
    regular.phone_encrypted = context.keys.encrypt(e164)
    regular.phone_hash = context.keys.phone_hash(e164)
    clerk_a2 = make_staff(session, [(Role.CLERK, shop.world.store_a.id)])
    consultant_b = make_staff(session, [(Role.VIP_CONSULTANT, shop.world.store_b.id)])
    session.add(
        ConsultantAssignment(
            member_id=regular.id, staff_id=consultant_b.id, position="primary", assigned_at=NOW
        )
    )
    session.commit()
    with serve(context) as live:
        live.app.dependency_overrides[get_recommender] = lambda: recommender
        live.app.dependency_overrides[get_now] = lambda: NOW
        base = live.url.replace("ws://", "http://", 1)
        with httpx.Client(base_url=base, timeout=WAIT) as http:
            yield Floor(live, shop, clerk_a2, consultant_b, http)
