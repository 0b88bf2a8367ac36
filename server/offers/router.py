"""POST and GET /members/{id}/offers: reactivation offers issued to dormant members."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from server.auth.deps import CurrentStaff
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import ContextDep, SessionDep
from server.core.pagination import Page, PageDep
from server.offers import service
from server.offers.schemas import OfferCreate, OfferRead
from server.recommendations.deps import RecommenderDep

router = APIRouter(prefix="/members/{member_id}/offers", tags=["offers"])


def _read(issued: service.Issued) -> OfferRead:
    o = issued.offer
    return OfferRead(
        id=o.id,
        member_id=o.member_id,
        code=o.code,
        discount_percent=o.discount_percent,
        categories=list(o.categories),
        item_ids=list(o.item_ids),
        text=o.text,
        valid_until=o.valid_until,
        model_version=o.model_version,
        staff_id=o.staff_id,
        staff_name=issued.staff_name,
        store_id=o.store_id,
        issued_at=o.issued_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses={200: {"description": "A replayed key."}})
def issue_offer(
    member_id: Id,
    body: OfferCreate,
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    rec: RecommenderDep,
    now: NowDep,
    response: Response,
) -> OfferRead:
    """Issue a dormant member their reactivation offer with a code (409 when they are not dormant)."""
    issued = service.issue_offer(
        session,
        rec,
        caller,
        member_id,
        key=body.idempotency_key,
        now=now,
        valid_days=context.settings.offer_valid_days,
    )
    if issued.replayed:
        response.status_code = status.HTTP_200_OK
    return _read(issued)


@router.get("")
def list_offers(member_id: Id, caller: CurrentStaff, session: SessionDep, page: PageDep) -> Page[OfferRead]:
    """The offers issued to the member, newest first."""
    found, total = service.member_offers(session, caller, member_id, page)
    return Page(items=[_read(x) for x in found], total=total, limit=page.limit, offset=page.offset)
