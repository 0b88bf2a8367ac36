"""The till's quote: what the coupons would take off a sale about to be rung up, without using them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from server.auth.scope import TILL_ROLES, require
from server.coupons.redemption import Applied, apply_codes
from server.db.tables import Staff, TransactionLine
from server.members.access import member_for
from server.transactions.till import TillInput, sale_lines


@dataclass(frozen=True)
class Quote:
    """The coupons' discounts and the lines as the sale would book them."""

    applied: Applied
    lines: list[TransactionLine]
    skus: list[str]


def quote(session: Session, caller: Staff, data: TillInput, now: datetime) -> Quote:
    """Price the coupons on the sale the till is about to ring up; nothing is redeemed or stored.

    The same checks as the sale (the member's own coupon, validity, store, threshold, stacking) give the
    same 4xx reasons, so the till can show them before the member pays.
    """
    require(caller, TILL_ROLES, data.store_id)
    if data.member_id is None:
        raise AssertionError("a quote names the member")  # the schema requires it
    member_for(session, caller, data.member_id)
    lines, _ = sale_lines(session, data)
    codes = ([data.coupon_code] if data.coupon_code else []) + list(data.coupon_codes)
    applied = apply_codes(session, codes, data.member_id, data.store_id, lines, now)
    # The lines are never added to the session: nothing of the quote can be flushed or committed.
    return Quote(applied, lines, [line.sku or "" for line in data.lines])
