"""The arrival card is computed apart from the 360° profile (for speed); it must say the same things."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.arrivals.service import arrived_member, arriving_member, standing
from server.core.context import AppContext
from server.profile import repository as profile_repo
from server.profile.view import build_profile, consultants, tier_state, transactions
from server.recommendations.facts import current_standing
from tests.fixtures.factories import make_transaction
from tests.server.recommendations.conftest import NOW, Shop, build_shop


def test_the_card_agrees_with_the_profile(session: Session, context: AppContext) -> None:
    shop: Shop = build_shop(session, context)
    for member in (shop.regular, shop.dormant, shop.other):
        who = arriving_member(session, context, member.id, NOW)
        card = arrived_member(who)
        row = profile_repo.member(session, member.id)
        txns = transactions(session, member.id, NOW)
        full = build_profile(
            session,
            row,
            who.phone,
            txns,
            consultants(session, member.id),
            NOW,
            tier_state(session, row, NOW, False),
        )
        assert (card.name, card.tier, card.tier_progress, card.next_tier) == (
            full.name,
            full.tier.name,
            full.tier.progress,
            full.tier.next_tier,
        )
        assert (card.spend_needed, card.visits_needed, card.tier_qualify) == (
            full.tier.spend_needed,
            full.tier.visits_needed,
            full.tier.qualify,
        )
        assert (card.points_available, card.points_expiring_within_30_days) == (
            full.points.available,
            full.points.expiring_within_30_days,
        )
        assert card.tags == [t.tag for t in full.tags] and card.persona == full.persona.label
        assert (card.dormancy, card.days_since_last_purchase, card.dormancy_text) == (
            full.dormancy.status,
            full.dormancy.days_since_last_purchase,
            full.dormancy.text,
        )
        assert card.last_purchase_on == full.rfm.last_purchase_on and card.heat_index == full.heat.index
        assert card.home_store_id == (full.home_store.id if full.home_store else None)
    assert arrived_member(arriving_member(session, context, shop.dormant.id, NOW)).dormancy == "dormant"


def test_the_card_gives_the_recommender_the_same_standing(session: Session, context: AppContext) -> None:
    shop: Shop = build_shop(session, context)
    cushion = shop.products["Velvet Cushion"]
    make_transaction(session, shop.world.store_a, shop.regular, [(cushion, 3, "35.00")], NOW)
    session.commit()
    for member in (shop.regular, shop.dormant, shop.other):
        who = arriving_member(session, context, member.id, NOW)
        assert standing(who.card) == current_standing(session, member.id, NOW)
