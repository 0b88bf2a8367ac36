"""Validate source records into sale lines; every line that cannot be imported becomes a `Reject`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from server.importer.reader import Reject, SourceTable

MAX_PRICE_MILLI = 10**12  # Numeric(12, 3) holds up to 999,999,999.999
MAX_AMOUNT_MILLI = 10**13  # Numeric(12, 2)
_MISSING: Any = object()
_CUSTOMER = re.compile(r"^(\d{1,30})(?:\.0*)?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$")


class Line(NamedTuple):
    """One valid source line; money in thousandths of the currency unit, time as aware UTC."""

    record: int  # index into the source table's records
    invoice: str
    sku: str
    description: str
    quantity: int
    price_milli: int
    occurred_at: datetime
    customer: str | None
    country: str


class _Bad(str):
    """A cached parse failure: the reason, distinguishable from a parsed value."""


def _quantity(text: str) -> int | _Bad:
    try:
        return int(text)
    except ValueError:
        try:
            value = Decimal(text)
        except InvalidOperation:
            return _Bad(f"quantity {text!r} is not a number")
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return _Bad(f"quantity {text!r} is not a whole number")


def _price(text: str) -> int | _Bad:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return _Bad(f"unit price {text!r} is not a number")
    if not value.is_finite():
        return _Bad(f"unit price {text!r} is not a number")
    milli = value * 1000
    if milli != milli.to_integral_value():
        return _Bad(f"unit price {text!r} has more than 3 decimals")
    if abs(milli) >= MAX_PRICE_MILLI:
        return _Bad(f"unit price {text!r} is too large")
    return int(milli)


def _customer(text: str) -> str | None | _Bad:
    text = text.strip()
    if not text:
        return None
    match = _CUSTOMER.match(text)
    if match is None:
        return _Bad(f"customer id {text!r} is not a customer number")
    return match.group(1).lstrip("0") or "0"


class _Clock:
    """Turns the file's store-local invoice times into aware UTC, parsing each distinct text once."""

    def __init__(self, timezone: str, texts: set[str]) -> None:
        self.zone = ZoneInfo(timezone)
        self.day_first = _day_first(texts)

    def __call__(self, text: str) -> datetime | _Bad:
        text = text.strip()
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            match = _SLASH_DATE.match(text)
            if match is None:
                return _Bad(f"invoice date {text!r} is not a date and time")
            a, b, year, hour, minute, second = match.groups()
            day, month = (a, b) if self.day_first else (b, a)
            try:
                value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
            except ValueError:
                return _Bad(f"invoice date {text!r} is not a valid date")
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)
        return value.astimezone(UTC)


def _day_first(texts: set[str]) -> bool:
    """Whether slashed dates in this file are day/month/year (UK exports) rather than month/day/year."""
    for text in texts:
        match = _SLASH_DATE.match(text.strip())
        if match is not None and int(match.group(1)) > 12:
            return True
    return False


def _problem(invoice: str, sku: str, country: str, qty: int, milli: int) -> str | None:
    if not invoice:
        return "empty invoice number"
    if not sku:
        return "empty stock code"
    if not country:
        return "empty country"
    if len(invoice) > 60 or len(sku) > 64 or len(country) > 100:
        return "invoice number, stock code or country is too long"
    if qty == 0:
        return "quantity is 0"
    if abs(qty * milli) >= MAX_AMOUNT_MILLI:
        return "line amount is too large"
    if milli < 0 and not invoice.startswith("A"):
        return "negative unit price on an invoice that is not an adjustment"
    if qty > 0 and invoice.startswith("C"):
        return "positive quantity on a cancellation invoice"
    return None


def validate(table: SourceTable, timezone: str) -> tuple[list[Line], list[Reject]]:
    """The table's valid lines, in file order, and a reject for each line that is not."""
    cols = table.columns
    i_inv, i_sku, i_desc, i_qty = cols["invoice"], cols["stock_code"], cols["description"], cols["quantity"]
    i_date, i_price, i_cust = cols["invoice_date"], cols["unit_price"], cols["customer"]
    i_country, width = cols["country"], table.width
    clock = _Clock(timezone, {f[i_date] for _, f in table.records if len(f) == width})
    # A year of sales repeats a few thousand distinct numbers and times: parse each text once.
    quantities: dict[str, int | _Bad] = {}
    prices: dict[str, int | _Bad] = {}
    times: dict[str, datetime | _Bad] = {}
    customers: dict[str, str | None | _Bad] = {}
    lines: list[Line] = []
    rejects: list[Reject] = []
    keep = lines.append
    for index, (_, f) in enumerate(table.records):
        if len(f) != width:
            rejects.append(table.reject(index, f"expected {width} fields, found {len(f)}"))
            continue
        text = f[i_qty]
        qty = quantities.get(text, _MISSING)
        if qty is _MISSING:
            qty = quantities[text] = _quantity(text)
        text = f[i_price]
        milli = prices.get(text, _MISSING)
        if milli is _MISSING:
            milli = prices[text] = _price(text)
        text = f[i_date]
        when = times.get(text, _MISSING)
        if when is _MISSING:
            when = times[text] = clock(text)
        text = f[i_cust]
        cust = customers.get(text, _MISSING)
        if cust is _MISSING:
            cust = customers[text] = _customer(text)
        invoice = f[i_inv].strip()
        if isinstance(qty, _Bad):
            reason: str | None = qty
        elif isinstance(milli, _Bad):
            reason = milli
        elif isinstance(when, _Bad):
            reason = when
        elif isinstance(cust, _Bad):
            reason = cust
        else:
            sku, country = f[i_sku].strip(), f[i_country].strip()
            reason = _problem(invoice, sku, country, qty, milli)
            if reason is None:
                keep(Line(index, invoice, sku, f[i_desc].strip(), qty, milli, when, cust, country))
                continue
        rejects.append(table.reject(index, str(reason), invoice))
    return lines, rejects
