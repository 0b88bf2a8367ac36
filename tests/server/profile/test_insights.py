"""A member's heat, persona and dormancy as the profile's signals."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.db.tables import Interaction
from server.profile.insights import member_insights
from tests.server.loyalty.rows import Shop, at, weekly_shopper


def test_a_consultants_call_counts_towards_the_heat(session: Session) -> None:
    shop = Shop(session)
    ann = weekly_shopper(shop).id
    before = member_insights(session, ann, at(2024, 6, 3)).heat_index
    session.add(Interaction(member_id=ann, channel="call", occurred_at=at(2024, 6, 2), note="new season"))
    session.flush()
    after = member_insights(session, ann, at(2024, 6, 3))
    assert after.heat_index > before
    assert [w.value for w in after.weekly_heat][-2:] == [
        78,
        74,
    ]  # the call on Sunday softened the second fall (72)


def test_the_profile_shows_persona_and_dormancy(session: Session) -> None:
    shop = Shop(session)
    bargain = shop.member("Bargain Hunter")
    mug = shop.product("kitchen", "10.00")
    shop.product("kitchen", "12.00")
    for day in (3, 10, 17, 24):
        shop.sale(bargain, at(2024, 1, day), [(mug, 2, "6.50")], coupon="SALE")
    found = member_insights(session, bargain.id, at(2024, 6, 30))
    assert found.persona.label == "price-sensitive"
    assert found.persona.reasons == (
        "100% of purchases used a coupon or discount",
        "pays 0.59x the usual price of what they buy",
    )
    assert (found.dormancy.status, found.dormancy.days_since_last_purchase) == ("at_risk", 158)
    assert len(found.weekly_heat) == 8
