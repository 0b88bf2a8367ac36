"""A new member's arrival card comes with suggestions: the store's best-sellers in their interests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.server.arrivals.conftest import Floor
from tests.server.realtime.conftest import greet, next_frame, open_floor, token_for
from tests.server.recommendations.conftest import busy_month


def test_a_new_members_card_shows_the_stores_best_sellers_in_their_interests(
    floor: Floor, session: Session
) -> None:
    world, ctx = floor.shop.world, floor.live.context
    month = busy_month(session, ctx, floor.shop)  # sales after the recommender was built count too
    with open_floor(floor.live.url, token_for(ctx, world.clerk_a)) as a1:
        greet(a1)
        got = floor.arrive(world.clerk_a, world.store_a.id, member_id=month.newcomer.id, source="clerk")
        assert got.status_code == 202, got.text
        payload = next_frame(a1)["payload"]
    recs = payload["recommendations"]
    assert 3 <= len(recs) <= 5
    assert recs[0]["name"] == "Vanilla Scented Candle" and recs[0]["kind"] == "popular"
    assert recs[0]["reason"] == "One of this store's best-sellers in Candles this month."
    assert all(r["recommendation_id"] and r["reason"] for r in recs)
    assert not {month.retired.id, month.sold_out.id} & {r["item_id"] for r in recs}
