"""The ranges numbers and moments must fall in at the edge, so hostile input is a 422 with its reason.

An id or count the database cannot hold (2^63 and up) made SQLite raise OverflowError and PostgreSQL
"bigint out of range" deep inside a service; a moment in year 1 or 9999 overflowed date arithmetic.
Each alias below states the range in the OpenAPI document and is checked before any endpoint runs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from annotated_types import Interval
from pydantic import AfterValidator

# The largest value of a BIGINT column (and of SQLite's INTEGER).
DB_INT_MAX = 2**63 - 1
# Business dates outside these years are typing mistakes or probes, never real sales or look-ups.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)

# A row's id: ids start at 1 and fit the database.
Id = Annotated[int, Interval(ge=1, le=DB_INT_MAX)]
# A count or position (a page offset, a sequence number): 0 or more, and fits the database.
Count = Annotated[int, Interval(ge=0, le=DB_INT_MAX)]


def _sane_day(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"must lie between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    return value


def _sane_moment(value: datetime) -> datetime:
    # Compared as a calendar day, so a far time zone offset cannot push the check itself out of range.
    _sane_day(value.date())
    return value


# A moment a client sends (as_of, since, occurred_at): between 1900 and 2200.
Moment = Annotated[datetime, AfterValidator(_sane_moment)]
# A calendar day a client sends: between 1900 and 2200.
Day = Annotated[date, AfterValidator(_sane_day)]
