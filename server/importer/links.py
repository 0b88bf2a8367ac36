"""Link each cancellation line back to the sale line it takes back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from server.importer.plan import RETURN, SALE, Invoice

LineKey = tuple[str, int]  # (invoice number, line number within the invoice, from 1)


@dataclass
class SoldLine:
    """A sale line a cancellation may take back: who bought what, when, and how much is left."""

    customer: str
    sku: str
    occurred_at: datetime
    key: LineKey
    remaining: int


def link_cancellations(invoices: list[Invoice], earlier: Iterable[SoldLine] = ()) -> dict[LineKey, LineKey]:
    """Cancellation line -> sale line: same member and SKU, the latest earlier sale with enough left.

    `invoices` are the ones being added, in time order; `earlier` are sale lines already in the
    database (with what earlier cancellations left of them), so a resumed import links the same way.
    Each link uses up quantity, so two cancellations never take back the same unit twice.
    """
    returns = [inv for inv in invoices if inv.kind == RETURN and inv.customer is not None]
    # Only (member, SKU) pairs that some cancellation takes back need their sales remembered.
    wanted = {(inv.customer or "", line.sku) for inv in returns for line in inv.lines}
    pool: defaultdict[tuple[str, str], list[SoldLine]] = defaultdict(list)
    for sold in earlier:
        if sold.remaining > 0:
            pool[sold.customer, sold.sku].append(sold)
    for inv in invoices:
        customer = inv.customer
        if inv.kind != SALE or customer is None:
            continue
        for number, line in enumerate(inv.lines, start=1):
            if line.quantity > 0 and (customer, line.sku) in wanted:
                sold = SoldLine(customer, line.sku, inv.occurred_at, (inv.number, number), line.quantity)
                pool[customer, line.sku].append(sold)
    for candidates in pool.values():
        candidates.sort(key=lambda sold: sold.occurred_at)  # stable: file order within a minute
    links: dict[LineKey, LineKey] = {}
    for invoice in returns:
        customer = invoice.customer or ""
        for number, line in enumerate(invoice.lines, start=1):
            needed = -line.quantity
            for sold in reversed(pool.get((customer, line.sku), ())):
                if sold.occurred_at <= invoice.occurred_at and sold.remaining >= needed:
                    sold.remaining -= needed
                    links[invoice.number, number] = sold.key
                    break
    return links


def original_invoice(invoice: Invoice, links: dict[LineKey, LineKey]) -> str | None:
    """The one invoice every line of a cancellation points at, if there is exactly one."""
    targets = [links.get((invoice.number, number)) for number in range(1, len(invoice.lines) + 1)]
    numbers = {target[0] for target in targets if target is not None}
    if None in targets or len(numbers) != 1:
        return None
    return numbers.pop()
