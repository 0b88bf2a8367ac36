"""The recommender as a FastAPI dependency (in core it made the base layer import a domain package)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.concurrency import run_in_threadpool

from server.core.context import AppContext
from server.core.deps import get_context
from server.recommendations.engine import Engine, holder_for


async def get_recommender(context: Annotated[AppContext, Depends(get_context)]) -> Engine:
    """The process's recommender, built on first use (tests override this with a small one)."""
    holder = holder_for(context)
    current = holder.current
    # Building takes seconds and blocks: only then is it worth a thread.
    return current if current is not None else await run_in_threadpool(holder.get)


RecommenderDep = Annotated[Engine, Depends(get_recommender)]
