"""Redeeming points: FIFO across lots, partial redemption, one-time codes for large amounts, replays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.core.errors import Conflict, InvalidInput
from server.db.tables import Member, OutboxMessage, PointsAllocation
from server.loyalty.config import save_setting
from server.loyalty.redemption import redeem_points
from server.loyalty.service import apply_transaction, points_summary
from tests.server.loyalty.rows import Shop, at


def _member_with_lots(session: Session) -> tuple[Member, list[int]]:
    """A member with three lots: 100 (January), 250 (February), 4000 (March)."""
    shop = Shop(session)
    ann = shop.member()
    lots = []
    for when, price in ((at(2024, 1, 5), "100"), (at(2024, 2, 5), "250"), (at(2024, 3, 5), "4000")):
        sale = shop.sale(ann, when, [(shop.product(), 1, price)])
        outcome = apply_transaction(session, sale.id, when)
        assert outcome is not None
        lots.append(outcome.entry.id)
    return ann, lots


def test_a_partial_redemption_takes_the_oldest_lots_first(session: Session, context: AppContext) -> None:
    ann, (jan, feb, mar) = _member_with_lots(session)
    result = redeem_points(session, context.keys, ann.id, 300, "till-1:r-1", at(2024, 4, 1))
    assert (result.status, result.available, str(result.value)) == ("redeemed", 4050, "3.00")
    taken = session.execute(
        select(PointsAllocation.lot_id, PointsAllocation.points).where(
            PointsAllocation.debit_id == result.entry_id
        )
    ).all()
    assert sorted(taken) == sorted([(jan, 100), (feb, 200)])
    again = redeem_points(session, context.keys, ann.id, 300, "till-1:r-1", at(2024, 4, 1, 13))
    assert again.replayed and again.entry_id == result.entry_id
    assert points_summary(session, ann.id, at(2024, 4, 2)).available == 4050
    with pytest.raises(Conflict):
        redeem_points(session, context.keys, ann.id, 500, "till-1:r-1", at(2024, 4, 1))


@pytest.mark.parametrize(
    ("points", "message"), [(50, "at least 100 points"), (4351, "only 4350 points are available")]
)
def test_too_few_or_too_many_points_are_refused(
    session: Session, context: AppContext, points: int, message: str
) -> None:
    ann, _ = _member_with_lots(session)
    with pytest.raises(InvalidInput, match=message):
        redeem_points(session, context.keys, ann.id, points, "r-2", at(2024, 4, 1))


def test_a_large_redemption_needs_the_code_sent_to_the_member(session: Session, context: AppContext) -> None:
    ann, _ = _member_with_lots(session)
    save_setting(session, "redemption", {"code_threshold": 1000, "code_attempts": 2}, at(2024, 1, 1))
    now = at(2024, 4, 1)
    sent = redeem_points(session, context.keys, ann.id, 4000, "till-1:big", now)
    assert sent.status == "code_sent" and sent.entry_id is None
    message = session.get(OutboxMessage, sent.message_id)
    assert message is not None and message.kind == "redemption_code" and "{code}" in message.body
    assert message.secret_encrypted is not None and message.secret_hash is not None
    code = context.keys.decrypt(message.secret_encrypted)
    assert len(code) == 6 and code not in message.body and code not in message.secret_hash
    # A double tap does not send a second code.
    assert redeem_points(session, context.keys, ann.id, 4000, "till-1:big", now).message_id == message.id
    wrong = "000000" if code != "000000" else "111111"
    bad = redeem_points(session, context.keys, ann.id, 4000, "till-1:big", now, code=wrong)
    assert (bad.status, bad.attempts_left) == ("wrong_code", 1)
    # The code is bound to the amount: the right code for another amount fails.
    assert (
        redeem_points(session, context.keys, ann.id, 3000, "till-1:big", now, code=code).status
        == "wrong_code"
    )
    with pytest.raises(InvalidInput, match="too many wrong codes"):
        redeem_points(session, context.keys, ann.id, 4000, "till-1:big", now, code=code)


def test_the_right_code_in_time_redeems_and_cannot_be_reused(session: Session, context: AppContext) -> None:
    ann, _ = _member_with_lots(session)
    save_setting(session, "redemption", {"code_threshold": 4000}, at(2024, 1, 1))
    now = at(2024, 4, 1)
    sent = redeem_points(session, context.keys, ann.id, 4200, "till-1:big", now)
    message = session.get(OutboxMessage, sent.message_id)
    assert message is not None and message.secret_encrypted is not None
    code = context.keys.decrypt(message.secret_encrypted)
    late = now + timedelta(minutes=11)
    with pytest.raises(InvalidInput, match="no valid code"):
        redeem_points(session, context.keys, ann.id, 4200, "till-1:big", late, code=code)
    fresh = redeem_points(session, context.keys, ann.id, 4200, "till-1:big", late)
    assert fresh.message_id != message.id
    new_message = session.get(OutboxMessage, fresh.message_id)
    assert new_message is not None and new_message.secret_encrypted is not None
    new_code = context.keys.decrypt(new_message.secret_encrypted)
    done = redeem_points(session, context.keys, ann.id, 4200, "till-1:big", late, code=new_code)
    assert (done.status, done.available) == ("redeemed", 150)
    assert new_message.consumed_at is not None
    replay = redeem_points(session, context.keys, ann.id, 4200, "till-1:big", late, code=new_code)
    assert replay.replayed and replay.entry_id == done.entry_id
