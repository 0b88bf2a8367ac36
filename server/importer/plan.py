"""Turn valid lines into whole invoices and the products, members and stores they need (no database)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from server.importer.categories import NON_MERCHANDISE, categorise, is_merchandise
from server.importer.reader import Reject, SourceTable
from server.importer.rows import Line

SOURCE = "online-retail"
SALE, RETURN, ADJUSTMENT = "sale", "return", "adjustment"
_KIND_ORDER = {SALE: 0, ADJUSTMENT: 1, RETURN: 2}  # at one time, a sale goes in before its cancellation


@dataclass
class Invoice:
    """One receipt of the source, written whole or not at all."""

    number: str
    kind: str
    occurred_at: datetime  # the earliest time on its lines (a few invoices span two minutes)
    customer: str | None  # None: anonymous sale, or an adjustment
    country: str
    lines: list[Line]

    @property
    def external_ref(self) -> str:
        """The transaction's key for idempotent re-imports."""
        return f"{SOURCE}:{self.number}"


@dataclass
class ProductFacts:
    sku: str
    name: str
    category: str
    is_merchandise: bool
    price_milli: int  # the most recent positive unit price, 0 when it was never sold for money
    first_seen_at: datetime


@dataclass
class MemberFacts:
    customer: str
    country: str  # the home store's country: where they bought most
    joined_on: date


def member_ref(customer: str) -> str:
    """The member's key for idempotent re-imports."""
    return f"{SOURCE}:{customer}"


def store_code(country: str) -> str:
    """The code of the store standing for a country of the source ("OR-UNITED-KINGDOM")."""
    return ("OR-" + re.sub(r"[^A-Z0-9]+", "-", country.upper()).strip("-"))[:40]


def _kind(number: str, lines: list[Line], customer: str | None) -> str:
    if number.startswith("C"):
        return RETURN
    if number.startswith("A"):  # "Adjust bad debt"
        return ADJUSTMENT
    if all(line.quantity < 0 for line in lines):  # stock written off: damaged, lost, "check"
        return ADJUSTMENT
    if customer is None and all(line.price_milli == 0 for line in lines):  # stock found or recounted
        return ADJUSTMENT
    return SALE


def group_invoices(table: SourceTable, lines: list[Line], rejects: list[Reject]) -> list[Invoice]:
    """Whole invoices in time order; an invoice with any bad line is rejected whole (added to `rejects`)."""
    by_number: defaultdict[str, list[Line]] = defaultdict(list)
    for line in lines:
        by_number[line.invoice].append(line)
    first_bad: dict[str, Reject] = {}
    for reject in rejects:
        if reject.invoice:
            first_bad.setdefault(reject.invoice, reject)
    invoices: list[Invoice] = []
    for number, group in by_number.items():
        customers = {line.customer for line in group}
        countries = {line.country for line in group}
        reason = None
        if number in first_bad:
            bad = first_bad[number]
            reason = f"invoice {number} is rejected with its line {bad.line} ({bad.reason})"
        elif len(customers) > 1:
            names = ", ".join(sorted(c or "anonymous" for c in customers))
            reason = f"invoice {number} has lines for several customers ({names})"
        elif len(countries) > 1:
            reason = f"invoice {number} has lines for several countries ({', '.join(sorted(countries))})"
        if reason is not None:
            rejects.extend(table.reject(line.record, reason, number) for line in group)
            continue
        customer = group[0].customer
        kind = _kind(number, group, customer)
        when = min(line.occurred_at for line in group)
        invoices.append(
            Invoice(number, kind, when, None if kind == ADJUSTMENT else customer, group[0].country, group)
        )
    invoices.sort(key=lambda inv: (inv.occurred_at, _KIND_ORDER[inv.kind], inv.number))
    return invoices


def product_facts(invoices: list[Invoice]) -> dict[str, ProductFacts]:
    """Per SKU: the most frequent description as name, latest positive price, first sale (time order in)."""
    price: dict[str, int] = {}
    first_seen: dict[str, datetime] = {}
    first_sale: dict[str, datetime] = {}
    # Stock notes ("damaged", "check") ride on zero-priced lines: the name comes from priced sales.
    sold_names: dict[tuple[str, str], int] = {}
    for invoice in invoices:  # in time order: the last price seen is the latest, the first time the first
        when, is_sale = invoice.occurred_at, invoice.kind == SALE
        for _, _, sku, description, quantity, milli, _, _, _ in invoice.lines:
            if sku not in first_seen:
                first_seen[sku] = when
            if milli > 0:
                price[sku] = milli
            if is_sale and quantity > 0:
                if sku not in first_sale:
                    first_sale[sku] = when
                if milli > 0 and description:
                    key = (sku, description)
                    sold_names[key] = sold_names.get(key, 0) + 1
    unnamed = first_seen.keys() - {sku for sku, _ in sold_names}
    any_names = Counter(
        (line.sku, line.description)
        for invoice in invoices
        for line in invoice.lines
        if line.sku in unnamed and line.description
    )
    names: dict[str, str] = {}
    for counts in (sold_names, any_names):
        # Most frequent first; among equals the alphabetically first, so a re-run names it the same.
        for (sku, description), _ in sorted(counts.items(), key=lambda item: (-item[1], item[0][1])):
            names.setdefault(sku, description)
    facts: dict[str, ProductFacts] = {}
    for sku, seen in first_seen.items():
        name = names.get(sku, sku)
        merchandise = is_merchandise(sku)
        category = categorise(name) if merchandise else NON_MERCHANDISE
        first = first_sale.get(sku, seen)
        facts[sku] = ProductFacts(sku, name[:300], category, merchandise, price.get(sku, 0), first)
    return facts


def member_facts(invoices: list[Invoice], timezone: str) -> dict[str, MemberFacts]:
    """Per customer: home country (most sale invoices, then most recent) and the first invoice's date."""
    zone = ZoneInfo(timezone)
    first: dict[str, datetime] = {}
    visits: defaultdict[str, Counter[str]] = defaultdict(Counter)
    last_visit: dict[tuple[str, str], datetime] = {}
    for invoice in invoices:
        customer = invoice.customer
        if customer is None:
            continue
        first.setdefault(customer, invoice.occurred_at)
        if invoice.kind == SALE:
            visits[customer][invoice.country] += 1
            last_visit[customer, invoice.country] = invoice.occurred_at
    home_of = {}
    for invoice in invoices:
        if invoice.customer is not None and invoice.customer not in home_of:
            home_of[invoice.customer] = invoice.country
    facts: dict[str, MemberFacts] = {}
    for customer, joined in first.items():
        counts = visits.get(customer)
        country = home_of[customer]
        if counts:
            country = max(counts, key=lambda c: (counts[c], last_visit[customer, c], c))
        facts[customer] = MemberFacts(customer, country, joined.astimezone(zone).date())
    return facts


def countries(invoices: list[Invoice]) -> list[str]:
    """Every country with an invoice, each of which becomes a store."""
    return sorted({invoice.country for invoice in invoices})
