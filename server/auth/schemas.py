"""Sign-in, password change and the signed-in staff member at the HTTP edge (staff/ builds on these)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from server.auth.roles import Role
from server.core.bounds import Id


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


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    staff: StaffRead


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=8, max_length=128)
