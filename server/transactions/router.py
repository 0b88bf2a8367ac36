"""GET /members/{id}/transactions."""

from __future__ import annotations

from fastapi import APIRouter

from server.auth.deps import CurrentStaff
from server.core.deps import SessionDep
from server.core.pagination import Page, PageDep
from server.transactions import service
from server.transactions.schemas import TransactionLineRead, TransactionRead

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
        lines=lines,
    )


@router.get("/members/{member_id}/transactions")
def member_transactions(
    member_id: int, caller: CurrentStaff, session: SessionDep, page: PageDep
) -> Page[TransactionRead]:
    """A member's purchases and returns, newest first, with their lines."""
    views, total = service.member_history_as(session, caller, member_id, page)
    return Page(items=[_read(v) for v in views], total=total, limit=page.limit, offset=page.offset)
