"""GET /members/{id}/transactions and POST /transactions (the till)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from server.auth.deps import CurrentStaff
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import ContextDep, SessionDep
from server.core.errors import InvalidInput
from server.core.idempotency import request_key
from server.core.pagination import Page, PageDep
from server.coupons.schemas import QuoteCreate, QuotedCoupon, QuoteLineRead, QuoteRead
from server.members.deps import LookupLimitDep
from server.transactions import approvals, quote, service, till
from server.transactions.schemas import (
    PointsMovement,
    PriceApprovalRead,
    TierChangeRead,
    TillReceipt,
    TransactionCreate,
    TransactionLineRead,
    TransactionRead,
)

router = APIRouter(tags=["transactions"])


def _read(v: service.TransactionView) -> TransactionRead:
    t = v.transaction
    lines = [
        TransactionLineRead(
            id=lv.line.id,
            line_no=lv.line.line_no,
            product_id=lv.line.product_id,
            sku=lv.sku,
            name=lv.name,
            quantity=lv.line.quantity,
            unit_price=lv.line.unit_price,
            amount=lv.line.amount,
            discount_amount=lv.line.discount_amount,
            original_line_id=lv.line.original_line_id,
        )
        for lv in v.lines
    ]
    return TransactionRead(
        id=t.id,
        store_id=t.store_id,
        member_id=t.member_id,
        occurred_at=t.occurred_at,
        kind=t.kind,
        total_amount=t.total_amount,
        discount_amount=t.discount_amount,
        coupon_code=t.coupon_code,
        original_transaction_id=t.original_transaction_id,
        source=t.source,
        receipt=till.receipt_ref(t),
        lines=lines,
    )


@router.get("/members/{member_id}/transactions")
def member_transactions(
    member_id: Id, caller: CurrentStaff, session: SessionDep, page: PageDep
) -> Page[TransactionRead]:
    """A member's purchases and returns, newest first, with their lines."""
    views, total = service.member_history_as(session, caller, member_id, page)
    return Page(items=[_read(v) for v in views], total=total, limit=page.limit, offset=page.offset)


def _input(body: TransactionCreate, key: str) -> till.TillInput:
    return till.TillInput(
        store_id=body.store_id,
        idempotency_key=key,
        lines=[
            till.TillLineInput(line.sku, line.quantity, line.unit_price, line.discount, line.original_line_id)
            for line in body.lines
        ],
        kind=body.kind,
        member_id=body.member_id,
        member_card=body.member_card,
        member_phone=body.member_phone,
        coupon_code=body.coupon_code,
        coupon_codes=tuple(body.coupon_codes),
        original_transaction_id=body.original_transaction_id,
        occurred_at=body.occurred_at,
        original_receipt=body.original_receipt,
        override_reason=body.override_reason,
        approval_code=body.approval_code,
    )


@router.post(
    "/transactions",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "A replay of an idempotency key: the receipt booked the first time."}},
)
def ring_up(
    body: TransactionCreate,
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    response: Response,
    limit: LookupLimitDep,
    idempotency_key: Annotated[str | None, Header(max_length=60)] = None,
) -> TillReceipt:
    """Book a sale or return (cashier, clerk or store manager of the store); points, tier and tags follow."""
    key = request_key(body.idempotency_key, idempotency_key)
    if body.idempotency_key and idempotency_key and body.idempotency_key != idempotency_key:
        raise InvalidInput("the Idempotency-Key header and the idempotency_key field differ")
    result = till.ring_up(
        session,
        context.keys,
        caller,
        _input(body, key),
        region=context.settings.default_phone_region,
        now=now,
        sessions=context.sessions,
        limit=limit,
    )
    if result.replayed:
        response.status_code = status.HTTP_200_OK
    entry, change = result.points, result.tier_change
    return TillReceipt(
        transaction=_read(result.view),
        points=PointsMovement(entry_id=entry.id, kind=entry.kind, points=entry.points) if entry else None,
        tier_change=(
            TierChangeRead(from_tier=change.from_tier, to_tier=change.to_tier, reason=change.reason)
            if change
            else None
        ),
    )


@router.post("/stores/{store_id}/price-approvals", status_code=status.HTTP_201_CREATED)
def approve_price(
    store_id: Id, caller: CurrentStaff, session: SessionDep, context: ContextDep, now: NowDep
) -> PriceApprovalRead:
    """A one-time code (store manager of the store) that lets a cashier ring one sale below list price."""
    issued = approvals.issue_approval(session, context.keys, caller, store_id, now)
    return PriceApprovalRead(code=issued.code, store_id=issued.store_id, expires_at=issued.expires_at)


@router.post("/transactions/quote")
def quote_coupons(body: QuoteCreate, caller: CurrentStaff, session: SessionDep, now: NowDep) -> QuoteRead:
    """What the coupons take off the sale about to be rung up (till staff); nothing is redeemed."""
    data = till.TillInput(
        store_id=body.store_id,
        idempotency_key="quote",
        lines=[till.TillLineInput(x.sku, x.quantity, x.unit_price, x.discount) for x in body.lines],
        member_id=body.member_id,
        coupon_codes=tuple(body.coupon_codes),
    )
    found = quote.quote(session, caller, data, now)
    coupons = [QuotedCoupon(code=c.code, discount=d) for c, d in found.applied.coupons]
    if found.applied.offer is not None:
        coupons.append(QuotedCoupon(code=found.applied.offer.code, discount=found.applied.offer_discount))
    return QuoteRead(
        coupons=coupons,
        discount=found.applied.discount,
        total=sum((line.amount for line in found.lines), Decimal("0")),
        lines=[
            QuoteLineRead(
                line_no=line.line_no, sku=sku, amount=line.amount, discount_amount=line.discount_amount
            )
            for line, sku in zip(found.lines, found.skus, strict=True)
        ],
    )
