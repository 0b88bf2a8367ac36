"""The business clock: what "now" is for loyalty, profiles and the till.

Normally the wall clock. A demo of historical data shifts it (`app.state.clock_offset`) so "today" is the
day after the data ends while time still runs; tests override `get_now` to pin a moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from server.db.base import utcnow


def shifted_now(offset: timedelta | None) -> datetime:
    """The wall clock moved by `offset` (None: the wall clock)."""
    return utcnow() + offset if offset else utcnow()


async def get_now(request: Request) -> datetime:
    """The current business time of this app (UTC, timezone-aware); async: no thread hand-over."""
    return shifted_now(getattr(request.app.state, "clock_offset", None))


NowDep = Annotated[datetime, Depends(get_now)]


def app_now(app: FastAPI) -> datetime:
    """The business time of `app` outside a request (a floor frame, warm-up): a clock pinned the way tests
    and benchmarks pin the HTTP endpoints' (an override of `get_now`), else the app's shifted clock."""
    pinned = app.dependency_overrides.get(get_now)
    return pinned() if pinned is not None else shifted_now(getattr(app.state, "clock_offset", None))  # type: ignore[no-any-return]
