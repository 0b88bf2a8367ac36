"""The business clock: what "now" is for loyalty, profiles and the till.

Normally the wall clock. A demo of historical data shifts it (`app.state.clock_offset`) so "today" is the
day after the data ends while time still runs; tests override `get_now` to pin a moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request

from server.db.base import utcnow


def shifted_now(offset: timedelta | None) -> datetime:
    """The wall clock moved by `offset` (None: the wall clock)."""
    return utcnow() + offset if offset else utcnow()


async def get_now(request: Request) -> datetime:
    """The current business time of this app (UTC, timezone-aware); async: no thread hand-over."""
    return shifted_now(getattr(request.app.state, "clock_offset", None))


NowDep = Annotated[datetime, Depends(get_now)]
