"""A demo of historical data shifts the business clock: "today" is the day after the data ends."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.base import utcnow
from tests.fixtures.factories import World, auth, make_member, make_product, make_transaction


def test_a_shifted_clock_makes_old_data_recent(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a)
    make_transaction(
        session,
        world.store_a,
        ann,
        [(make_product(session), 1, "9.99")],
        datetime(2011, 12, 9, 12, tzinfo=UTC),
    )
    session.commit()
    url, headers = f"/api/v1/members/{ann.id}/profile", auth(context, world.clerk_a)
    assert client.get(url, headers=headers).json()["dormancy"]["status"] == "dormant"
    client.app.state.clock_offset = datetime(2011, 12, 10, tzinfo=UTC) - utcnow()  # type: ignore[attr-defined]
    shifted = client.get(url, headers=headers).json()
    assert shifted["as_of"].startswith("2011-12-10")
    assert (shifted["dormancy"]["status"], shifted["rfm"]["recency_days"]) == ("active", 1)
