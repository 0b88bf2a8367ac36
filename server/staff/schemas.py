"""Staff accounts at the HTTP edge."""

from __future__ import annotations

from pydantic import BaseModel, Field

from server.auth.schemas import RoleGrant

LOGIN_PATTERN = r"^\s*[A-Za-z0-9][A-Za-z0-9._@-]{1,79}\s*$"


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
