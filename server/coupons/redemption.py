"""Coupon codes at the till: checked, priced onto the sale's lines, used once, and given back on a return.

A code must belong to the member the sale is for, be within its validity, be usable in this store and
not be used yet; at most one non-stackable coupon per sale (stackable ones may be added to it). A code
the coupons table does not know may be a reactivation offer issued before coupons existed
(`issued_offers`), which the till still honours as one non-stackable coupon. Coupons are marked used in
the same unit of work as the sale by a conditional update, so of two tills racing for one code only one
books its sale; the other gets 409 and nothing is booked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from server.core.errors import Conflict, InvalidInput
from server.coupons import legacy as offers
from server.coupons import legacy_repository as offer_repo
from server.coupons import repository as repo
from server.coupons.pricing import apply_coupons, terms_of
from server.db.tables import Coupon, IssuedOffer, TransactionLine

MAX_CODES = 5
_NOT_FOUND = "no coupon with this code for this member"


@dataclass
class Applied:
    """The coupons (and legacy offer) a sale uses, with the discount each gave."""

    coupons: list[tuple[Coupon, Decimal]] = field(default_factory=list)
    offer: IssuedOffer | None = None
    offer_discount: Decimal = Decimal("0")

    @property
    def codes(self) -> list[str]:
        """The codes used, coupons first."""
        return [c.code for c, _ in self.coupons] + ([self.offer.code] if self.offer else [])

    @property
    def discount(self) -> Decimal:
        """All the coupons took off."""
        return sum((d for _, d in self.coupons), self.offer_discount)


def _check(coupon: Coupon | None, member_id: int, store_id: int, now: datetime, where: str) -> Coupon:
    # Another member's code gets the same answer as a made-up one: a till cannot probe for codes.
    if coupon is None or coupon.member_id != member_id:
        raise InvalidInput(f"{where}: {_NOT_FOUND}")
    today = now.date()
    if coupon.valid_until < today:
        raise InvalidInput(f"{where}: the coupon expired on {coupon.valid_until.isoformat()}")
    if coupon.valid_from > today:
        raise InvalidInput(f"{where}: the coupon is valid from {coupon.valid_from.isoformat()}")
    stores = terms_of(coupon).store_ids
    if stores and store_id not in stores:
        raise InvalidInput(f"{where}: the coupon is not usable in store {store_id}")
    if coupon.redeemed_at is not None:
        raise Conflict(
            f"{where}: the coupon was already used on {coupon.redeemed_at.date().isoformat()} "
            f"(transaction {coupon.redeemed_transaction_id})"
        )
    return coupon


def _codes(codes: list[str]) -> list[str]:
    if len(codes) > MAX_CODES:
        raise InvalidInput(f"coupon_codes: at most {MAX_CODES} coupons on one sale, got {len(codes)}")
    clean = [offers.normalise_code(c) for c in codes]
    for i, code in enumerate(clean):
        if code in clean[:i]:
            raise InvalidInput(f"coupon_codes[{i}]: the same coupon is given twice")
    return clean


def apply_codes(
    session: Session,
    codes: list[str],
    member_id: int | None,
    store_id: int,
    lines: list[TransactionLine],
    now: datetime,
) -> Applied:
    """Check the codes and take their discounts off `lines` (nothing is marked used); 4xx saying why not."""
    applied = Applied()
    if not codes:
        return applied
    if member_id is None:
        raise InvalidInput("coupon_codes: a coupon belongs to a member; identify the member first")
    found: list[tuple[str, Coupon]] = []
    for i, code in enumerate(_codes(codes)):
        where = f"coupon_codes[{i}]"
        coupon = repo.by_code(session, code)
        offer = offer_repo.by_code(session, code) if coupon is None else None
        if offer is not None and offer.member_id == member_id:
            if applied.offer is not None:
                raise InvalidInput(f"{where}: one reactivation offer per sale")
            applied.offer = offers.offer_for_sale(session, code, member_id, store_id, now)
            continue
        found.append((where, _check(coupon, member_id, store_id, now, where)))
    single = [w for w, c in found if not terms_of(c).stackable] + (["offer"] if applied.offer else [])
    if len(single) > 1:
        raise InvalidInput(
            f"coupon_codes: at most one coupon that does not stack per sale ({', '.join(single)} do not)"
        )
    given = apply_coupons(session, found, lines)
    applied.coupons = [(c, d) for (_, c), d in zip(found, given, strict=True)]
    if applied.offer is not None:
        applied.offer_discount = offers.apply_offer(session, applied.offer, lines)
    return applied


def redeem(session: Session, applied: Applied, sale_id: int, now: datetime) -> None:
    """Mark every coupon of the sale used by it; 409 if another sale took one at the same moment."""
    for coupon, discount in applied.coupons:
        if not repo.redeem(session, coupon.id, sale_id, discount, now):
            raise Conflict("coupon_codes: the coupon was used by another sale at the same moment")
        session.refresh(coupon)
    if applied.offer is not None:
        offers.mark_redeemed(session, applied.offer, sale_id, now)


def after_return(session: Session, sale_id: int, now: datetime) -> list[Coupon]:
    """Once every unit of the sale is back, restore its coupons whose terms say so and are still valid."""
    offers.release_if_fully_returned(session, sale_id)
    used = repo.by_sale(session, sale_id)
    if not used:
        return []
    lines, returned = offer_repo.sold_and_returned(session, sale_id)
    if any(returned.get(line_id, 0) < qty for line_id, qty in lines.items()):
        return []
    restored = []
    for coupon in used:
        if terms_of(coupon).on_return == "restore" and coupon.valid_until >= now.date():
            coupon.redeemed_at = coupon.redeemed_transaction_id = coupon.discount_amount = None
            restored.append(coupon)
    session.flush()
    return restored
