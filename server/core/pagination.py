"""Limit/offset paging shared by every list endpoint: a limit above 200 is served as 200."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from server.core.bounds import DB_INT_MAX

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    """Which slice of a list to return."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0


def page_params(
    limit: Annotated[
        int, Query(ge=1, le=DB_INT_MAX, description=f"Items per page; at most {MAX_LIMIT} are returned.")
    ] = (DEFAULT_LIMIT),
    offset: Annotated[int, Query(ge=0, le=DB_INT_MAX, description="Items to skip.")] = 0,
) -> PageParams:
    """The page asked for, with the limit capped at MAX_LIMIT."""
    return PageParams(limit=min(limit, MAX_LIMIT), offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many there are in all, and the limit and offset applied."""

    items: list[T]
    total: int
    limit: int
    offset: int
