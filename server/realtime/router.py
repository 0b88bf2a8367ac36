"""WS /ws/floor: the live floor socket (sign in with ?token=, replay with ?since=, stand in ?store_id=)."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool

from server.core.context import AppContext
from server.realtime.access import Admission, Refused, admit, parse_query
from server.realtime.service import Floor
from server.realtime.stream import FloorConnection

router = APIRouter(tags=["live floor"])
# Standard "internal error": the server cannot serve the floor at all.
_NOT_RUNNING = 1011


@router.websocket("/ws/floor")
async def floor_socket(websocket: WebSocket) -> None:
    """Stream the caller's floor events: a replay from `since`, then live ones (see realtime.events)."""
    # Accept before checking: a refusal is only readable by the client as a close code after a handshake.
    await websocket.accept()
    context: AppContext = websocket.app.state.context
    floor: Floor | None = getattr(websocket.app.state, "floor", None)
    try:
        if floor is None:
            raise Refused(_NOT_RUNNING, "the live floor is not running on this server")
        query = parse_query(websocket.query_params, websocket.headers.get("authorization"))

        def check(store_id: int | None) -> Admission:
            with context.sessions() as session:
                return admit(session, context.keys.jwt, query.token, store_id)

        admission = await run_in_threadpool(check, query.store_id)
    except Refused as exc:
        await websocket.close(code=exc.code, reason=exc.reason)
        return

    def recheck() -> Admission:
        # The socket stays on the floor it joined (or on none), whatever the default is by now.
        return replace(check(admission.store_id), store_id=admission.store_id)

    await FloorConnection(websocket, floor, admission, query.since, recheck).run()
