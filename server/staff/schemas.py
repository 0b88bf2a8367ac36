"""Staff accounts at the HTTP edge."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from server.auth.roles import Role
from server.core.bounds import Id

LOGIN_PATTERN = r"^\s*[A-Za-z0-9][A-Za-z0-9._@-]{1,79}\s*$"


class RoleGrant(BaseModel):
    """A role in one store, or chain-wide when store_id is null."""

    model_config = ConfigDict(from_attributes=True)

    role: Role
    store_id: Id | None = None


class StaffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    login: str
    display_name: str
    active: bool
    locale: str
    roles: list[RoleGrant]
    created_at: datetime


class StaffCreate(BaseModel):
    login: str = Field(pattern=LOGIN_PATTERN, description="Staff id used to sign in; stored lower-case.")
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=128)
    roles: list[RoleGrant] = Field(min_length=1)
    locale: str = Field("en", min_length=2, max_length=10)


class StaffUpdate(BaseModel):
    """Fields left out stay as they are; `roles` replaces the whole list; active=false signs them out."""

    display_name: str | None = Field(None, min_length=1, max_length=200)
    active: bool | None = None
    roles: list[RoleGrant] | None = Field(None, min_length=1)
    locale: str | None = Field(None, min_length=2, max_length=10)
    password: str | None = Field(None, min_length=8, max_length=128)
