"""GET /members/{id}/recommendations, the chat endpoints, feedback and the attribution report."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Query

from server.auth.deps import CurrentStaff
from server.core.bounds import Id, Moment
from server.core.clock import NowDep
from server.core.deps import ContextDep, SessionDep
from server.recommendations import chat, service
from server.recommendations.deps import RecommenderDep
from server.recommendations.schemas import (
    AttributionRead,
    ChatLogRead,
    ChatRequest,
    ChatTurnRead,
    FeedbackCreate,
    FeedbackRead,
    RecommendationsRead,
)

router = APIRouter(tags=["recommendations"])
StoreQuery = Annotated[Id | None, Query(description="The store the clerk is in (default: their only store).")]


@router.get("/members/{member_id}/recommendations")
def recommendations(
    member_id: Id,
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    rec: RecommenderDep,
    now: NowDep,
    k: Annotated[int, Query(ge=1, le=service.MAX_K, description="How many suggestions.")] = 5,
    lang: Annotated[str | None, Query(max_length=10, description="en or zh; default the locale.")] = None,
    store_id: StoreQuery = None,
) -> RecommendationsRead:
    """What to suggest to the member now and why, talking points, and an offer if they are dormant."""
    return service.recommendations_for(
        session,
        rec,
        caller,
        member_id,
        k=k,
        lang=lang,
        store_id=store_id,
        now=now,
        window_days=context.settings.attribution_days,
    )


@router.post("/members/{member_id}/chat")
def chat_turn(
    member_id: Id,
    body: ChatRequest,
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    rec: RecommenderDep,
    now: NowDep,
    store_id: StoreQuery = None,
) -> ChatTurnRead:
    """One turn of the conversation ("gift for her mother under 30", then "cheaper", "not candles")."""
    return chat.chat_turn(
        session,
        rec,
        caller,
        member_id,
        message=body.message,
        session_id=body.session_id,
        lang=body.lang,
        store_id=store_id,
        now=now,
        window_days=context.settings.attribution_days,
    )


@router.get("/chat/{session_id}")
def chat_log(session_id: str, caller: CurrentStaff, session: SessionDep) -> ChatLogRead:
    """The conversation's log, turn by turn."""
    return chat.chat_log(session, caller, session_id)


@router.get("/recommendations/attribution")
def attribution(
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    store_id: Annotated[Id | None, Query(description="One store (managers); omit for the chain.")] = None,
    since: Annotated[Moment | None, Query(description="Recommendations shown from (ISO).")] = None,
) -> AttributionRead:
    """Shown, accepted and sold counts and attributed revenue per clerk and model version."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return service.attribution_report(session, caller, store_id, since, context.settings.attribution_days)


@router.post("/recommendations/{recommendation_id}/feedback")
def feedback(
    recommendation_id: Id, body: FeedbackCreate, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> FeedbackRead:
    """Mark a recommendation accepted, declined or sold (sending the same action again changes nothing)."""
    return service.give_feedback(session, caller, recommendation_id, body.action, now)
