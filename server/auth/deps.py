"""Dependencies for every endpoint behind sign-in: the current staff member and the login throttle."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from server.auth.policy import required_operation
from server.auth.scope import require, require_any_role, visible_store_ids
from server.auth.service import staff_for_claims
from server.auth.throttle import LoginThrottle
from server.auth.tokens import TokenClaims, decode_token
from server.core.deps import ContextDep, SessionDep
from server.core.errors import Unauthorized
from server.db.tables import Staff

# auto_error=False: a missing token is answered by our own 401 with a useful message.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_throttle_lock = threading.Lock()

__all__ = [
    "TokenClaimsDep",
    "CurrentStaff",
    "ThrottleDep",
    "require",
    "require_any_role",
    "visible_store_ids",
]


def _token(token: str | None) -> str:
    if not token:
        raise Unauthorized("not signed in: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token")
    return token


def _claims(request: Request, context: ContextDep, token: str | None) -> TokenClaims:
    claims = decode_token(context.keys.jwt, _token(token))
    return replace(claims, operation=required_operation(request))


def get_current_staff(
    request: Request, session: SessionDep, context: ContextDep, token: Annotated[str | None, Depends(_bearer)]
) -> Staff:
    """The signed-in staff member, from the `Authorization: Bearer` header; 401 without a valid token,
    403 when none of their roles may call this operation (server.auth.policy)."""
    return staff_for_claims(session, _claims(request, context, token))


async def get_token_claims(
    request: Request, context: ContextDep, token: Annotated[str | None, Depends(_bearer)]
) -> TokenClaims:
    """The bearer token's claims, checked without the database (401 when missing, expired or forged).

    For an endpoint that signs the caller in itself (`staff_for_claims`, which applies the access policy
    of the operation named in the claims) in the thread its work runs in."""
    return _claims(request, context, token)


def get_login_throttle(request: Request) -> LoginThrottle:
    """The app's one login throttle, created on first use."""
    with _throttle_lock:
        throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
        if throttle is None:
            throttle = LoginThrottle()
            request.app.state.login_throttle = throttle
        return throttle


CurrentStaff = Annotated[Staff, Depends(get_current_staff)]
TokenClaimsDep = Annotated[TokenClaims, Depends(get_token_claims)]
ThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
