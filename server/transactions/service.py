"""A member's purchase history (read-only), visible to whoever may see the member."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from server.core.pagination import PageParams
from server.db.tables import Staff, Transaction, TransactionLine
from server.members.service import get_member_as
from server.transactions import repository


@dataclass(frozen=True)
class LineView:
    """One till line with the product it sold (or took back)."""

    line: TransactionLine
    sku: str
    name: str


@dataclass(frozen=True)
class TransactionView:
    """A transaction and its lines."""

    transaction: Transaction
    lines: list[LineView] = field(default_factory=list)


def member_history_as(
    session: Session, caller: Staff, member_id: int, page: PageParams
) -> tuple[list[TransactionView], int]:
    """One page of a member's transactions, newest first, each with its lines."""
    get_member_as(session, caller, member_id)
    rows, total = repository.member_transactions(session, member_id, limit=page.limit, offset=page.offset)
    by_id = {t.id: TransactionView(t) for t in rows}
    for line, sku, name in repository.lines_with_products(session, list(by_id)):
        by_id[line.transaction_id].lines.append(LineView(line, sku, name))
    return [by_id[t.id] for t in rows], total
