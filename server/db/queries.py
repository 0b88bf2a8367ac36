"""Small SQL helpers repositories share: IN lists in slices, a timestamp's UTC day, and the units returned
against sale lines (the till and offers, which sit on either side of each other, both count them)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from server.db.tables import TransactionLine

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


def returned_units(session: Session, line_ids: Collection[int]) -> dict[int | None, int]:
    """Units returned so far per sale line: the negative lines that name it as their original."""
    if not line_ids:
        return {}
    back = (
        select(TransactionLine.original_line_id, func.sum(-TransactionLine.quantity))
        .where(TransactionLine.original_line_id.in_(list(line_ids)), TransactionLine.quantity < 0)
        .group_by(TransactionLine.original_line_id)
    )
    return {line_id: int(qty) for line_id, qty in session.execute(back)}
