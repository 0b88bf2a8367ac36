"""Who may open the live floor socket, and on which store's floor they stand.

Browsers cannot send headers with a WebSocket, so the token comes as `?token=`; a refusal is a close
code with a reason (4400 bad query, 4401 not signed in / expired / revoked, 4403 outside scope,
4404 unknown store) because that is all a WebSocket client can read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from server.auth.scope import grants, require_any_role, visible_store_ids
from server.auth.service import staff_for_token
from server.auth.tokens import decode_token
from server.core.errors import Forbidden, Unauthorized
from server.db.tables import Staff, Store
from server.realtime.events import BAD_REQUEST, FORBIDDEN, STORE_NOT_FOUND, UNAUTHENTICATED

# RFC 6455 allows 123 bytes of close reason.
_REASON_BYTES = 123


class Refused(Exception):
    """The socket must be closed with `code` and `reason`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason.encode()[:_REASON_BYTES].decode(errors="ignore")


@dataclass(frozen=True)
class FloorQuery:
    """The socket's query: the token, the last seq the client saw, the store it asks to stand in."""

    token: str
    since: int | None
    store_id: int | None


@dataclass(frozen=True)
class Admission:
    """A signed-in staff member and the floor they stand on (None: personal events only)."""

    staff_id: int
    store_id: int | None
    token_expires_at: datetime


def _number(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Refused(BAD_REQUEST, f"{name}={raw[:20]!r} must be a whole number of 0 or more")
    return int(raw)


def parse_query(params: Mapping[str, str], authorization: str | None) -> FloorQuery:
    """The socket's query; Refused 4401 without a token, 4400 for a malformed number."""
    token = params.get("token") or ""
    if not token and authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    if not token:
        raise Refused(UNAUTHENTICATED, "not signed in: connect with ?token=<access token from /auth/token>")
    return FloorQuery(token=token, since=_number(params, "since"), store_id=_number(params, "store_id"))


def default_store(staff: Staff) -> int | None:
    """The floor a staff member stands on when they name none: their store if they work in exactly one."""
    pairs = grants(staff)
    if any(scope is None for _, scope in pairs):
        return None
    stores = {scope for _, scope in pairs}
    return stores.pop() if len(stores) == 1 else None


def admit(session: Session, key: bytes, token: str, store_id: int | None) -> Admission:
    """Check the token (as the HTTP endpoints do) and the requested store; Refused when not allowed."""
    try:
        claims = decode_token(key, token)
        staff = staff_for_token(session, key, token)
        require_any_role(staff)
    except Unauthorized as exc:
        raise Refused(UNAUTHENTICATED, exc.message) from exc
    except Forbidden as exc:
        raise Refused(FORBIDDEN, exc.message) from exc
    if store_id is None:
        store_id = default_store(staff)
    else:
        if session.get(Store, store_id) is None:
            raise Refused(STORE_NOT_FOUND, f"store {store_id} does not exist")
        visible = visible_store_ids(staff)
        if visible is not None and store_id not in visible:
            raise Refused(FORBIDDEN, f"you hold no role in store {store_id}, so cannot stand on its floor")
    return Admission(staff_id=staff.id, store_id=store_id, token_expires_at=claims.expires_at)
