"""The sections of the 360° view, one function each, from the member's rows and a few indexed queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from server.core.words import counted
from server.db.base import money
from server.loyalty.benefit_service import LOOKBACK_DAYS
from server.loyalty.benefits import statuses
from server.loyalty.config import LoyaltyConfig, benefit_rows, definition
from server.loyalty.points import available, expiring_soon, points_value
from server.loyalty.tiers import growth, progress
from server.profile import figures
from server.profile import repository as repo
from server.profile.schemas import (
    BenefitRead,
    CategoryRead,
    DormancyRead,
    ExpiringPoints,
    HeatRead,
    PersonaEvidenceRead,
    PersonaRead,
    PointsRead,
    ProductRead,
    PurchaseLineRead,
    RfmRead,
    TagRead,
    TierRead,
    UpcomingRead,
    WeeklyHeatRead,
)
from server.signals.dormancy import dormancy
from server.signals.heat import WEEKS, HeatSettings, heat_at, history_start, weekly_heat
from server.signals.persona import persona
from server.tags.facts import MemberAggregates, persona_inputs, signed

RECENT_LINES = 10
FAVOURITES = 5


def ledger_of(session: Session, member_id: int, now: datetime) -> figures.Ledger:
    """The member's ledger as it stood at `now`."""
    entries = [tuple(e) for e in repo.rows(session, repo.POINTS, member_id=member_id, until=now)]
    ids = {e[0] for e in entries}
    allocations = [
        tuple(a) for a in repo.rows(session, repo.ALLOCATIONS, member_id=member_id, until=now) if a[0] in ids
    ]
    return figures.ledger(entries, allocations)  # type: ignore[arg-type]


def tier_read(
    config: LoyaltyConfig, tier: str, since: datetime, txns: Sequence[figures.Txn], now: datetime
) -> TierRead:
    """The tier, what the next one needs, and when the current one is next at stake."""
    ladder = config.ladder
    acts = figures.tier_activities(txns, now, ladder.window_days)
    g = growth(acts, ladder.window_days, now.date())
    prog = progress(ladder, tier, g)
    review = figures.tier_review(ladder, tier, since.date(), acts, now.date())
    return TierRead(
        name=tier,
        since=since,
        next_tier=prog.next_tier,
        spend_needed=prog.spend_needed,
        visits_needed=prog.visits_needed,
        progress=prog.text,
        qualify=ladder.qualify,
        window_spend=g.spend,
        window_visits=g.visits,
        window_days=ladder.window_days,
        review_on=review.on if review else None,
        review_tier=review.to_tier if review else None,
        review=review.text if review else None,
    )


def points_read(session: Session, config: LoyaltyConfig, member_id: int, now: datetime) -> PointsRead:
    """Balance, spendable points and their value, and what expires within 30 days."""
    book = ledger_of(session, member_id, now)
    spendable = available(book.lots, now.date(), book.debt)
    soon = expiring_soon(book.lots, now.date(), 30)
    return PointsRead(
        balance=book.balance,
        available=spendable,
        debt=book.debt,
        value=points_value(config.redemption, spendable),
        expiring_within_30_days=sum(p for _, p in soon),
        expiring=[ExpiringPoints(on=d, points=p) for d, p in soon],
    )


def benefits_read(session: Session, member: Any, tier: str, now: datetime) -> list[BenefitRead]:
    """Each benefit with whether the member may use it today and until when."""
    defs = [definition(r) for r in benefit_rows(session)]
    used = repo.rows(session, repo.USAGES, member_id=member.id, since=repo.since(now, LOOKBACK_DAYS))
    states = statuses(
        defs, tier, now.date(), [(c, at.date()) for c, at in used], member.birthday, member.joined_on
    )
    by_code = {d.code: d for d in defs}
    return [BenefitRead(**vars(s), tiers=by_code[s.code].tiers, quota=by_code[s.code].quota) for s in states]


def rfm_read(
    agg: MemberAggregates, txns: Sequence[figures.Txn], basket: Decimal | None, now: datetime
) -> RfmRead:
    """Recency, frequency and monetary figures, average basket, first purchase, lifetime spend."""
    sales = [t.occurred_at.date() for t in txns if t.kind == "sale"]
    lifetime = sum((signed(t.kind, t.total_amount) for t in txns), Decimal("0"))
    last = agg.last_purchase
    return RfmRead(
        last_purchase_on=last,
        recency_days=None if last is None else max((now.date() - last).days, 0),
        frequency_365d=agg.sales_365,
        visits_365d=agg.visits[365],
        monetary_365d=money(agg.spend[365]),
        spend_30d=money(agg.spend[30]),
        spend_90d=money(agg.spend[90]),
        average_basket_365d=basket,
        first_purchase_on=min(sales) if sales else None,
        lifetime_spend=money(lifetime),
    )


def favourites_read(session: Session, member_id: int, now: datetime) -> list[ProductRead]:
    """The products bought in the most purchases over 365 days (then the most spend)."""
    found = repo.rows(
        session, repo.FAVOURITES, member_id=member_id, since=repo.since(now, 365), until=now, limit=FAVOURITES
    )
    return [
        ProductRead(
            product_id=p, sku=sku, name=name, purchases=n, quantity=units, amount=money(Decimal(str(spend)))
        )
        for p, sku, name, n, units, spend in found
    ]


def categories_read(agg: MemberAggregates, limit: int = 3) -> list[CategoryRead]:
    """The categories with the most net spend over 365 days, with their share."""
    bought = {k: v.amount for k, v in agg.categories.items() if v.amount > 0}
    total = sum(bought.values(), Decimal("0"))
    ranked = sorted(bought, key=lambda k: (-bought[k], k))[:limit]
    return [
        CategoryRead(category=k, amount=money(bought[k]), share=round(float(bought[k] / total), 3))
        for k in ranked
    ]


def tags_read(session: Session, member_id: int) -> list[TagRead]:
    """The member's tags, each with the rule (and its version) that set it and why."""
    return [
        TagRead(
            tag=tag,
            source=source,
            rule_id=rule_id,
            rule_version=version,
            rule=rule,
            rule_description=description,
            explanation=list(explanation or []),
            tagged_at=tagged_at,
        )
        for tag, source, rule_id, version, explanation, tagged_at, rule, description in repo.rows(
            session, repo.TAGS, member_id=member_id
        )
    ]


def persona_read(agg: MemberAggregates, medians: dict[str, Decimal]) -> PersonaRead:
    """The shopping persona with its scores and the sentences that explain it."""
    found = persona(persona_inputs(agg, medians))
    return PersonaRead(
        label=found.label,
        scores=found.scores,
        reasons=list(found.reasons),
        evidence=[PersonaEvidenceRead(**vars(e)) for e in found.evidence],
    )


def dormancy_read(last_purchase: date | None, today: date) -> DormancyRead:
    """Whether the member is active, at risk or dormant, from the day of their last purchase."""
    return DormancyRead(**vars(dormancy(last_purchase, today)))


def heat_read(session: Session, member_id: int, txns: Sequence[figures.Txn], now: datetime) -> HeatRead:
    """The heat index today and at the end of each of the last eight weeks."""
    since = history_start(now)
    window = {"member_id": member_id, "since": since, "until": now}
    talks = [at for (at,) in repo.rows(session, repo.INTERACTION_TIMES, **window)]
    replies = [at for (at,) in repo.rows(session, repo.REPLY_TIMES, **window)]
    acts = figures.heat_activities(txns, talks, replies, since, now)
    settings = HeatSettings()
    weekly = weekly_heat(acts, now.date(), settings, WEEKS)
    return HeatRead(
        index=heat_at(acts, now.date(), settings),
        weekly=[WeeklyHeatRead(week_end=w.week_end, value=w.value) for w in weekly],
    )


def upcoming_read(
    member: Any,
    tier: TierRead,
    points: PointsRead,
    benefits: list[BenefitRead],
    follow_ups: Sequence[Any],
    now: datetime,
) -> list[UpcomingRead]:
    """Birthday, tier review, benefit and points expiry, follow-ups: soonest first."""
    today = now.date()
    out: list[UpcomingRead] = []
    birthday = figures.next_birthday(member.birthday, today)
    if birthday is not None:
        age = birthday.year - member.birthday.year
        out.append(UpcomingRead(on=birthday, kind="birthday", text=f"turns {age} on {birthday.isoformat()}"))
    if tier.review_on is not None and tier.review:
        out.append(UpcomingRead(on=tier.review_on, kind="tier_review", text=tier.review))
    for b in benefits:
        if b.available and b.remaining and b.valid_until:
            text = f"{b.remaining} {b.name.lower()} left until {b.valid_until.isoformat()}"
            out.append(UpcomingRead(on=b.valid_until, kind="benefit_expiry", text=text))
    for soon in points.expiring:
        text = counted(soon.points, "point expires", "points expire")
        out.append(UpcomingRead(on=soon.on, kind="points_expiry", text=text))
    for on, note, staff_name in follow_ups:
        who = f" ({staff_name})" if staff_name else ""
        out.append(UpcomingRead(on=on, kind="follow_up", text=f"follow up{who}: {note}".rstrip(": ")))
    return sorted(out, key=lambda u: (u.on, u.kind))


def recent_read(session: Session, member_id: int, now: datetime) -> list[PurchaseLineRead]:
    """The last lines bought or returned, newest first, with product names."""
    found = repo.rows(session, repo.RECENT_LINES, member_id=member_id, until=now, limit=RECENT_LINES)
    return [
        PurchaseLineRead(
            transaction_id=r.transaction_id,
            occurred_at=r.occurred_at,
            kind=r.kind,
            store_id=r.store_id,
            line_no=r.line_no,
            product_id=r.product_id,
            sku=r.sku,
            name=r.name,
            quantity=r.quantity,
            unit_price=r.unit_price,
            amount=r.amount,
        )
        for r in found
    ]
