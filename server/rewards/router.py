"""The rewards catalogue (HQ keeps it; the floor reads it) and points exchanges at the till."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response, status
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
from server.db.tables import Reward, RewardExchange
from server.loyalty.service import points_summary
from server.members.access import member_for
from server.rewards import repository as repo
from server.rewards import service
from server.rewards.schemas import (
    ExchangeCancel,
    ExchangeCreate,
    ExchangeRead,
    RewardCreate,
    RewardRead,
    RewardUpdate,
)

router = APIRouter(tags=["rewards"])
Lang = Literal["en", "zh"]
EDITORS = frozenset({Role.ADMIN})
# Handing over a gift or taking an exchange back happens at the till or by the member's consultant.
EXCHANGE_ROLES = TILL_ROLES | {Role.VIP_CONSULTANT}


def _reward_read(r: Reward, lang: str, reason: str | None = None, member: bool = False) -> RewardRead:
    return RewardRead(
        id=r.id,
        code=r.code,
        kind=r.kind,
        name=service.reward_name(r, lang),
        name_en=r.name_en,
        name_zh=r.name_zh,
        points=r.points,
        stock=r.stock,
        exchanged=r.exchanged,
        product_id=r.product_id,
        coupon_template_id=r.coupon_template_id,
        store_ids=list(r.store_ids),
        tiers=list(r.tiers),
        per_member_limit=r.per_member_limit,
        valid_from=r.valid_from,
        valid_until=r.valid_until,
        active=r.active,
        version=r.version,
        updated_at=r.updated_at,
        available=(reason is None) if member else None,
        reason=reason,
    )


@router.get("/rewards")
def list_rewards(
    caller: CurrentStaff,
    session: SessionDep,
    now: NowDep,
    store_id: Annotated[Id | None, Query(description="Only what this store offers.")] = None,
    member_id: Annotated[
        Id | None, Query(description="Say what this member can exchange now, and why not.")
    ] = None,
    include_inactive: bool = False,
    lang: Lang | None = None,
) -> list[RewardRead]:
    """The rewards catalogue, cheapest first; with `member_id`, each entry says whether they can have it."""
    if include_inactive:
        require(caller, EDITORS | {Role.HQ_ANALYST})
    rewards = repo.catalogue(session, active_only=not include_inactive)
    if store_id is not None:
        rewards = [r for r in rewards if not r.store_ids or store_id in r.store_ids]
    if member_id is None:
        return [_reward_read(r, lang or "en") for r in rewards]
    member = member_for(session, caller, member_id)
    where = till_store(caller, store_id) or member.home_store_id
    if where is None:
        raise InvalidInput("store_id: say which store the member is in")
    spendable = points_summary(session, member.id, now).available
    tier = service.member_tier(session, member.id)
    counts = repo.live_counts(session, member.id, [r.id for r in rewards])
    out = []
    for r in rewards:
        why = service.refusal(r, where, now.date(), tier, counts.get(r.id, 0))
        if why is None and spendable < r.points:
            why = f"needs {counted(r.points - spendable, 'more point')}"
        out.append(_reward_read(r, lang or (member.locale or "en")[:2], why, member=True))
    return out


@router.post("/rewards", status_code=status.HTTP_201_CREATED)
def create_reward(body: RewardCreate, caller: CurrentStaff, session: SessionDep, now: NowDep) -> RewardRead:
    """Add a gift or coupon to the rewards catalogue (admin); 422 names the field that is wrong."""
    require(caller, EDITORS)
    return _reward_read(service.create_reward(session, body, caller, now), "en")


@router.put("/rewards/{reward_id}")
def update_reward(
    reward_id: Id, body: RewardUpdate, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> RewardRead:
    """Change a reward for future exchanges (a new version) and add to or take from its stock (admin)."""
    require(caller, EDITORS)
    return _reward_read(service.update_reward(session, reward_id, body, caller, now), "en")


def _exchange_read(
    row: RewardExchange, lang: str, replayed: bool = False, available: int | None = None, detail: str = ""
) -> ExchangeRead:
    return ExchangeRead(
        id=row.id,
        status=row.status,  # type: ignore[arg-type]
        reward_id=row.reward_id,
        member_id=row.member_id,
        name=service.reward_name(row, lang),
        points=row.points,
        available=available,
        store_id=row.store_id,
        coupon_id=row.coupon_id,
        created_at=row.created_at,
        collected_at=row.collected_at,
        cancelled_at=row.cancelled_at,
        replayed=replayed,
        detail=detail or row.status.replace("_", " "),
    )


@router.post(
    "/members/{member_id}/reward-exchanges",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "A replayed key: the exchange made the first time."},
        202: {
            "description": "A code was sent to the member: repeat the call with it.",
            "model": ExchangeRead,
        },
        422: {"description": "Wrong code (or a request that is not valid).", "model": ExchangeRead},
    },
    response_model=ExchangeRead,
)
def exchange(
    member_id: Id,
    body: ExchangeCreate,
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=80)] = None,
) -> Any:
    """Exchange points for a reward (积分兑换); a large exchange first sends the member a code."""
    key = request_key(body.idempotency_key, idempotency_key)
    store_id = till_store(caller, body.store_id)
    if store_id is None:
        raise InvalidInput("store_id: say which store the member exchanges in")
    require(caller, TILL_ROLES, store_id)
    member = member_for(session, caller, member_id)
    lang = (member.locale or "en")[:2]
    code = body.code.strip() if body.code else None
    done = service.exchange(
        session,
        context.keys,
        caller,
        member.id,
        body.reward_id,
        store_id,
        key=key,
        code=code,
        handed_over=body.handed_over,
        now=now,
    )
    name = service.reward_name(done.reward, lang)
    if done.exchange is not None:
        left = points_summary(session, member.id, now).available
        if done.replayed:
            response.status_code = status.HTTP_200_OK
        detail = f"{counted(done.exchange.points, 'point')} exchanged for {name}" + (
            "" if done.exchange.status == "collected" else ": to collect in store"
        )
        return _exchange_read(done.exchange, lang, done.replayed, left, detail)
    result = done.redemption
    assert result is not None
    read = ExchangeRead(
        id=None,
        status=result.status,  # type: ignore[arg-type]
        reward_id=done.reward.id,
        member_id=member.id,
        name=name,
        points=result.points,
        value=result.value,
        available=result.available,
        store_id=store_id,
        attempts_left=result.attempts_left,
        detail="a code was sent to the member: repeat the call with it"
        if result.status == "code_sent"
        else f"wrong code: {result.attempts_left} attempt(s) left",
    )
    # A wrong code is an answer, not an error: the attempt it used is committed with the request.
    code_status = status.HTTP_202_ACCEPTED if result.status == "code_sent" else 422
    return JSONResponse(read.model_dump(mode="json"), status_code=code_status)


@router.get("/members/{member_id}/reward-exchanges")
def member_exchanges(
    member_id: Id, caller: CurrentStaff, session: SessionDep, page: PageDep
) -> Page[ExchangeRead]:
    """The member's exchanges, newest first: what is waiting to be collected, collected or cancelled."""
    member = member_for(session, caller, member_id)
    rows, total = repo.member_page(session, member.id, page.limit, page.offset)
    lang = (member.locale or "en")[:2]
    return Page(
        items=[_exchange_read(r, lang) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


def _for_store(session: SessionDep, caller: CurrentStaff, exchange_id: int) -> RewardExchange:
    row = service.exchange_row(session, exchange_id)
    require(caller, EXCHANGE_ROLES, row.store_id)
    member_for(session, caller, row.member_id)
    return row


@router.post("/reward-exchanges/{exchange_id}/collect")
def collect(exchange_id: Id, caller: CurrentStaff, session: SessionDep, now: NowDep) -> ExchangeRead:
    """The member picks up an exchanged gift in the store where they exchanged it."""
    row = _for_store(session, caller, exchange_id)
    changed = service.collect(session, row, caller, now)
    return _exchange_read(row, "en", replayed=not changed, detail="handed over")


@router.post("/reward-exchanges/{exchange_id}/cancel")
def cancel(
    exchange_id: Id, body: ExchangeCancel, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> ExchangeRead:
    """Cancel an exchange not yet handed over: the points and the stock come back."""
    row = _for_store(session, caller, exchange_id)
    changed = service.cancel(session, row, caller, body.reason.strip(), now)
    left = points_summary(session, row.member_id, now).available
    detail = f"cancelled: {counted(row.points, 'point')} given back"
    return _exchange_read(row, "en", replayed=not changed, available=left, detail=detail)
