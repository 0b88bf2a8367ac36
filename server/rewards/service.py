"""The rewards catalogue (积分兑换) and exchanging points for a gift or a coupon.

An exchange is a points redemption through `redeem_points`, so it has the same guarantees: the member
is locked, the same idempotency key always gets the same answer, and a large exchange first sends the
member a one-time code. Under that lock the per-member limit is counted and one unit of stock is taken
by a single conditional update, so twenty clerks racing for the last gift hand out one. If either fails
the whole unit of work rolls back, points included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.core.crypto import Keys
from server.core.errors import Conflict, InvalidInput, NotFound
from server.core.words import counted
from server.coupons.service import hold_template, issue_coupon
from server.db.tables import CouponTemplate, MemberTier, PointsEntry, Product, Reward, RewardExchange, Staff
from server.loyalty import repository as loyalty_repo
from server.loyalty.activity_service import add_lot
from server.loyalty.config import load_config
from server.loyalty.redemption import RedemptionResult, redeem_points
from server.rewards import repository as repo
from server.rewards.schemas import RewardCreate, RewardUpdate

# A refunded point whose lot has expired, or is about to, stays usable this long.
REFUND_GRACE_DAYS = 30


def reward_name(reward: Reward | RewardExchange, lang: str) -> str:
    """The reward's name in `lang` ("zh" or "en"), the other language when that one is missing."""
    first, second = (reward.name_zh, reward.name_en) if lang == "zh" else (reward.name_en, reward.name_zh)
    return first or second


def _check_terms(session: Session, data: RewardCreate | RewardUpdate) -> None:
    minimum = load_config(session).redemption.min_points
    if data.points < minimum:
        # Exchanges are redemptions, and the programme redeems no fewer points at a time.
        raise InvalidInput(
            f"points: a reward costs at least {counted(minimum, 'point')} (the redemption minimum)"
        )
    ladder = load_config(session).ladder
    unknown = [t for t in data.tiers if t not in {tier.name for tier in ladder.tiers}]
    if unknown:
        raise InvalidInput(f"tiers: unknown tier(s) {', '.join(map(repr, unknown))}")


def create_reward(session: Session, data: RewardCreate, caller: Staff, now: datetime) -> Reward:
    """Add a reward to the catalogue (409 if its code is taken)."""
    _check_terms(session, data)
    if data.product_id is not None and session.get(Product, data.product_id) is None:
        raise InvalidInput(f"product_id: product {data.product_id} not found")
    if data.coupon_template_id is not None:
        template = session.get(CouponTemplate, data.coupon_template_id)
        if template is None:
            raise InvalidInput(f"coupon_template_id: coupon template {data.coupon_template_id} not found")
        if not template.active:
            raise InvalidInput(f"coupon_template_id: coupon template {template.id} is switched off")
    if repo.by_code(session, data.code) is not None:
        raise Conflict(f"a reward with code {data.code!r} exists already")
    reward = Reward(**data.model_dump(), exchanged=0, created_at=now, updated_at=now, updated_by_id=caller.id)
    try:
        with session.begin_nested():
            session.add(reward)
            session.flush()
    except IntegrityError:
        raise Conflict(f"a reward with code {data.code!r} exists already") from None
    return reward


def update_reward(
    session: Session, reward_id: int, data: RewardUpdate, caller: Staff, now: datetime
) -> Reward:
    """Change a reward's terms for future exchanges (a new version), and add to or take from its stock."""
    reward = _reward(session, reward_id)
    _check_terms(session, data)
    terms = data.model_dump(exclude={"stock_change", "unlimited"})
    for name, value in terms.items():
        setattr(reward, name, value)
    if data.unlimited is True:
        reward.stock = None
    elif data.unlimited is False and reward.stock is None:
        reward.stock = 0
    reward.version += 1
    reward.updated_at, reward.updated_by_id = now, caller.id
    session.flush()
    if data.stock_change:
        if reward.stock is None:
            raise InvalidInput("stock_change: this reward has no stock limit (set unlimited: false first)")
        if not repo.change_stock(session, reward.id, data.stock_change):
            session.refresh(reward)
            raise InvalidInput(f"stock_change: only {reward.stock} left, cannot take {-data.stock_change}")
    session.refresh(reward)
    return reward


def _reward(session: Session, reward_id: int) -> Reward:
    reward = session.get(Reward, reward_id)
    if reward is None:
        raise NotFound(f"reward {reward_id} not found")
    return reward


def member_tier(session: Session, member_id: int) -> str:
    """The member's tier (the lowest when never judged)."""
    state = session.get(MemberTier, member_id)
    return state.tier if state else load_config(session).ladder.lowest


def refusal(reward: Reward, store_id: int, today: date, tier: str, exchanged: int) -> str | None:
    """Why this member cannot exchange this reward here today, or None when they can (points aside)."""
    if not reward.active:
        return "no longer offered"
    if reward.valid_from and today < reward.valid_from:
        return f"offered from {reward.valid_from}"
    if reward.valid_until and today > reward.valid_until:
        return f"was offered until {reward.valid_until}"
    if reward.store_ids and store_id not in reward.store_ids:
        return "not offered in this store"
    if reward.tiers and tier not in reward.tiers:
        return f"for {', '.join(reward.tiers)} members only"
    if reward.per_member_limit is not None and exchanged >= reward.per_member_limit:
        return f"at most {reward.per_member_limit} per member, already exchanged"
    if reward.stock is not None and reward.stock <= 0:
        return "out of stock"
    return None


@dataclass(frozen=True)
class Exchanged:
    """The exchange made (or found again), or the redemption's answer while a code is awaited."""

    reward: Reward
    exchange: RewardExchange | None
    redemption: RedemptionResult | None
    replayed: bool = False


def exchange(
    session: Session,
    keys: Keys,
    caller: Staff,
    member_id: int,
    reward_id: int,
    store_id: int,
    *,
    key: str,
    code: str | None,
    handed_over: bool,
    now: datetime,
) -> Exchanged:
    """Exchange the member's points for a reward; a replayed key finds the first exchange."""
    ledger_key = f"reward:{key}"
    found = repo.exchange_by_key(session, ledger_key)
    if found is not None:
        if found.member_id != member_id or found.reward_id != reward_id:
            raise Conflict(f"idempotency key {key!r} was used for another exchange")
        return Exchanged(_reward(session, found.reward_id), found, None, replayed=True)
    reward = _reward(session, reward_id)
    if reward.coupon_template_id is not None:
        hold_template(session, reward.coupon_template_id)  # template before member, as issuing does
    today = now.date()
    why = refusal(
        reward,
        store_id,
        today,
        member_tier(session, member_id),
        repo.live_count(session, reward.id, member_id),
    )
    if why:
        raise Conflict(f"{reward_name(reward, 'en')}: {why}")
    result = redeem_points(
        session, keys, member_id, reward.points, ledger_key, now, code, store_id, caller.id
    )
    if result.status != "redeemed":
        return Exchanged(reward, None, result)
    if result.replayed:
        raise Conflict(f"idempotency key {key!r} was used for a points redemption, not an exchange")
    # Under the member's lock now: count again, then take the stock in one conditional statement.
    why = refusal(
        reward,
        store_id,
        today,
        member_tier(session, member_id),
        repo.live_count(session, reward.id, member_id),
    )
    if why is None and not repo.take_stock(session, reward.id):
        why = "out of stock"
    if why:
        raise Conflict(f"{reward_name(reward, 'en')}: {why}")
    session.refresh(reward)
    coupon = None
    if reward.coupon_template_id is not None:
        # A coupon the member cannot have (its own per-member limit) fails here and rolls the points back.
        coupon = issue_coupon(
            session,
            reward.coupon_template_id,
            member_id,
            key=ledger_key,
            source="points_exchange",
            staff_id=caller.id,
            store_id=store_id,
            now=now,
        ).coupon
    row = RewardExchange(
        member_id=member_id,
        reward_id=reward.id,
        reward_version=reward.version,
        points=reward.points,
        name_en=reward.name_en,
        name_zh=reward.name_zh,
        points_entry_id=result.entry_id,
        status="issued" if coupon is not None else "collected" if handed_over else "to_collect",
        coupon_id=coupon.id if coupon is not None else None,
        store_id=store_id,
        staff_id=caller.id,
        idempotency_key=ledger_key,
        created_at=now,
        collected_at=now if handed_over and coupon is None else None,
        collected_by_id=caller.id if handed_over and coupon is None else None,
    )
    session.add(row)
    session.flush()
    return Exchanged(reward, row, result)


def exchange_row(session: Session, exchange_id: int) -> RewardExchange:
    """One exchange (404 if there is none)."""
    row = session.get(RewardExchange, exchange_id)
    if row is None:
        raise NotFound(f"reward exchange {exchange_id} not found")
    return row


def collect(session: Session, row: RewardExchange, caller: Staff, now: datetime) -> bool:
    """Hand over an exchanged gift; False when it was already handed over (nothing changes)."""
    loyalty_repo.lock_member(session, row.member_id)
    session.refresh(row)
    if row.status == "collected":
        return False
    if row.status != "to_collect":
        raise Conflict(f"reward exchange {row.id} is {row.status}: there is nothing to hand over")
    row.status, row.collected_at, row.collected_by_id = "collected", now, caller.id
    session.flush()
    return True


def cancel(session: Session, row: RewardExchange, caller: Staff, reason: str, now: datetime) -> bool:
    """Cancel an exchange not yet handed over: the points come back, the stock too; False if already done."""
    loyalty_repo.lock_member(session, row.member_id)
    session.refresh(row)
    if row.status == "cancelled":
        return False
    if row.status == "issued":
        raise Conflict(f"reward exchange {row.id} issued a coupon, which stays the member's until it lapses")
    if row.status != "to_collect":
        raise Conflict(
            f"reward exchange {row.id} is {row.status}: only a gift not yet handed over can be cancelled"
        )
    floor = now.date() + timedelta(days=REFUND_GRACE_DAYS)
    for lot_id, points, lot in repo.lots_taken(session, row.points_entry_id):
        expires = lot.expires_on if lot.expires_on and lot.expires_on > floor else floor
        add_lot(
            session,
            PointsEntry(
                member_id=row.member_id,
                kind="adjust",
                points=points,
                idempotency_key=f"reward-refund:{row.id}:{lot_id}",
                occurred_at=now,
                expires_on=expires,
                detail={"reason": "reward_cancelled", "exchange": row.id, "lot": lot_id},
                note=f"refund: exchange of {reward_name(row, 'en')} cancelled ({reason})",
                store_id=row.store_id,
                staff_id=caller.id,
                created_at=now,
            ),
        )
    repo.give_back_stock(session, row.reward_id)
    row.status, row.cancelled_at, row.cancelled_by_id, row.cancel_reason = "cancelled", now, caller.id, reason
    session.flush()
    return True
