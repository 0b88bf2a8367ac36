"""The conversation over the floor socket: a phone sends {"type": "chat", ...} and gets the turn back.

The same turn as POST /members/{id}/chat, without an HTTP round trip per message: the clerk's phone
already holds the socket. Request frame: {"type": "chat", "ref": <any, echoed>, "member_id": int,
"message": str, "session_id": str | null, "lang": "en" | "zh" | null}. Reply: {"type": "chat", "ref",
"turn": ChatTurnRead}; a refusal is {"type": "error", "ref", "status", "detail"} with the status the
HTTP endpoint would have answered.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from server.core.bounds import Id
from server.core.clock import app_now
from server.core.errors import Unauthorized
from server.db.session import session_scope
from server.db.tables import Staff
from server.realtime.service import FrameCall
from server.recommendations import chat
from server.recommendations.deps import get_recommender
from server.recommendations.engine import Engine, holder_for
from server.recommendations.schemas import ChatRequest

FRAME_TYPE = "chat"


class FloorChatRequest(ChatRequest):
    """A chat turn asked over the floor socket: the HTTP request body plus the member."""

    member_id: Id


def _recommender(app: FastAPI) -> Engine:
    chosen = app.dependency_overrides.get(get_recommender)
    return chosen() if chosen is not None else holder_for(app.state.context).get()  # type: ignore[no-any-return]


def answer_chat(call: FrameCall) -> dict[str, Any]:
    """One chat turn for the socket's staff member (the same checks and storage as the HTTP endpoint)."""
    request = FloorChatRequest.model_validate(call.frame)
    context = call.app.state.context
    rec = _recommender(call.app)
    with session_scope(context.sessions) as session:
        caller = session.get(Staff, call.staff_id)
        if caller is None or not caller.active:
            raise Unauthorized("this account is no longer active; sign in again")
        turn = chat.chat_turn(
            session,
            rec,
            caller,
            request.member_id,
            message=request.message,
            session_id=request.session_id,
            lang=request.lang,
            store_id=call.store_id,
            now=app_now(call.app),
            window_days=context.settings.attribution_days,
        )
    return {"type": FRAME_TYPE, "turn": turn.model_dump(mode="json")}
