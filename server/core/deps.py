"""FastAPI dependencies shared by every domain router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.core.crypto import Keys
from server.recommendations.engine import Recommender, holder_for


def get_context(request: Request) -> AppContext:
    return request.app.state.context  # type: ignore[no-any-return]


def get_session(context: Annotated[AppContext, Depends(get_context)]) -> Iterator[Session]:
    """One session per request: committed when the endpoint returns, rolled back if it raises."""
    session = context.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_keys(context: Annotated[AppContext, Depends(get_context)]) -> Keys:
    return context.keys


def get_recommender(context: Annotated[AppContext, Depends(get_context)]) -> Recommender:
    """The process's recommender, built on first use (tests override this with a small one)."""
    return holder_for(context).get()


ContextDep = Annotated[AppContext, Depends(get_context)]
SessionDep = Annotated[Session, Depends(get_session)]
KeysDep = Annotated[Keys, Depends(get_keys)]
RecommenderDep = Annotated[Recommender, Depends(get_recommender)]
