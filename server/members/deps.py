"""The member look-up rate limit as a FastAPI dependency, shared by every route that finds a member."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from server.members.access import LookupLimit


async def get_lookup_limit() -> LookupLimit:
    """Look-ups allowed per staff account: 60 a minute (tests override this dependency)."""
    return LookupLimit()


LookupLimitDep = Annotated[LookupLimit, Depends(get_lookup_limit)]
