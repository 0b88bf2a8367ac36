"""POST /stores/{store_id}/arrivals: a member walked in; the floor and their consultants are told."""

from __future__ import annotations

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from server.arrivals import service
from server.arrivals.schemas import ArrivalCreate, ArrivalRead
from server.auth.deps import TokenClaimsDep
from server.auth.service import staff_for_claims
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import ContextDep
from server.db.session import session_scope
from server.members.deps import LookupLimitDep
from server.realtime.service import FloorDep
from server.recommendations.deps import RecommenderDep

router = APIRouter(tags=["arrivals"])


@router.post("/stores/{store_id}/arrivals", status_code=status.HTTP_202_ACCEPTED)
async def arrival(
    store_id: Id,
    body: ArrivalCreate,
    claims: TokenClaimsDep,
    context: ContextDep,
    floor: FloorDep,
    rec: RecommenderDep,
    now: NowDep,
    limit: LookupLimitDep,
) -> ArrivalRead:
    """Identify the member (exactly one of phone, card, qr or member_id) and push `member.arrived`."""

    # The member is at the door: sign-in, the arrival and its commit run in one trip to the thread pool
    # (as separate dependencies they were four hand-overs, each a wait for the GIL under load).
    def announce() -> ArrivalRead:
        with session_scope(context.sessions) as session:
            how = service.Arrival(
                caller=staff_for_claims(session, claims),
                store_id=store_id,
                now=now,
                window_days=context.settings.attribution_days,
                limit=limit,
            )
            return service.announce_arrival(session, context, floor, rec, how, body)

    return await run_in_threadpool(announce)
