"""Ringing up a sale or a return at the till, then points, tier and tags for the member, in one unit of work.

A till sends an idempotency key with every transaction: a retry finds the transaction booked the first
time (the same receipt, nothing counted twice). A return names the sale and the lines it takes back; it
refunds what was paid for those units and can never take back more than was bought.

A sale and everything it causes (points, tier, tags, attribution, the offer code it redeems) is one
unit of work, serialised with every other write of the member's balances (`serialise_member`), so
parallel returns cannot take back the same units twice and a crash leaves either all of it or none.
Prices come from the catalogue: another price or a discount needs a store manager and is audited. The
member is identified through the same audited, rate-limited look-up as anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.auth.roles import Role
from server.auth.scope import TILL_ROLES, holds, require
from server.business_events.events import emit
from server.core.crypto import Keys
from server.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.coupons.redemption import Applied, after_return, apply_codes, redeem
from server.db.queries import returned_units
from server.db.session import serialise_member
from server.db.tables import (
    PointsEntry,
    PriceOverride,
    Staff,
    TierChange,
    Transaction,
    TransactionLine,
)
from server.loyalty.service import apply_transaction
from server.members.access import LookupLimit, member_for
from server.profile.service import find_member_id
from server.recommendations.attribution import attribute_sale
from server.tags.service import retag_member
from server.transactions import repository as repo
from server.transactions.approvals import approval_for, use_approval
from server.transactions.service import LineView, TransactionView

# Who may sell below the catalogue price or give a discount by hand (a markdown, a price match).
PRICE_APPROVERS = frozenset({Role.STORE_MANAGER, Role.ADMIN})
CLOCK_SKEW = timedelta(minutes=5)
CENT = Decimal("0.01")
MAX_UNITS = 999  # per line: a till line of more is a typing error, not a sale
MAX_LINES = 200
MAX_TOTAL = Decimal("1000000.00")


@dataclass(frozen=True)
class TillLineInput:
    """One line as the till sent it."""

    sku: str | None
    quantity: int
    unit_price: Decimal | None = None
    discount: Decimal = Decimal("0")
    original_line_id: int | None = None


@dataclass(frozen=True)
class TillInput:
    """A transaction as the till sent it."""

    store_id: int
    idempotency_key: str
    lines: list[TillLineInput]
    kind: str = "sale"
    member_id: int | None = None
    member_card: str | None = None
    member_phone: str | None = None
    coupon_code: str | None = None
    coupon_codes: tuple[str, ...] = ()
    original_transaction_id: int | None = None
    occurred_at: datetime | None = None
    original_receipt: str | None = None
    override_reason: str | None = None
    approval_code: str | None = None


@dataclass
class Receipt:
    """The booked transaction, the points entry it produced and the tier change it caused, if any."""

    view: TransactionView
    points: PointsEntry | None = None
    tier_change: TierChange | None = None
    replayed: bool = False


class UnknownMember(InvalidInput):
    """The card or phone number the till sent matches nobody (the look-up is audited and counted)."""


def _member_id(
    session: Session,
    sessions: sessionmaker[Session],
    keys: Keys,
    caller: Staff,
    data: TillInput,
    *,
    region: str,
    limit: LookupLimit | None,
) -> int | None:
    if data.member_id is not None:
        # By id only a member the caller may already open: a sale must not become a way in.
        return member_for(session, caller, data.member_id).id
    if data.member_card is None and data.member_phone is None:
        return None
    try:
        # The same audited, rate-limited look-up as the phones' (its audit row is committed on its own).
        return find_member_id(
            sessions,
            keys,
            caller,
            region=region,
            phone=data.member_phone,
            card=data.member_card,
            store_id=data.store_id,
            limit=limit,
        )
    except NotFound as exc:
        # One answer for a card or a phone that matches nobody: the reply says nothing about which.
        raise UnknownMember("member: no member matches the card or phone number given") from exc


@dataclass(frozen=True)
class Override:
    """A line sold at a price other than the catalogue's, to be audited with the transaction."""

    line_no: int
    product_id: int
    list_price: Decimal
    unit_price: Decimal
    discount: Decimal


def sale_lines(session: Session, data: TillInput) -> tuple[list[TransactionLine], list[Override]]:
    """The sale's lines priced from the catalogue, and the lines sold below it (422 for a bad line)."""
    if len(data.lines) > MAX_LINES:
        raise InvalidInput(f"lines: at most {MAX_LINES} lines in one transaction, got {len(data.lines)}")
    skus = {line.sku for line in data.lines if line.sku}
    products = repo.products_by_sku(session, skus)
    out, overrides = [], []
    for i, line in enumerate(data.lines):
        where = f"lines[{i}]"
        if line.original_line_id is not None:
            raise InvalidInput(
                f"{where}.original_line_id: a sale line takes nothing back; send kind 'return'"
            )
        if line.quantity <= 0:
            raise InvalidInput(f"{where}.quantity: a sale line sells at least one unit, got {line.quantity}")
        if line.quantity > MAX_UNITS:
            raise InvalidInput(
                f"{where}.quantity: at most {MAX_UNITS} units on one line, got {line.quantity}"
            )
        if not line.sku or line.sku not in products:
            raise InvalidInput(f"{where}.sku: no product with SKU {line.sku!r}")
        product = products[line.sku]
        listed = product.price
        price = listed if line.unit_price is None else line.unit_price
        if price > listed:
            raise InvalidInput(
                f"{where}.unit_price: {price} is above the catalogue price {_shown(listed)}; "
                "the till sells at the catalogue price or below it"
            )
        gross = (price * line.quantity).quantize(CENT, ROUND_HALF_UP)
        if line.discount > gross:
            raise InvalidInput(f"{where}.discount: {line.discount} is more than the line's {gross}")
        if price != listed or line.discount:
            overrides.append(Override(i + 1, product.id, listed, price, line.discount))
        out.append(
            TransactionLine(
                line_no=i + 1,
                product_id=product.id,
                quantity=line.quantity,
                unit_price=price,
                amount=gross - line.discount,
                discount_amount=line.discount,
            )
        )
    return out, overrides


def _shown(price: Decimal) -> Decimal:
    """A price as a cashier reads it: 648.00, not the column's 648.000 (sub-cent prices kept)."""
    cents = price.quantize(CENT)
    return cents if cents == price else price


def _share(value: Decimal, part: int, whole: int) -> Decimal:
    return (value * part / whole).quantize(CENT, ROUND_HALF_UP)


def _return_lines(session: Session, data: TillInput, original: Transaction) -> list[TransactionLine]:
    sold = {line.id: line for line in repo.lines_of(session, original.id)}
    returned = returned_units(session, list(sold))
    skus = repo.skus_of(session, {s.product_id for s in sold.values()})
    out = []
    for i, line in enumerate(data.lines):
        where = f"lines[{i}]"
        target = sold.get(line.original_line_id) if line.original_line_id is not None else None
        if target is None:
            raise InvalidInput(
                f"{where}.original_line_id: name a line of transaction {original.id} "
                f"(one of {', '.join(str(k) for k in sorted(sold))})"
            )
        if line.quantity >= 0:
            raise InvalidInput(
                f"{where}.quantity: a return line takes units back (negative), got {line.quantity}"
            )
        if line.sku is not None and line.sku != skus[target.product_id]:
            raise InvalidInput(
                f"{where}.sku: line {target.id} sold {skus[target.product_id]}, not {line.sku}"
            )
        if line.unit_price is not None or line.discount:
            raise InvalidInput(f"{where}: a return refunds what was paid; leave unit_price and discount out")
        left = target.quantity - returned.get(target.id, 0)
        if -line.quantity > left:
            raise InvalidInput(
                f"{where}.quantity: only {left} of the {target.quantity} x {skus[target.product_id]} "
                f"bought on line {target.id} can still be returned"
            )
        before = returned.get(target.id, 0)
        after = returned[target.id] = before - line.quantity
        # Cumulative shares: however the units come back, the refunds add up to what the line cost.
        out.append(
            TransactionLine(
                line_no=i + 1,
                product_id=target.product_id,
                quantity=line.quantity,
                unit_price=target.unit_price,
                amount=_share(target.amount, before, target.quantity)
                - _share(target.amount, after, target.quantity),
                discount_amount=_share(target.discount_amount, before, target.quantity)
                - _share(target.discount_amount, after, target.quantity),
                original_line_id=target.id,
            )
        )
    return out


def _when(occurred_at: datetime | None, now: datetime) -> datetime:
    if occurred_at is None:
        return now
    if occurred_at.tzinfo is None:
        raise InvalidInput("occurred_at: give a time zone, e.g. 2024-03-01T10:15:00+08:00")
    if occurred_at > now + CLOCK_SKEW:
        raise InvalidInput(f"occurred_at: {occurred_at.isoformat()} is in the future")
    return occurred_at


def _fingerprint(data: TillInput) -> list[tuple[str | None, int, int | None]]:
    return [
        (None if data.kind == "return" else line.sku, line.quantity, line.original_line_id)
        for line in data.lines
    ]


def _check_replay(session: Session, found: Transaction, data: TillInput) -> None:
    booked = [
        (None if found.kind == "return" else lv.sku, lv.line.quantity, lv.line.original_line_id)
        for lv in _line_views(session, found.id)
    ]
    same_member = data.member_id is None or data.member_id == found.member_id
    if found.kind != data.kind or booked != _fingerprint(data) or not same_member:
        raise Conflict(
            f"idempotency key {data.idempotency_key!r} was used for another transaction "
            f"({found.id}) at this store; use a new key for a new transaction"
        )


def _line_views(session: Session, transaction_id: int) -> list[LineView]:
    return [
        LineView(line, sku, name) for line, sku, name in repo.lines_with_products(session, [transaction_id])
    ]


def receipt(session: Session, txn: Transaction, replayed: bool = False) -> Receipt:
    """The receipt of a booked transaction, rebuilt from what is stored (so a replay prints the same)."""
    entry = repo.points_entry_of(session, txn.id)
    change = repo.last_tier_change(session, txn.id)
    return Receipt(TransactionView(txn, _line_views(session, txn.id)), entry, change, replayed)


def receipt_ref(txn: Transaction) -> str:
    """The reference printed on a receipt, which a return must quote."""
    return txn.external_ref or f"#{txn.id}"


def _original(
    session: Session, caller: Staff, data: TillInput, member_id: int | None, when: datetime
) -> Transaction:
    if data.original_transaction_id is None:
        raise InvalidInput("original_transaction_id: a return names the sale it takes back")
    original = repo.locked(session, data.original_transaction_id)
    if original is None or original.kind != "sale":
        raise InvalidInput(f"original_transaction_id: {data.original_transaction_id} is not a sale")
    if not holds(caller, TILL_ROLES, original.store_id) and not holds(caller, {Role.ADMIN}):
        # A refund spends the store's money: only its own till staff (or an admin) may give one.
        raise Forbidden(f"sale {original.id} was made in another store; return it there")
    quoted = (data.original_receipt or "").strip()
    if not quoted:
        raise InvalidInput("original_receipt: a return quotes the sale's receipt reference")
    if quoted != receipt_ref(original):
        raise InvalidInput(f"original_receipt: {quoted!r} is not the receipt of sale {original.id}")
    if member_id is not None and member_id != original.member_id:
        raise InvalidInput(f"sale {original.id} was not made to this member; return it to whoever bought it")
    if when < original.occurred_at:
        raise InvalidInput(f"a return cannot come before its sale ({original.occurred_at.isoformat()})")
    return original


def _buyer(session: Session, transaction_id: int | None) -> int | None:
    if transaction_id is None:
        return None
    return repo.member_of(session, transaction_id)


def _complete(session: Session, txn: Transaction, now: datetime) -> None:
    """Points, tier, tags and attribution of a member's transaction (each finds what it already did)."""
    if txn.member_id is None:
        return
    if txn.kind == "sale":  # journeys' purchase triggers and goals; the key makes a replay a no-op
        emit(
            session,
            "purchased",
            txn.member_id,
            key=f"purchased:{txn.id}",
            occurred_at=txn.occurred_at,
            store_id=txn.store_id,
            payload={"transaction_id": txn.id, "amount": str(txn.total_amount)},
        )
    apply_transaction(session, txn.id, now)
    retag_member(session, txn.member_id, now)
    attribute_sale(session, txn.id)  # credits the clerk and model version of a recommendation it fulfils


def _audit_overrides(
    session: Session,
    txn: Transaction,
    caller: Staff,
    approver: int,
    overrides: list[Override],
    reason: str | None,
    now: datetime,
) -> None:
    for o in overrides:
        session.add(
            PriceOverride(
                transaction_id=txn.id,
                line_no=o.line_no,
                product_id=o.product_id,
                list_price=o.list_price,
                unit_price=o.unit_price,
                discount=o.discount,
                staff_id=caller.id,
                approved_by=approver,
                reason=(reason or "").strip()[:200],
                created_at=now,
            )
        )


def ring_up(
    session: Session,
    keys: Keys,
    caller: Staff,
    data: TillInput,
    *,
    region: str,
    now: datetime,
    sessions: sessionmaker[Session],
    limit: LookupLimit | None = None,
) -> Receipt:
    """Book a sale or return in `data.store_id`, then apply points and tier and re-tag the member.

    A replay of an idempotency key already used at this store returns the first receipt, `replayed`
    (completing its points first if a crash of an older version left them out).
    """
    require(caller, TILL_ROLES, data.store_id)
    ref = f"till:{data.store_id}:{data.idempotency_key}"
    # Identify first: the look-up's audit row commits on its own, before this unit of work writes.
    member_id = _member_id(session, sessions, keys, caller, data, region=region, limit=limit)
    serialise_member(session, member_id)
    found = repo.by_ref(session, ref)
    if found is not None:
        _check_replay(session, found, data)
        booked = receipt(session, found, replayed=True)
        if booked.points is None and found.member_id is not None:
            # Booked without its points by a crash of an older version: this retry completes it.
            _complete(session, found, now)
            booked = receipt(session, found, replayed=True)
        return booked
    when = _when(data.occurred_at, now)
    original = None
    overrides: list[Override] = []
    if data.kind == "return":
        # The buyer's lock before the sale's row, in the order every other path takes them (PostgreSQL
        # would otherwise deadlock a return naming the member against one that does not).
        serialise_member(session, _buyer(session, data.original_transaction_id))
        original = _original(session, caller, data, member_id, when)
        member_id = original.member_id
        lines = _return_lines(session, data, original)
    else:
        if data.original_transaction_id is not None:
            raise InvalidInput("original_transaction_id: only a return names an earlier sale")
        lines, overrides = sale_lines(session, data)
    approval = None
    if overrides and not holds(caller, PRICE_APPROVERS, data.store_id):
        if not data.approval_code:
            first = overrides[0]
            raise Forbidden(
                f"lines[{first.line_no - 1}]: a price other than the catalogue's "
                f"{_shown(first.list_price)} or a discount needs a store manager of store {data.store_id}: "
                "their approval_code, or ring it as one"
            )
        approval = approval_for(session, keys, data.store_id, data.approval_code, now)
    codes = ([data.coupon_code] if data.coupon_code is not None else []) + list(data.coupon_codes)
    applied = Applied()
    if codes:
        if data.kind == "return":
            raise InvalidInput(
                "coupon_code: a return gives back what the sale's coupon took off; leave it out"
            )
        applied = apply_codes(session, codes, member_id, data.store_id, lines, now)
    total = sum((line.amount for line in lines), Decimal("0"))
    if total > MAX_TOTAL:
        raise InvalidInput(f"total: {total} is more than one till transaction may book ({MAX_TOTAL})")
    txn = Transaction(
        external_ref=ref,
        store_id=data.store_id,
        member_id=member_id,
        staff_id=caller.id,
        occurred_at=when,
        kind=data.kind,
        total_amount=total,
        discount_amount=sum((line.discount_amount for line in lines), Decimal("0")),
        coupon_code=applied.codes[0] if applied.codes else None,
        original_transaction_id=original.id if original else None,
        source="till",
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(txn)
            session.flush()
            for line in lines:
                line.transaction_id = txn.id
            session.add_all(lines)
            session.flush()
    except IntegrityError:
        # The same key from a till retrying while the first request was still being booked (PostgreSQL).
        raced = repo.by_ref(session, ref)
        if raced is None:
            raise
        _check_replay(session, raced, data)
        return receipt(session, raced, replayed=True)
    approver = approval.manager_id if approval is not None else caller.id
    _audit_overrides(session, txn, caller, approver, overrides, data.override_reason, now)
    if approval is not None:
        use_approval(session, approval, txn.id, now)
    redeem(session, applied, txn.id, now)
    if original is not None:
        after_return(session, original.id, now)
    _complete(session, txn, now)
    return receipt(session, txn)
