"""Signing in, checking tokens and changing passwords."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session

from server.auth import policy, repository
from server.auth.passwords import hash_password, verify_password
from server.auth.scope import grants
from server.auth.throttle import LoginThrottle
from server.auth.tokens import TokenClaims, decode_token, issue_token
from server.core.errors import Forbidden, InvalidInput, Unauthorized
from server.db.tables import Staff

# One message for an unknown login and a wrong password, so sign-in does not reveal who has an account.
BAD_CREDENTIALS = "incorrect staff id or password"
MIN_PASSWORD = 8
MAX_PASSWORD = 128


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the bearer token, its lifetime in seconds, and who it is for."""

    access_token: str
    expires_in: int
    staff: Staff


def normalise_login(login: str) -> str:
    """Logins are compared without case or surrounding spaces ('Alice ' signs in as 'alice')."""
    return login.strip().lower()


def check_password_policy(password: str) -> None:
    """InvalidInput (422) unless the password is 8 to 128 characters long."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"a password may have at most {MAX_PASSWORD} characters")


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password("decoy-password-never-used")


def authenticate(session: Session, login: str, password: str) -> Staff:
    """The staff account for these credentials; 401 when either is wrong, 403 when the account is disabled."""
    staff = repository.staff_by_login(session, normalise_login(login))
    if staff is None:
        # Spend the same time as a real check, so response time does not reveal unknown logins.
        verify_password(password, _decoy_hash())
        raise Unauthorized(BAD_CREDENTIALS)
    if not verify_password(password, staff.password_hash):
        raise Unauthorized(BAD_CREDENTIALS)
    if not staff.active:
        raise Forbidden("this staff account is disabled; ask a store manager or admin to re-enable it")
    return staff


def sign_in(
    session: Session,
    *,
    key: bytes,
    minutes: int,
    throttle: LoginThrottle,
    login: str,
    password: str,
    address: str,
) -> SignIn:
    """Check the credentials (refusing a throttled login or `address` first); a token valid for `minutes`."""
    throttle.check(login, address)
    try:
        staff = authenticate(session, login, password)
    except Unauthorized:
        throttle.failed(login, address)
        raise
    throttle.succeeded(login, address)
    return token_for(staff, key=key, minutes=minutes)


def token_for(staff: Staff, *, key: bytes, minutes: int) -> SignIn:
    """A fresh token for `staff` at their current token version."""
    token = issue_token(key, staff_id=staff.id, version=staff.token_version, minutes=minutes)
    return SignIn(access_token=token, expires_in=minutes * 60, staff=staff)


def staff_for_token(session: Session, key: bytes, token: str) -> Staff:
    """The staff account a bearer token stands for; 401 when expired, tampered with or revoked."""
    return staff_for_claims(session, decode_token(key, token))


def staff_for_claims(session: Session, claims: TokenClaims) -> Staff:
    """The staff account of a token already decoded; 401 when it was revoked or the account disabled,
    403 when none of its roles may call the operation the token was presented to (server.auth.policy)."""
    staff = repository.staff_by_id(session, claims.staff_id)
    if staff is None or staff.token_version != claims.version:
        raise Unauthorized("token revoked: sign in again")
    if not staff.active:
        raise Unauthorized("this staff account is disabled")
    if claims.operation is not None:
        policy.authorize(frozenset(role for role, _ in grants(staff)), claims.operation)
    return staff


def revoke_tokens(staff: Staff) -> None:
    """Invalidate every token issued to `staff` so far."""
    staff.token_version = (staff.token_version or 0) + 1


def set_password(staff: Staff, password: str) -> None:
    """Store a new password for `staff` (policy checked) and revoke their existing tokens."""
    check_password_policy(password)
    staff.password_hash = hash_password(password)
    revoke_tokens(staff)


def change_password(
    session: Session,
    staff: Staff,
    *,
    old_password: str,
    new_password: str,
    throttle: LoginThrottle,
    address: str,
) -> None:
    """A staff member changes their own password; every earlier token stops working."""
    throttle.check(staff.login, address)
    if not verify_password(old_password, staff.password_hash):
        throttle.failed(staff.login, address)
        raise Forbidden("the current password is incorrect")
    if new_password == old_password:
        raise InvalidInput("the new password must differ from the current one")
    set_password(staff, new_password)
    session.flush()
