"""POST /members, GET /members, GET /members/{id}, PATCH /members/{id}, PUT /members/{id}/interests."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, status

from server.auth.deps import CurrentStaff
from server.core.bounds import Id
from server.core.deps import ContextDep, SessionDep
from server.core.pagination import Page, PageDep
from server.members import service
from server.members.deps import LookupLimitDep
from server.members.schemas import MemberCreate, MemberInterests, MemberRead, MemberUpdate

router = APIRouter(prefix="/members", tags=["members"])


def _read(v: service.MemberView) -> MemberRead:
    m = v.member
    return MemberRead(
        id=m.id,
        name=m.name,
        phone=v.phone,
        phone_masked=v.phone_masked,
        gender=m.gender,
        birthday=m.birthday,
        card_number=m.card_number,
        qr_token=m.qr_token,
        home_store_id=m.home_store_id,
        joined_on=m.joined_on,
        marketing_consent=m.marketing_consent,
        locale=m.locale,
        interests=list(v.interests),
        created_at=m.created_at,
        updated_at=m.updated_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def create_member(
    body: MemberCreate, caller: CurrentStaff, session: SessionDep, context: ContextDep
) -> MemberRead:
    """Enrol a member in a store the caller works in; 409 names the duplicate phone or card."""
    created = service.create_member_as(
        session, context.keys, caller, region=context.settings.default_phone_region, **body.model_dump()
    )
    return _read(created)


@router.get("")
def search_members(
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    page: PageDep,
    limit: LookupLimitDep,
    store_id: Id | None = None,
    q: str | None = None,
) -> Page[MemberRead]:
    """Members of a store (or every store the caller sees), by name, card number, QR token or phone.

    A `q` of five digits or more is a phone or card look-up: it counts against the look-up limit (429)
    and is audited."""
    views, total = service.search_members_as(
        session,
        context.keys,
        caller,
        region=context.settings.default_phone_region,
        store_id=store_id,
        q=q,
        page=page,
        limit=limit,
    )
    return Page(items=[_read(v) for v in views], total=total, limit=page.limit, offset=page.offset)


@router.get("/{member_id}")
def get_member(member_id: Id, caller: CurrentStaff, session: SessionDep, context: ContextDep) -> MemberRead:
    """One member of a store the caller works in; the phone is masked unless they manage that store."""
    member = service.get_member_as(session, caller, member_id)
    return _read(service.with_interests(session, [service.view(context.keys, caller, member)])[0])


@router.patch("/{member_id}")
def update_member(
    member_id: Id, body: MemberUpdate, caller: CurrentStaff, session: SessionDep, context: ContextDep
) -> MemberRead:
    """Edit name, phone, gender, birthday, consent or locale; fields left out are unchanged."""
    changes = cast(service.MemberChanges, body.model_dump(exclude_unset=True))
    updated = service.update_member_as(
        session,
        context.keys,
        caller,
        member_id,
        region=context.settings.default_phone_region,
        changes=changes,
    )
    return _read(updated)


@router.put("/{member_id}/interests")
def set_member_interests(
    member_id: Id, body: MemberInterests, caller: CurrentStaff, session: SessionDep, context: ContextDep
) -> MemberRead:
    """Replace the member's interests (catalogue categories by key or label); 422 naming an unknown one."""
    updated = service.set_interests_as(session, context.keys, caller, member_id, body.interests)
    return _read(updated)
