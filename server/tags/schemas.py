"""Tag rules and the fact registry at the HTTP edge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class FactRead(BaseModel):
    name: str
    type: str = Field(description="number, string, bool, date or list[string]")
    description: str
    ops: dict[str, str] = Field(description="Each operator this fact accepts, with the value it expects.")


class TagRuleCreate(BaseModel):
    name: str = Field(min_length=1, max_length=80, description="The tag the rule sets.")
    rule: Any = Field(description="all / any / not over {fact, op, value} leaves.")
    description: str = Field("", max_length=2000)
    active: bool = True


class TagRuleUpdate(BaseModel):
    """Fields left out stay as they are; a new condition raises the rule's version."""

    rule: Any = None
    description: str | None = Field(None, max_length=2000)
    active: bool | None = None


class TagRuleRead(BaseModel):
    id: int
    name: str
    description: str
    rule: dict[str, Any]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by_id: int | None
