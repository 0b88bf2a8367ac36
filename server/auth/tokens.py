"""Signed access tokens (JWT, HS256): who the staff member is, and which token version they hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from server.core.errors import Unauthorized
from server.db.base import utcnow

ALGORITHM = "HS256"
_REQUIRED = ["sub", "ver", "exp", "iat"]


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says."""

    staff_id: int
    version: int
    issued_at: datetime
    expires_at: datetime
    # The API operation (method, path template) the token was presented to, whose access policy signing in
    # checks; None where no HTTP operation is called (the floor socket).
    operation: tuple[str, str] | None = None


def issue_token(key: bytes, *, staff_id: int, version: int, minutes: int, now: datetime | None = None) -> str:
    """A token for `staff_id` at `version`, valid for `minutes` from `now`."""
    issued = now or utcnow()
    claims = {
        "sub": str(staff_id),
        "ver": version,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_token(key: bytes, token: str) -> TokenClaims:
    """The claims of a token signed with `key`; Unauthorized 'token expired' or 'invalid token' otherwise."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": _REQUIRED})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired: sign in again") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("invalid token: sign in again") from exc
    try:
        staff_id, version = int(claims["sub"]), int(claims["ver"])
    except (TypeError, ValueError) as exc:
        raise Unauthorized("invalid token: sign in again") from exc
    return TokenClaims(
        staff_id=staff_id,
        version=version,
        issued_at=datetime.fromtimestamp(claims["iat"], tz=UTC),
        expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
    )
