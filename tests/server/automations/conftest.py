"""A small chain for the journey tests: stores A and B, staff, members, a coupon template, a worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.automations.engine import EngineSettings, consume_events, run_steps
from server.automations.sweeps import sweep
from server.core.context import AppContext
from server.db.session import session_scope
from server.db.tables import Member, OutboxMessage
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, build_world, make_member, make_product

NOW = datetime(2024, 6, 30, 10, tzinfo=UTC)
JOURNEYS = "/api/v1/journeys"
# No control groups unless a test asks for them, so who gets what is known.
NO_HOLDOUT = EngineSettings(salt="test", global_holdout_percent=0.0, step_batch=200)


def drain(context: AppContext, now: datetime, settings: EngineSettings = NO_HOLDOUT) -> int:
    """Run sweeps, events and due steps as of `now` until nothing is left to do now."""
    total = 0
    for _ in range(1000):
        done = 0
        with session_scope(context.sessions) as s:
            sweep(s, now)
        with session_scope(context.sessions) as s:
            done += consume_events(s, now, settings)
        with session_scope(context.sessions) as s:
            done += run_steps(s, now, settings)
        total += done
        if not done:
            return total
    raise AssertionError("the journeys never came to rest")


@dataclass
class Chain:
    """The people and the client of a journey test, with helpers that call the API as them."""

    client: TestClient
    context: AppContext
    world: World
    template_id: int

    def as_(self, staff: Any) -> dict[str, str]:
        """Sign-in headers of `staff`."""
        return auth(self.context, staff)

    def journey(self, definition: dict[str, Any], staff: Any = None, **fields: Any) -> dict[str, Any]:
        """Create and publish a journey (as the admin unless `staff`), returning it."""
        staff = staff or self.world.admin
        body = {"slug": f"j{abs(hash(str(definition))) % 10**8}", "name_zh": "旅程", "name_en": "Journey"}
        body |= {"definition": definition} | fields
        made = self.client.post(JOURNEYS, json=body, headers=self.as_(staff))
        assert made.status_code == 201, made.text
        published = self.client.post(f"{JOURNEYS}/{made.json()['id']}/publish", headers=self.as_(staff))
        assert published.status_code == 200, published.text
        return dict(published.json())

    def messages(self, member_id: int | None = None, kind: str | None = None) -> list[OutboxMessage]:
        """Outbox rows (of a member, of a purpose)."""
        with self.context.sessions() as s:
            stmt = select(OutboxMessage).order_by(OutboxMessage.id)
            if member_id is not None:
                stmt = stmt.where(OutboxMessage.member_id == member_id)
            if kind is not None:
                stmt = stmt.where(OutboxMessage.kind == kind)
            return list(s.scalars(stmt))

    def members(self, n: int, store: Any = None) -> list[Member]:
        """`n` new members of store A (or `store`)."""
        with self.context.sessions() as s:
            made = [make_member(s, self.context.keys, store or self.world.store_a) for _ in range(n)]
            s.commit()
            for m in made:
                s.refresh(m)
                s.expunge(m)
            return made


@pytest.fixture
def chain(client: TestClient, session: Session, context: AppContext) -> Chain:
    world = build_world(session)
    make_product(session, name="Bag", sku="BAG-1", category="bags", price="200.00")
    session.commit()
    pin_clock(client, NOW)
    body = {
        "name_zh": "首单立减30元",
        "name_en": "30 off your first order",
        "purpose": "first_order",
        "terms": {"kind": "amount_off", "amount": "30.00"},
        "valid_days": 14,
        "per_member_limit": 5,
    }
    made = client.post("/api/v1/coupons/templates", json=body, headers=auth(context, world.admin))
    assert made.status_code == 201, made.text
    return Chain(client, context, world, int(made.json()["id"]))
