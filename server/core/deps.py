"""FastAPI dependencies shared by every domain router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.core.crypto import Keys

# Dependencies that only read app state are `async def`: FastAPI runs a plain `def` dependency in the
# thread pool, a hand-over each way per request for an attribute read.


async def get_context(request: Request) -> AppContext:
    """The app's context (settings, engine, sessions, keys)."""
    return request.app.state.context  # type: ignore[no-any-return]


def get_session(context: Annotated[AppContext, Depends(get_context)]) -> Iterator[Session]:
    """One session per request: committed when the endpoint returns, rolled back if it raises.

    A plain `def`: the commit talks to the database, so FastAPI runs it in the thread pool."""
    session = context.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_keys(context: Annotated[AppContext, Depends(get_context)]) -> Keys:
    return context.keys


ContextDep = Annotated[AppContext, Depends(get_context)]
# scope="function": the commit runs when the endpoint returns, before the response is sent. With the
# default ("request") FastAPI commits only after sending it, so a failed commit followed a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
KeysDep = Annotated[Keys, Depends(get_keys)]
