"""Lenient readers for JSON values: a missing or null field becomes an empty value, never a crash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

T = TypeVar("T")


def as_int(value: Any) -> int:
    """An int from a number or numeric string; 0 for null."""
    if value is None or value == "":
        return 0
    return int(value)


def as_str(value: Any) -> str:
    """A str; "" for null."""
    return "" if value is None else str(value)


def as_money(value: Any) -> str:
    """A decimal amount as the server wrote it ("2148.00"); "" for null."""
    return as_str(value)


def as_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date-time (with or without a zone, 'Z' accepted); None for null."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def as_date(value: Any) -> date | None:
    """An ISO 8601 date (a date-time is cut to its day); None for null."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)


def items(d: dict[str, Any], key: str, parse: Callable[[dict[str, Any]], T]) -> list[T]:
    """`d[key]` parsed item by item (missing or null: an empty list)."""
    return [parse(x) for x in d.get(key) or () if isinstance(x, dict)]
