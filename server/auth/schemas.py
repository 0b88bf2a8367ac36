"""Sign-in and password change at the HTTP edge."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from server.staff.schemas import StaffRead


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    staff: StaffRead


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=8, max_length=128)
