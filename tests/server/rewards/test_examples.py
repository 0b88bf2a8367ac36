"""The demo's rewards catalogue: bilingual gifts plus the shop's own best-selling small item, saved once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Reward
from server.rewards.examples import EXAMPLE_GIFTS, ensure_example_rewards
from tests.fixtures.factories import World, make_member, make_product, make_transaction

NOW = datetime(2024, 6, 30, tzinfo=UTC)


def test_the_examples_include_the_best_selling_small_item_and_are_saved_once(
    session: Session, context: AppContext, world: World
) -> None:
    member = make_member(session, context.keys, world.store_a)
    mug = make_product(session, name="Enamel mug", price="6.50")
    candle = make_product(session, name="Candle", price="4.00")
    sofa = make_product(session, name="Sofa", price="900.00")
    for _ in range(3):
        make_transaction(session, world.store_a, member, [(mug, 1, "6.50"), (sofa, 1, "900.00")], NOW)
    make_transaction(session, world.store_a, member, [(candle, 1, "4.00")], NOW)
    assert ensure_example_rewards(session, NOW) == len(EXAMPLE_GIFTS) + 2
    gift = session.scalar(select(Reward).where(Reward.product_id.is_not(None)))
    assert gift is not None and (gift.product_id, gift.points, gift.name_en) == (mug.id, 650, "Enamel mug")
    # The catalogue's item has the name it has (here no Chinese one); the others carry both.
    assert all(
        r.name_en and (r.name_zh or r.product_id) and r.points >= 100 for r in session.scalars(select(Reward))
    )
    coupon = session.scalar(select(Reward).where(Reward.kind == "coupon"))
    assert coupon is not None and coupon.coupon_template_id is not None
    assert ensure_example_rewards(session, NOW) == 0
