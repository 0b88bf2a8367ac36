"""Who may open the live floor socket, and on which store's floor they stand.

Browsers cannot send headers with a WebSocket, but a URL is written to every access log on its way
(12-hour tokens), so the token never comes in the query: a client offers the subprotocols
["aisle.v1", "bearer.<token>"] (the server answers "aisle.v1"), or sends {"type": "auth", "token": …} as
its first frame; a client that can send headers may use `Authorization: Bearer`. A refusal is a close
code with a reason (4400 bad query, 4401 not signed in / expired / revoked, 4403 outside scope,
4404 unknown store) because that is all a WebSocket client can read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.auth.policy import WEBSOCKET, authorize
from server.auth.scope import grants, require_any_role, visible_store_ids
from server.auth.service import staff_for_token
from server.auth.tokens import decode_token
from server.core.errors import Forbidden, Unauthorized
from server.db.tables import Staff, Store
from server.realtime.events import BAD_REQUEST, FORBIDDEN, STORE_NOT_FOUND, UNAUTHENTICATED

# RFC 6455 allows 123 bytes of close reason.
_REASON_BYTES = 123
# The protocol the floor speaks, named in Sec-WebSocket-Protocol; a token offered beside it has this prefix.
SUBPROTOCOL = "aisle.v1"
BEARER = "bearer."
AUTH_FRAME = "auth"
# How long a socket that brought no token may take to send its auth frame.
AUTH_FRAME_SECONDS = 10.0
NOT_SIGNED_IN = 'not signed in: offer subprotocol bearer.<token> or send {"type":"auth","token":…} first'
TOKEN_IN_URL = (
    "token in the URL refused (URLs are logged): "
    'offer subprotocol bearer.<token> or send {"type":"auth"…} first'
)


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


def parse_query(
    params: Mapping[str, str], authorization: str | None, subprotocols: Sequence[str] = ()
) -> FloorQuery:
    """The socket's query and the token its handshake brought ("" when it comes in the first frame).

    Refused 4401 for a token in the URL (an old phone must not go on leaking it silently), 4400 for a
    malformed number.
    """
    if "token" in params:
        raise Refused(UNAUTHENTICATED, TOKEN_IN_URL)
    token = next((p[len(BEARER) :] for p in subprotocols if p.startswith(BEARER)), "")
    if not token and authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    return FloorQuery(token=token, since=_number(params, "since"), store_id=_number(params, "store_id"))


def answered_subprotocol(subprotocols: Sequence[str]) -> str | None:
    """The subprotocol to accept: ours when offered (never the bearer one, which would echo the token)."""
    return SUBPROTOCOL if SUBPROTOCOL in subprotocols else None


def auth_frame_token(frame: Mapping[str, Any]) -> str:
    """The token of a first frame {"type": "auth", "token": …}; Refused 4401 for any other frame."""
    token = frame.get("token")
    if frame.get("type") != AUTH_FRAME or not isinstance(token, str) or not token:
        raise Refused(UNAUTHENTICATED, NOT_SIGNED_IN)
    return token


def default_store(staff: Staff) -> int | None:
    """The floor a staff member stands on when they name none: their store if they work in exactly one."""
    pairs = grants(staff)
    if any(scope is None for _, scope in pairs):
        return None
    stores = {scope for _, scope in pairs}
    return stores.pop() if len(stores) == 1 else None


FLOOR_SOCKET = (WEBSOCKET, "/ws/floor")


def admit(session: Session, key: bytes, token: str, store_id: int | None) -> Admission:
    """Check the token (as the HTTP endpoints do) and the requested store; Refused when not allowed."""
    try:
        claims = decode_token(key, token)
        staff = staff_for_token(session, key, token)
        require_any_role(staff)
        authorize(frozenset(role for role, _ in grants(staff)), FLOOR_SOCKET)
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
