"""Loyalty over HTTP: configuration (admin), a member's points ledger, redemptions, benefit uses."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, status
from fastapi.responses import JSONResponse

from server.auth.deps import CurrentStaff
from server.auth.roles import Role
from server.auth.scope import TILL_ROLES, require, till_store
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import ContextDep, SessionDep
from server.core.errors import InvalidInput
from server.core.idempotency import request_key
from server.core.pagination import Page, PageDep
from server.core.words import counted
from server.loyalty import repository as repo
from server.loyalty.activity_service import PointsAward, check_in, record_activity
from server.loyalty.benefit_service import use_benefit
from server.loyalty.config import save_setting, setting
from server.loyalty.redemption import RedemptionResult, redeem_points
from server.loyalty.schemas import (
    ActivityCreate,
    BenefitUsageRead,
    BenefitUse,
    CheckInCreate,
    ExpiringRead,
    PointsAwardRead,
    PointsEntryRead,
    PointsLedgerRead,
    RedemptionCreate,
    RedemptionRead,
    SettingRead,
)
from server.loyalty.service import points_summary
from server.members.access import member_for

router = APIRouter(tags=["loyalty"])
SettingKey = Literal["tiers", "earn", "redemption", "activities"]
CONFIG_READERS = frozenset({Role.ADMIN, Role.HQ_ANALYST})
BENEFIT_ROLES = TILL_ROLES | {Role.VIP_CONSULTANT}
# Who records that a member checked in or took part: anyone serving them in the store.
ACTIVITY_ROLES = TILL_ROLES | {Role.VIP_CONSULTANT}


def _setting(session: SessionDep, key: str) -> SettingRead:
    found = setting(session, key)
    return SettingRead(key=key, version=found.version, updated_at=found.updated_at, value=found.value)


@router.get("/loyalty/config/{key}")
def get_setting(key: SettingKey, caller: CurrentStaff, session: SessionDep) -> SettingRead:
    """The tier ladder, earn, redemption or activity rules in force (admin or hq_analyst)."""
    require(caller, CONFIG_READERS)
    return _setting(session, key)


@router.put("/loyalty/config/{key}")
def put_setting(
    key: SettingKey,
    value: Annotated[dict[str, Any], Body()],
    caller: CurrentStaff,
    session: SessionDep,
    now: NowDep,
) -> SettingRead:
    """Replace one part of the configuration (admin); 422 says which field is wrong and why."""
    require(caller, {Role.ADMIN})
    save_setting(session, key, value, now, caller.id)
    return _setting(session, key)


@router.get("/members/{member_id}/points")
def points_ledger(
    member_id: Id, caller: CurrentStaff, session: SessionDep, now: NowDep, page: PageDep
) -> PointsLedgerRead:
    """The member's balance, spendable points, what expires within 30 days, and a page of the ledger."""
    member_for(session, caller, member_id)
    summary = points_summary(session, member_id, now)
    rows, total = repo.ledger_page(session, member_id, page.limit, page.offset)
    return PointsLedgerRead(
        balance=summary.balance,
        available=summary.available,
        debt=summary.debt,
        value=summary.value,
        expiring=[ExpiringRead(on=day, points=p) for day, p in summary.expiring],
        entries=Page(
            items=[
                PointsEntryRead(
                    id=e.id,
                    kind=e.kind,
                    points=e.points,
                    occurred_at=e.occurred_at,
                    expires_on=e.expires_on,
                    transaction_id=e.transaction_id,
                    store_id=e.store_id,
                    note=e.note,
                )
                for e in rows
            ],
            total=total,
            limit=page.limit,
            offset=page.offset,
        ),
    )


def _redemption(result: RedemptionResult) -> RedemptionRead:
    detail = {
        "redeemed": f"{counted(result.points, 'point')} redeemed ({result.value})",
        "code_sent": "a code was sent to the member: repeat the call with it",
        "wrong_code": f"wrong code: {result.attempts_left} attempt(s) left",
    }[result.status]
    return RedemptionRead(**vars(result), detail=detail)


@router.post(
    "/members/{member_id}/redemptions",
    responses={
        202: {"description": "A code was sent to the member.", "model": RedemptionRead},
        422: {"description": "Wrong code (or a request that is not valid).", "model": RedemptionRead},
    },
    response_model=RedemptionRead,
)
def redeem(
    member_id: Id,
    body: RedemptionCreate,
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> Any:
    """Spend points at the till; at or above the code threshold the first call sends the member a code."""
    key = request_key(body.idempotency_key, idempotency_key)
    require(caller, TILL_ROLES, body.store_id)
    member_for(session, caller, member_id)
    code = body.code.strip() if body.code else None
    result = redeem_points(
        session, context.keys, member_id, body.points, key, now, code, body.store_id, caller.id
    )
    read = _redemption(result)
    if result.status == "redeemed":
        return read
    # A wrong code is an answer, not an error: the attempt it used must be committed with the request.
    code_status = status.HTTP_202_ACCEPTED if result.status == "code_sent" else 422
    return JSONResponse(read.model_dump(mode="json"), status_code=code_status)


@router.post("/members/{member_id}/benefits/{code}/use", status_code=status.HTTP_201_CREATED)
def use(
    member_id: Id, code: str, body: BenefitUse, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> BenefitUsageRead:
    """Record one use of a benefit; 422 when the member's tier or remaining quota does not allow it."""
    store_id = till_store(caller, body.store_id)
    if store_id is None:
        raise InvalidInput("store_id: say which store the benefit is used in")
    require(caller, BENEFIT_ROLES, store_id)
    member_for(session, caller, member_id)
    usage = use_benefit(
        session, member_id, code, now, body.idempotency_key, caller.id, store_id, body.transaction_id
    )
    return BenefitUsageRead(
        id=usage.id,
        benefit=code,
        member_id=usage.member_id,
        used_at=usage.used_at,
        store_id=usage.store_id,
        staff_id=usage.staff_id,
        transaction_id=usage.transaction_id,
    )


def _store_for(caller: CurrentStaff, store_id: int | None, what: str) -> int:
    found = till_store(caller, store_id)
    if found is None:
        raise InvalidInput(f"store_id: say which store the member {what}")
    require(caller, ACTIVITY_ROLES, found)
    return found


def _award(
    session: SessionDep, member_id: int, award: PointsAward, now: NowDep, what: str
) -> PointsAwardRead:
    summary = points_summary(session, member_id, now)
    entry = award.entry
    detail = (
        f"already recorded: {what} earns points once"
        if award.replayed
        else f"{counted(entry.points, 'point')} for {what}"
        + (f", day {award.streak} in a row" if award.streak > 1 else "")
    )
    return PointsAwardRead(
        entry_id=entry.id,
        points=entry.points,
        streak=award.streak,
        bonus=award.bonus,
        expires_on=entry.expires_on,
        available=summary.available,
        replayed=award.replayed,
        detail=detail,
    )


@router.post("/members/{member_id}/check-ins", status_code=status.HTTP_201_CREATED)
def member_check_in(
    member_id: Id, body: CheckInCreate, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> PointsAwardRead:
    """The member's daily check-in (签到): points once a day in the store's time zone, a bonus for streaks."""
    store_id = _store_for(caller, body.store_id, "checks in at")
    member_for(session, caller, member_id)
    award = check_in(session, member_id, store_id, now, caller.id, "staff")
    return _award(session, member_id, award, now, "today's check-in")


@router.post("/members/{member_id}/activities", status_code=status.HTTP_201_CREATED)
def member_activity(
    member_id: Id, body: ActivityCreate, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> PointsAwardRead:
    """Points for an event attended or a survey answered; once per member and event or survey."""
    store_id = _store_for(caller, body.store_id, "took part in")
    member_for(session, caller, member_id)
    award = record_activity(session, member_id, body.kind, body.reference.strip(), store_id, now, caller.id)
    return _award(session, member_id, award, now, f"{body.kind.replace('_', ' ')} {body.reference.strip()!r}")
