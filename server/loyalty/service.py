"""Applying till transactions to the loyalty programme: points earned or reversed, then the tier.

Every entry point is idempotent: a transaction applied twice (same idempotency key, or the same
transaction under another key) returns the entry written the first time and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal

from sqlalchemy.orm import Session

from server.business_events.events import emit
from server.core.errors import Conflict, NotFound
from server.db.tables import Member, MemberTier, PointsEntry, TierChange, Transaction
from server.events.service import NewEvent, raise_events
from server.loyalty import repository as repo
from server.loyalty.activity_service import add_lot
from server.loyalty.config import LoyaltyConfig, load_config
from server.loyalty.points import (
    LineAward,
    SaleContext,
    SaleLine,
    available,
    earn_points,
    expiring_soon,
    expiry_date,
    points_value,
)
from server.loyalty.returns import (
    EarnedSale,
    ReturnLine,
    add_awards,
    awards_detail,
    awards_of,
    link_lines,
    plan_return,
)
from server.loyalty.tiers import Growth, Progress, TierDecision, Trigger, decide, growth, progress
from server.messaging.outbox import enqueue, member_lang


@dataclass(frozen=True)
class PointsOutcome:
    """The ledger entry a transaction produced (or found, when `replayed`), and the tier decision."""

    entry: PointsEntry
    replayed: bool
    tier: TierDecision | None


def apply_transaction(
    session: Session,
    transaction_id: int,
    now: datetime,
    idempotency_key: str | None = None,
    notify: bool = True,
) -> PointsOutcome | None:
    """Earn points for a sale or reverse them for a return, then re-judge the tier; None if anonymous.

    `notify` False (a backfill of old history) tells the member nothing of a tier change: it is not news.
    """
    txn = session.get(Transaction, transaction_id)
    if txn is None:
        raise NotFound(f"transaction {transaction_id} not found")
    if txn.member_id is None or txn.kind not in ("sale", "return"):
        return None
    member = repo.lock_member(session, txn.member_id)
    config = load_config(session)
    kind = "earn" if txn.kind == "sale" else "reverse"
    key = idempotency_key or f"{kind}:transaction:{txn.id}"
    found = repo.entry_by_key(session, key) or repo.entry_for_transaction(session, txn.id, kind)
    if found is not None:
        if found.transaction_id != txn.id:
            raise Conflict(f"idempotency key {key!r} was used for another operation")
        return PointsOutcome(found, True, None)
    entry = (
        _earn(session, txn, member, now, key, config)
        if kind == "earn"
        else _reverse(session, txn, now, key, config)
    )
    trigger: Trigger = "purchase" if kind == "earn" else "return"
    decision = update_tier(session, member, trigger, now, config, txn.id, notify)
    return PointsOutcome(entry, False, decision)


def _current_tier(session: Session, member: Member, config: LoyaltyConfig) -> tuple[MemberTier | None, str]:
    state = session.get(MemberTier, member.id)
    return state, state.tier if state else config.ladder.lowest


def _earn(
    session: Session, txn: Transaction, member: Member, now: datetime, key: str, cfg: LoyaltyConfig
) -> PointsEntry:
    _, tier = _current_tier(session, member, cfg)
    lines = [
        SaleLine(line.id, line.amount, abs(line.quantity), category, merch)
        for line, category, merch in repo.lines_with_products(session, txn.id)
    ]
    award = earn_points(
        cfg.earn, lines, SaleContext(txn.store_id, txn.occurred_at.date(), tier, member.birthday)
    )
    detail = {
        "lines": awards_detail(award.lines),
        "rules": list(award.applied),
        "tier": tier,
    }
    entry = PointsEntry(
        member_id=member.id,
        kind="earn",
        points=award.total,
        idempotency_key=key,
        occurred_at=txn.occurred_at,
        expires_on=expiry_date(txn.occurred_at.date(), cfg.earn.lifetime_days),
        transaction_id=txn.id,
        detail=detail,
        store_id=txn.store_id,
        staff_id=txn.staff_id,
        created_at=now,
    )
    return add_lot(session, entry)


def _return_lines(session: Session, transaction_id: int) -> list[ReturnLine]:
    return [
        ReturnLine(line.id, line.product_id, line.quantity, line.amount, line.original_line_id, merch)
        for line, _, merch in repo.lines_with_products(session, transaction_id)
    ]


def _reverse(session: Session, txn: Transaction, now: datetime, key: str, cfg: LoyaltyConfig) -> PointsEntry:
    assert txn.member_id is not None
    originals = {}
    if txn.original_transaction_id is not None:
        originals = {line.product_id: line.id for line in _return_lines(session, txn.original_transaction_id)}
    returned, unlinked = link_lines(_return_lines(session, txn.id), originals)
    by_sale: dict[int, dict[int, int]] = defaultdict(dict)
    for line_id, line in repo.lines_by_id(session, list(returned)).items():
        by_sale[line.transaction_id][line_id] = returned[line_id]
    earned = {}
    for sale_id in by_sale:
        entry = repo.entry_for_transaction(session, sale_id, "earn")
        if entry is not None:
            earned[sale_id] = EarnedSale(entry.id, awards_of(entry.detail))
    before: dict[int, LineAward] = {}
    for old in repo.reverse_entries(session, txn.member_id):
        add_awards(before, awards_of(old.detail))
    lots = {lot.id: lot for lot in repo.lots(session, txn.member_id)}
    plan = plan_return(
        by_sale,
        earned,
        before,
        lots,
        unlinked,
        cfg.earn.points_per_unit,
        now.date(),
        lambda lot_id: repo.expired_from(session, lot_id),
    )
    entry = PointsEntry(
        member_id=txn.member_id,
        kind="reverse",
        points=-plan.total,
        idempotency_key=key,
        occurred_at=txn.occurred_at,
        transaction_id=txn.id,
        detail=plan.detail,
        note=plan.note,
        store_id=txn.store_id,
        staff_id=txn.staff_id,
        created_at=now,
    )
    return repo.add_entry(session, entry, sorted(plan.taken.items()))


def _since(state: MemberTier | None, member: Member) -> datetime:
    return state.since if state else datetime.combine(member.joined_on, time.min, UTC)


def update_tier(
    session: Session,
    member: Member,
    trigger: Trigger,
    now: datetime,
    config: LoyaltyConfig | None = None,
    transaction_id: int | None = None,
    notify: bool = True,
) -> TierDecision:
    """Re-judge one member's tier from their growth in the window; record and announce any change."""
    config = config or load_config(session)
    ladder = config.ladder
    state, current = _current_tier(session, member, config)
    acts = repo.tier_activities(session, member.id, now, ladder.window_days)
    g = growth(acts, ladder.window_days, now.date())
    decision = decide(ladder, current, _since(state, member), g, trigger, now)
    record_tier(session, member.id, state, decision, g, now, trigger, transaction_id, notify)
    return decision


def record_tier(
    session: Session,
    member_id: int,
    state: MemberTier | None,
    decision: TierDecision,
    g: Growth,
    now: datetime,
    trigger: Trigger,
    transaction_id: int | None = None,
    notify: bool = True,
) -> None:
    """Store a member's tier state; a change also gets a tier-change record, a consultant event and
    (unless `notify` is False) the member's tier_change message."""
    if state is None:
        state = MemberTier(member_id=member_id, tier=decision.new, since=now)
        session.add(state)
    state.reviewed_at, state.spend, state.visits = now, g.spend, g.visits
    if decision.changed:
        state.tier, state.since = decision.new, now
        change = TierChange(
            member_id=member_id,
            from_tier=decision.current,
            to_tier=decision.new,
            trigger=trigger,
            reason=decision.reason,
            transaction_id=transaction_id,
            occurred_at=now,
        )
        session.add(change)
        session.flush()
        payload = {"from": decision.current, "to": decision.new, "trigger": trigger}
        raise_events(session, [NewEvent(member_id, "tier_change", decision.reason, now, None, payload)])
        ladder = load_config(session).ladder
        up = ladder.index(decision.new) > ladder.index(decision.current)
        emit(
            session,
            "tier_changed",
            member_id,
            key=f"tier_changed:{change.id}",
            occurred_at=now,
            payload={"old": decision.current, "new": decision.new, "direction": "up" if up else "down"},
        )
        if notify:  # under a key of this change: a replayed call cannot send it twice
            member = session.get(Member, member_id)
            lang = member_lang(member) if member is not None else "zh"
            names = {
                "old_tier": ladder.label(decision.current, lang),
                "new_tier": ladder.label(decision.new, lang),
            }
            enqueue(session, member_id, "tier_change", names, key=f"tier-change:{change.id}", now=now)
    session.flush()


@dataclass(frozen=True)
class PointsSummary:
    """What a member's points look like today."""

    balance: int
    available: int
    debt: int
    value: Decimal
    expiring: list[tuple[str, int]]  # (ISO day, points) within the next 30 days


def points_summary(session: Session, member_id: int, now: datetime, within_days: int = 30) -> PointsSummary:
    """Balance, spendable points, their value, and what expires in the next `within_days` days."""
    if session.get(Member, member_id) is None:
        raise NotFound(f"member {member_id} not found")
    config = load_config(session)
    lots = repo.lots(session, member_id)
    owed = sum(o for _, o in repo.debts(session, member_id))
    spendable = available(lots, now.date(), owed)
    soon = [(d.isoformat(), p) for d, p in expiring_soon(lots, now.date(), within_days)]
    value = points_value(config.redemption, spendable)
    return PointsSummary(repo.balance(session, member_id), spendable, owed, value, soon)


def tier_progress(session: Session, member_id: int, now: datetime) -> Progress:
    """The member's tier and what they still need for the next ("200.00 more to VIP")."""
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(f"member {member_id} not found")
    config = load_config(session)
    _, current = _current_tier(session, member, config)
    acts = repo.tier_activities(session, member_id, now, config.ladder.window_days)
    return progress(config.ladder, current, growth(acts, config.ladder.window_days, now.date()))
