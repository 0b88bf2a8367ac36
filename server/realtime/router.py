"""WS /ws/floor: the live floor socket (sign in with the bearer subprotocol or a first auth frame, replay
with ?since=, stand in ?store_id=)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool

from server.core.context import AppContext
from server.realtime.access import (
    AUTH_FRAME_SECONDS,
    NOT_SIGNED_IN,
    Admission,
    Refused,
    admit,
    answered_subprotocol,
    auth_frame_token,
    parse_query,
)
from server.realtime.events import UNAUTHENTICATED
from server.realtime.service import Floor
from server.realtime.stream import FloorConnection, Unreadable, parse_frame

router = APIRouter(tags=["live floor"])
# Standard "internal error": the server cannot serve the floor at all.
_NOT_RUNNING = 1011


@router.websocket("/ws/floor")
async def floor_socket(websocket: WebSocket) -> None:
    """Stream the caller's floor events: a replay from `since`, then live ones (see realtime.events)."""
    offered: list[str] = websocket.scope.get("subprotocols") or []
    # Accept before checking: a refusal is only readable by the client as a close code after a handshake.
    await websocket.accept(subprotocol=answered_subprotocol(offered))
    context: AppContext = websocket.app.state.context
    floor: Floor | None = getattr(websocket.app.state, "floor", None)
    try:
        if floor is None:
            raise Refused(_NOT_RUNNING, "the live floor is not running on this server")
        query = parse_query(websocket.query_params, websocket.headers.get("authorization"), offered)
        sent = query.token or await _auth_frame(websocket)
        if sent is None:
            return  # gone before signing in
        token: str = sent

        def check(store_id: int | None) -> Admission:
            with context.sessions() as session:
                return admit(session, context.keys.jwt, token, store_id)

        admission = await run_in_threadpool(check, query.store_id)
    except Refused as exc:
        await websocket.close(code=exc.code, reason=exc.reason)
        return

    def recheck() -> Admission:
        # The socket stays on the floor it joined (or on none), whatever the default is by now.
        return replace(check(admission.store_id), store_id=admission.store_id)

    await FloorConnection(websocket, floor, admission, query.since, recheck).run()


async def _auth_frame(websocket: WebSocket) -> str | None:
    """The token of the socket's first frame, {"type": "auth", "token": …}; None if the client left."""
    try:
        async with asyncio.timeout(AUTH_FRAME_SECONDS):
            message = await websocket.receive()
    except TimeoutError:
        raise Refused(UNAUTHENTICATED, NOT_SIGNED_IN) from None
    if message["type"] == "websocket.disconnect":
        return None
    frame = parse_frame(message.get("text") or message.get("bytes"))
    return auth_frame_token({} if isinstance(frame, Unreadable) else frame)
