"""POST /stores/{store_id}/arrivals: a member walked in; the floor and their consultants are told."""

from __future__ import annotations

from fastapi import APIRouter, status

from server.arrivals import service
from server.arrivals.schemas import ArrivalCreate, ArrivalRead
from server.auth.deps import CurrentStaff
from server.core.clock import NowDep
from server.core.deps import ContextDep, RecommenderDep, SessionDep
from server.profile.router import LookupLimitDep
from server.realtime.service import FloorDep

router = APIRouter(tags=["arrivals"])


@router.post("/stores/{store_id}/arrivals", status_code=status.HTTP_202_ACCEPTED)
def arrival(
    store_id: int,
    body: ArrivalCreate,
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    floor: FloorDep,
    rec: RecommenderDep,
    now: NowDep,
    limit: LookupLimitDep,
) -> ArrivalRead:
    """Identify the member (exactly one of phone, card, qr or member_id) and push `member.arrived`."""
    arrival = service.Arrival(
        caller=caller,
        store_id=store_id,
        now=now,
        window_days=context.settings.attribution_days,
        limit=limit,
    )
    return service.announce_arrival(session, context, floor, rec, arrival, body)
