"""Small SQL helpers repositories share: IN lists in slices, a timestamp's UTC day, and the units returned
against sale lines (the till and offers, which sit on either side of each other, both count them)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Date, and_, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from server.db.tables import TransactionLine

T = TypeVar("T")
CHUNK = 900  # stay under SQLite's bound-parameter limit


def chunks(ids: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`ids` in slices small enough for an IN list."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@dataclass(frozen=True)
class IdRange:
    """Members with `lo` < id <= `hi` (no upper bound when `hi` is None): one chunk of a nightly step."""

    lo: int = 0
    hi: int | None = None

    def holds(self, column: Any) -> ColumnElement[bool]:
        """The predicate on a member id column."""
        return column > self.lo if self.hi is None else and_(column > self.lo, column <= self.hi)


# Whom a set-based step works on: everyone (None), an id range (a nightly chunk), or a list of ids.
Members = Sequence[int] | IdRange | None


def restricted(stmt: Any, column: Any, members: Members) -> Iterator[Any]:
    """`stmt` limited to `members` on `column`: as it is, by a range, or in IN-list slices."""
    if members is None:
        yield stmt
    elif isinstance(members, IdRange):
        yield stmt.where(members.holds(column))
    else:
        for part in chunks(members):
            yield stmt.where(column.in_(part))


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
