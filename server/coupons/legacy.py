"""A reactivation offer issued before coupons existed (`issued_offers`), at the till: checked, applied to the
lines it covers, and used once.

The code must exist, belong to the member the sale is for, be within its validity, be good in this store
(the issuing store's, or every store's when issued chain-wide) and not be used yet.
Its discount goes to the lines of the offer's categories or items; the offer is marked redeemed in the
same unit of work as the sale (a conditional update, so two tills racing for one code cannot both win).
When every unit of that sale comes back, the code is released and can be used again while it is valid.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from server.core.errors import Conflict, InvalidInput
from server.coupons import legacy_repository as repo
from server.db.tables import IssuedOffer, TransactionLine

CENT = Decimal("0.01")
_NOT_FOUND = "coupon_code: no offer with this code for this member"


def normalise_code(code: str) -> str:
    """The code as stored: upper case, without the spaces a cashier may type."""
    return "".join(code.split()).upper()


def offer_for_sale(
    session: Session, code: str, member_id: int | None, store_id: int, now: datetime
) -> IssuedOffer:
    """The member's offer with this code if it may pay for a sale here now; 422 or 409 saying why not.

    An offer a store issued is that store's to honour (it pays for it); one issued chain-wide (no store)
    is good in every store.
    """
    if member_id is None:
        raise InvalidInput("coupon_code: an offer belongs to a member; identify the member first")
    offer = repo.by_code(session, normalise_code(code))
    # Another member's code gets the same answer as a made-up one: a till cannot probe for codes.
    if offer is None or offer.member_id != member_id:
        raise InvalidInput(_NOT_FOUND)
    if offer.valid_until < now.date():
        raise InvalidInput(f"coupon_code: the offer expired on {offer.valid_until.isoformat()}")
    if offer.issued_at > now:
        raise InvalidInput("coupon_code: the offer is not valid yet")
    if offer.store_id is not None and offer.store_id != store_id:
        raise InvalidInput(
            f"coupon_code: the offer was issued by store {offer.store_id} and is good there only"
        )
    if offer.redeemed_at is not None:
        raise Conflict(
            f"coupon_code: the offer was already used on {offer.redeemed_at.date().isoformat()} "
            f"(transaction {offer.redeemed_transaction_id})"
        )
    return offer


def apply_offer(session: Session, offer: IssuedOffer, lines: list[TransactionLine]) -> Decimal:
    """Take the offer's percentage off each line it covers; returns the discount given (422 if none)."""
    ids = {line.product_id for line in lines}
    categories = repo.categories_of(session, ids)
    covered_categories, covered_items = set(offer.categories), {int(i) for i in offer.item_ids}
    given = Decimal("0")
    for line in lines:
        if line.product_id not in covered_items and categories.get(line.product_id) not in covered_categories:
            continue
        off = (line.amount * offer.discount_percent / 100).quantize(CENT, ROUND_HALF_UP)
        line.amount -= off
        line.discount_amount += off
        given += off
    if not given:
        what = ", ".join(sorted(covered_categories)) or "the items it names"
        raise InvalidInput(f"coupon_code: the offer is for {what}; no line of this sale qualifies")
    return given


def mark_redeemed(session: Session, offer: IssuedOffer, transaction_id: int, now: datetime) -> None:
    """Mark the offer used by this sale; 409 if another sale took it at the same moment."""
    if not repo.redeem(session, offer.id, transaction_id, now):
        raise Conflict("coupon_code: the offer was used by another sale at the same moment")
    session.refresh(offer)


def release_if_fully_returned(session: Session, sale_id: int) -> bool:
    """Release the offer a sale used once every unit of the sale has come back; True if released."""
    offer = repo.by_sale(session, sale_id)
    if offer is None:
        return False
    lines, returned = repo.sold_and_returned(session, sale_id)
    if any(returned.get(line_id, 0) < qty for line_id, qty in lines.items()):
        return False
    offer.redeemed_at = None
    offer.redeemed_transaction_id = None
    session.flush()
    return True
