"""GET /members/lookup and GET /members/{id}/profile (mounted before the members router)."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from server.auth.deps import CurrentStaff
from server.core.bounds import Id, Moment
from server.core.clock import NowDep
from server.core.deps import ContextDep, SessionDep
from server.members.deps import LookupLimitDep
from server.profile import service
from server.profile.schemas import MemberSummary, ProfileRead

router = APIRouter(prefix="/members", tags=["profile"])


@router.get("/lookup")
def lookup(
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    limit: LookupLimitDep,
    phone: Annotated[str | None, Query(max_length=40, description="Any common format.")] = None,
    card: Annotated[str | None, Query(max_length=40)] = None,
    qr: Annotated[
        str | None, Query(max_length=200, description="The token the member's QR code holds.")
    ] = None,
    store_id: Annotated[Id | None, Query(description="The store the look-up is made in.")] = None,
) -> MemberSummary:
    """Find a member of any store by exactly one of phone, card or QR code; 404 names what was not found."""
    return service.lookup_member(
        session,
        context.sessions,
        context.keys,
        caller,
        region=context.settings.default_phone_region,
        phone=phone,
        card=card,
        qr=qr,
        store_id=store_id,
        limit=limit,
        now=now,
    )


@router.get("/{member_id}/profile")
def profile(
    member_id: Id,
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    as_of: Annotated[
        Moment | None,
        Query(description="hq_analyst/admin: the profile as of this moment (ISO; UTC if no zone)."),
    ] = None,
    lang: Annotated[
        Literal["zh", "en"] | None, Query(description="The language of its words; else the caller's.")
    ] = None,
) -> ProfileRead:
    """The member's 360° view: tier, points, benefits, RFM, tags, persona, heat, consultants, purchases."""
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    return service.open_profile(session, context.keys, caller, member_id, now, as_of=as_of, lang=lang)
