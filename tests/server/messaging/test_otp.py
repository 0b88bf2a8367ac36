"""A real one-time code goes through the outbox to the console adapter and completes a redemption."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member, OutboxMessage
from server.loyalty.config import save_setting
from server.loyalty.redemption import redeem_points
from server.loyalty.service import apply_transaction
from tests.server.loyalty.rows import Shop
from tests.server.messaging.conftest import Clock, Dispatchers


def _rich_member(session: Session, member: Member, clock: Clock) -> None:
    shop = Shop(session)
    sale = shop.sale(member, clock.now, [(shop.product(), 1, "5000")])
    assert apply_transaction(session, sale.id, clock.now) is not None
    save_setting(session, "redemption", {"code_threshold": 1000}, clock.now)
    session.commit()


def test_the_code_reaches_the_console_and_completes_the_redemption(
    session: Session, context: AppContext, member: Member, clock: Clock, dispatchers: Dispatchers
) -> None:
    _rich_member(session, member, clock)
    sent = redeem_points(session, context.keys, member.id, 2000, "till:big", clock.now)
    session.commit()
    assert sent.status == "code_sent"
    assert dispatchers().run_once() == 2  # the code, and the tier change the member's sale made
    lines = [line for line in dispatchers.console().lines() if line["purpose"] == "otp"]
    assert len(lines) == 1 and lines[0]["to"] == "+8613800138000"
    text = str(lines[0]["text"])
    assert "验证码" in text  # the member's language (zh-CN), not the English text loyalty wrote
    code = re.search(r"验证码(\d{6})", text)
    assert code is not None
    session.expire_all()
    row = session.get(OutboxMessage, sent.message_id)
    assert row is not None and row.status == "sent" and row.lang == "zh" and row.template_version == 1
    assert code.group(1) not in row.body and "{code}" in row.body  # the stored text never holds the code
    done = redeem_points(session, context.keys, member.id, 2000, "till:big", clock.now, code=code.group(1))
    assert done.status == "redeemed"
    session.commit()
    assert dispatchers().run_once() == 0  # nothing is sent twice
    assert len(dispatchers.console().lines()) == 2
