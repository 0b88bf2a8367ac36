"""POST /auth/token (sign in), GET /auth/me, POST /auth/password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from server.auth import service
from server.auth.deps import CurrentStaff, ThrottleDep
from server.auth.schemas import PasswordChange, StaffRead, TokenRead
from server.core.deps import ContextDep, SessionDep

router = APIRouter(prefix="/auth", tags=["auth"])


def _address(request: Request) -> str:
    # The peer as the server sees it; behind a proxy, uvicorn's --proxy-headers (with the proxy listed in
    # --forwarded-allow-ips) puts the client's address here. A header the client sets itself is not trusted.
    return request.client.host if request.client else "unknown"


def _token(sign_in: service.SignIn) -> TokenRead:
    return TokenRead(
        access_token=sign_in.access_token,
        expires_in=sign_in.expires_in,
        staff=StaffRead.model_validate(sign_in.staff),
    )


@router.post("/token")
def issue_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    context: ContextDep,
    throttle: ThrottleDep,
) -> TokenRead:
    """Sign in with staff id (username) and password; returns a bearer token for one shift.

    Failures slow down that staff id from this address (429 with a growing Retry-After), an address
    failing on many staff ids, and a staff id only under failures from many addresses."""
    result = service.sign_in(
        session,
        key=context.keys.jwt,
        minutes=context.settings.token_minutes,
        throttle=throttle,
        login=form.username,
        password=form.password,
        address=_address(request),
    )
    return _token(result)


@router.get("/me")
def me(staff: CurrentStaff) -> StaffRead:
    """The signed-in staff member and their roles."""
    return StaffRead.model_validate(staff)


@router.post("/password")
def change_password(
    request: Request,
    body: PasswordChange,
    staff: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    throttle: ThrottleDep,
) -> TokenRead:
    """Change one's own password; every earlier token is revoked and a fresh one is returned."""
    service.change_password(
        session,
        staff,
        old_password=body.old_password,
        new_password=body.new_password,
        throttle=throttle,
        address=_address(request),
    )
    return _token(service.token_for(staff, key=context.keys.jwt, minutes=context.settings.token_minutes))
