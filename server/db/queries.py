"""Small SQL helpers every package's repository uses: IN lists in slices, a timestamp's UTC day."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Date, cast, func
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

T = TypeVar("T")
CHUNK = 900  # stay under SQLite's bound-parameter limit


def chunks(ids: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`ids` in slices small enough for an IN list."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def utc_day(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, on SQLite (stored as UTC text) and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return cast(func.timezone("UTC", column), Date)


def as_date(value: Any) -> date:
    """A day as returned by `utc_day` (a string on SQLite, a date on PostgreSQL)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
