"""Dependencies for every endpoint behind sign-in: the current staff member and the login throttle."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from server.auth.scope import require, require_any_role, visible_store_ids
from server.auth.service import staff_for_token
from server.auth.throttle import LoginThrottle
from server.core.deps import ContextDep, SessionDep
from server.core.errors import Unauthorized
from server.db.tables import Staff

# auto_error=False: a missing token is answered by our own 401 with a useful message.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_throttle_lock = threading.Lock()

__all__ = ["CurrentStaff", "ThrottleDep", "require", "require_any_role", "visible_store_ids"]


def get_current_staff(
    session: SessionDep, context: ContextDep, token: Annotated[str | None, Depends(_bearer)]
) -> Staff:
    """The signed-in staff member, from the `Authorization: Bearer` header; 401 without a valid token."""
    if not token:
        raise Unauthorized("not signed in: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token")
    return staff_for_token(session, context.keys.jwt, token)


def get_login_throttle(request: Request) -> LoginThrottle:
    """The app's one login throttle, created on first use."""
    with _throttle_lock:
        throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
        if throttle is None:
            throttle = LoginThrottle()
            request.app.state.login_throttle = throttle
        return throttle


CurrentStaff = Annotated[Staff, Depends(get_current_staff)]
ThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
