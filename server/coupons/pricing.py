"""What coupons take off a sale: eligible lines, thresholds, stacking, and exact cents per line.

Several coupons combine in the order the till gives them. The threshold (满300减50) is checked on the
eligible lines as rung up, before any coupon of the sale; each coupon's discount is then taken from the
eligible lines as they stand after the coupons before it, so it can never take a line below zero:
- amount_off: the amount, or all that is left of the eligible lines if that is less;
- percent_off: percent x what is left of the eligible lines, rounded half-up to the cent;
- gift: one unit of the gift product (which the till rings up) at zero price; it does not count
  towards the threshold itself.
A discount is spread over its lines in proportion to their amounts, in whole cents by largest remainder
(ties to the earlier line), so the line amounts add up to the sale exactly and a partial return refunds
each unit's share of its line (server/transactions/till.py) without losing or creating a cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from server.core.errors import InvalidInput
from server.coupons import repository as repo
from server.coupons.schemas import CouponTerms
from server.db.tables import Coupon, Product, TransactionLine

CENT = Decimal("0.01")


def terms_of(coupon: Coupon) -> CouponTerms:
    """The terms the coupon was issued with."""
    return CouponTerms.model_validate(coupon.terms)


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` split over `weights` in proportion, in whole cents that add up to `total` exactly."""
    whole = sum(weights, Decimal("0"))
    raw = [total * w / whole for w in weights]
    shares = [r.quantize(CENT, ROUND_DOWN) for r in raw]
    left = int((total - sum(shares, Decimal("0"))) / CENT)
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += CENT
    return shares


def _covers(terms: CouponTerms, line: TransactionLine, category: str | None) -> bool:
    if terms.kind == "gift" and line.product_id == terms.gift_product_id:
        return False  # the gift is not part of the spend that earns it
    if not terms.categories and not terms.product_ids:
        return True
    return line.product_id in terms.product_ids or category in terms.categories


def _scope(terms: CouponTerms, products: dict[int, Product]) -> str:
    names = list(terms.categories) + [products[i].sku for i in terms.product_ids if i in products]
    return ", ".join(names) or "any line"


def _take(lines: list[TransactionLine], total: Decimal) -> None:
    for line, off in zip(lines, allocate(total, [line.amount for line in lines]), strict=True):
        line.amount -= off
        line.discount_amount += off


def _gift(
    terms: CouponTerms, lines: list[TransactionLine], products: dict[int, Product], where: str
) -> Decimal:
    target = next((line for line in lines if line.product_id == terms.gift_product_id), None)
    if target is None:
        gift = products.get(terms.gift_product_id or 0)
        sku = gift.sku if gift is not None else f"product {terms.gift_product_id}"
        raise InvalidInput(f"{where}: the coupon gives one {sku}; ring it up on the sale to hand it over")
    off = min(target.unit_price.quantize(CENT, ROUND_HALF_UP), target.amount)
    _take([target], off)
    return off


def apply_coupons(
    session: Session, coupons: Sequence[tuple[str, Coupon]], lines: list[TransactionLine]
) -> list[Decimal]:
    """Take each coupon off the sale's lines in order; the discount each gave (422 saying why one cannot)."""
    terms = [terms_of(c) for _, c in coupons]
    ids = {line.product_id for line in lines}
    for t in terms:
        ids |= set(t.product_ids) | ({t.gift_product_id} if t.gift_product_id else set())
    products = repo.products(session, ids)
    category = {pid: p.category for pid, p in products.items()}
    eligible = [[line for line in lines if _covers(t, line, category.get(line.product_id))] for t in terms]
    # The threshold looks at the sale as rung up, so the order of the coupons cannot decide whether it holds.
    spend = [sum((line.amount for line in e), Decimal("0")) for e in eligible]
    given = []
    for (where, _), t, e, s in zip(coupons, terms, eligible, spend, strict=True):
        if not e and t.kind != "gift":
            raise InvalidInput(
                f"{where}: the coupon is for {_scope(t, products)}; no line of this sale qualifies"
            )
        if s < t.min_spend:
            raise InvalidInput(
                f"{where}: the coupon needs {t.min_spend} spent on {_scope(t, products)}; this sale has {s}"
            )
        if t.kind == "gift":
            given.append(_gift(t, lines, products, where))
            continue
        left = sum((line.amount for line in e), Decimal("0"))
        if t.kind == "amount_off":
            off = min(t.amount or Decimal("0"), left)
        else:
            off = min((left * (t.percent or 0) / 100).quantize(CENT, ROUND_HALF_UP), left)
        if off <= 0:
            raise InvalidInput(f"{where}: the coupons before it already took everything off its lines")
        _take(e, off)
        given.append(off)
    return given
