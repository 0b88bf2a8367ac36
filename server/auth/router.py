"""POST /auth/token (sign in), GET /auth/me, POST /auth/password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from server.auth import service
from server.auth.deps import CurrentStaff, ThrottleDep
from server.auth.schemas import PasswordChange, TokenRead
from server.core.deps import ContextDep, SessionDep
from server.staff.schemas import StaffRead

router = APIRouter(prefix="/auth", tags=["auth"])


def _token(sign_in: service.SignIn) -> TokenRead:
    return TokenRead(
        access_token=sign_in.access_token,
        expires_in=sign_in.expires_in,
        staff=StaffRead.model_validate(sign_in.staff),
    )


@router.post("/token")
def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    context: ContextDep,
    throttle: ThrottleDep,
) -> TokenRead:
    """Sign in with staff id (username) and password; returns a bearer token for one shift."""
    result = service.sign_in(
        session,
        key=context.keys.jwt,
        minutes=context.settings.token_minutes,
        throttle=throttle,
        login=form.username,
        password=form.password,
    )
    return _token(result)


@router.get("/me")
def me(staff: CurrentStaff) -> StaffRead:
    """The signed-in staff member and their roles."""
    return StaffRead.model_validate(staff)


@router.post("/password")
def change_password(
    body: PasswordChange,
    staff: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    throttle: ThrottleDep,
) -> TokenRead:
    """Change one's own password; every earlier token is revoked and a fresh one is returned."""
    service.change_password(
        session, staff, old_password=body.old_password, new_password=body.new_password, throttle=throttle
    )
    return _token(service.token_for(staff, key=context.keys.jwt, minutes=context.settings.token_minutes))
