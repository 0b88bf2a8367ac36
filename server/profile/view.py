"""Assembling one member's 360° view: about twenty indexed queries on their own rows, no full-table pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from server.core.context import open_text
from server.core.crypto import NOTE
from server.coupons import words
from server.coupons.views import open_coupons
from server.loyalty.config import LoyaltyConfig, load_config
from server.profile import figures, sections
from server.profile import repository as repo
from server.profile.catalog import CatalogStats, catalog_stats
from server.profile.schemas import (
    ConsultantRead,
    DormancyRead,
    HeatRead,
    InteractionBrief,
    PersonaRead,
    PointsRead,
    ProfileCouponRead,
    ProfileRead,
    StoreRef,
    StoreVisitRead,
    TagRead,
    TierRead,
)
from server.tags.facts import (
    MemberAggregates,
    aggregate,
    launched_after,
    member_facts,
)
from server.tags.repository import add_coupon_totals

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LAST_INTERACTIONS = 5
_FACTS = {"price_index", "price_band", "coupon_redemption_rate", "average_basket_365d"}


@dataclass(frozen=True)
class Phone:
    """The member's phone as this caller may see it."""

    shown: str | None
    masked: bool


@dataclass(frozen=True)
class TierState:
    """The tier the member holds (None: the lowest) and since when."""

    name: str | None
    since: datetime | None


def tier_state(session: Session, member: Any, now: datetime, as_of: bool) -> TierState:
    """The stored tier, or for a past moment the tier its last change up to then gave."""
    if not as_of:
        return TierState(member.tier, member.since)
    found = repo.rows(session, repo.TIER_AT, member_id=member.id, until=now)
    return TierState(found[0][0], found[0][1]) if found else TierState(None, None)


def transactions(session: Session, member_id: int, now: datetime) -> list[figures.Txn]:
    """The member's transactions up to `now`, oldest first."""
    return [figures.Txn.of(r) for r in repo.rows(session, repo.TRANSACTIONS, member_id=member_id, until=now)]


def consultants(session: Session, member_id: int) -> list[ConsultantRead]:
    """The member's active consultants, primary first."""
    found = repo.rows(session, repo.CONSULTANTS, member_id=member_id)
    return [ConsultantRead(staff_id=s, name=n, position=p, since=at) for s, p, at, n in found]


def build_profile(
    session: Session,
    member: Any,
    phone: Phone,
    txns: Sequence[figures.Txn],
    advisers: list[ConsultantRead],
    now: datetime,
    state: TierState,
    lang: str = "en",
) -> ProfileRead:
    """The 360° view of `member` (a `repository.MEMBER` row) as of `now`, in tier `state`, in `lang`."""
    today, mid = now.date(), member.id
    basis = card_basis(session, member, txns, now, state)
    card = build_card(session, member, txns, now, state, basis)
    agg = basis.agg
    facts = member_facts(agg, now, basis.stats.medians, _FACTS)
    visits = figures.store_visits(txns)
    names = repo.store_names(session, {v.store_id for v in visits} | {member.home_store_id} - {None})
    benefits = sections.benefits_read(session, member, basis.tier, now)
    follow_ups = [
        (on, open_text(session, note, NOTE), who)
        for on, note, who in repo.rows(session, repo.FOLLOW_UPS, member_id=mid, today=today)
    ]
    return ProfileRead(
        id=mid,
        name=member.name,
        phone=phone.shown,
        phone_masked=phone.masked,
        gender=member.gender,
        birthday=member.birthday,
        card_number=member.card_number,
        qr_token=member.qr_token,
        joined_on=member.joined_on,
        marketing_consent=member.marketing_consent,
        locale=member.locale,
        home_store=(
            StoreRef(id=member.home_store_id, name=names.get(member.home_store_id, ""))
            if member.home_store_id is not None
            else None
        ),
        stores_visited=[
            StoreVisitRead(
                id=v.store_id, name=names.get(v.store_id, ""), visits=v.visits, last_visit=v.last_visit
            )
            for v in visits
        ],
        tier=card.tier,
        points=card.points,
        benefits=benefits,
        rfm=sections.rfm_read(agg, txns, facts["average_basket_365d"], now),
        favourite_categories=sections.categories_read(agg),
        favourite_products=sections.favourites_read(session, mid, now),
        price_band=facts["price_band"],
        price_index=facts["price_index"],
        coupon_redemption_rate=facts["coupon_redemption_rate"],
        coupons=coupons_read(session, mid, now, lang),
        tags=card.tags,
        persona=card.persona,
        dormancy=card.dormancy,
        heat=card.heat,
        interactions=[
            InteractionBrief(
                id=i,
                channel=c,
                note=open_text(session, n, NOTE),
                occurred_at=at,
                follow_up_on=f,
                staff_id=s,
                staff_name=sn,
            )
            for i, c, n, at, f, s, sn in repo.rows(
                session, repo.INTERACTIONS, member_id=mid, until=now, limit=LAST_INTERACTIONS
            )
        ],
        consultants=advisers,
        upcoming=sections.upcoming_read(member, card.tier, card.points, benefits, follow_ups, now),
        recent_purchases=sections.recent_read(session, mid, now),
        as_of=now,
    )


def coupons_read(session: Session, member_id: int, now: datetime, lang: str) -> list[ProfileCouponRead]:
    """The member's open coupons, named and valued in `lang`."""
    coupons = open_coupons(session, member_id, now)
    labels = words.labels_for(session, coupons)
    return [
        ProfileCouponRead(
            id=c.id,
            code=c.code,
            name=words.name(c, lang),
            value=words.value(c, lang, labels=labels),
            valid_until=c.valid_until,
            hint=words.how_to_use(lang),
        )
        for c in coupons
    ]


@dataclass(frozen=True)
class Card:
    """The part of the 360° view an arrival card shows; `build_profile` builds these sections with it."""

    tier: TierRead
    points: PointsRead
    tags: list[TagRead]
    persona: PersonaRead
    dormancy: DormancyRead
    last_purchase_on: date | None
    heat: HeatRead


@dataclass(frozen=True)
class CardBasis:
    """What the card's sections (and the profile's others) are computed from, read once."""

    config: LoyaltyConfig
    stats: CatalogStats
    tier: str
    since: datetime
    agg: MemberAggregates


def card_basis(
    session: Session, member: Any, txns: Sequence[figures.Txn], now: datetime, state: TierState
) -> CardBasis:
    """The loyalty settings, catalogue figures, tier held and the member's aggregates as of `now`."""
    config = load_config(session)
    stats = catalog_stats(session)
    tier = state.name or config.ladder.lowest
    base = MemberAggregates(
        joined_on=member.joined_on, birthday=member.birthday, gender=member.gender, tier=tier
    )
    agg = aggregate(base, txns, [], now, stats.catalog_start)
    add_coupon_totals(session, {member.id: agg}, now, [member.id])
    agg.categories = repo.category_totals(
        session, member.id, now, launched_after(stats.catalog_start) or EPOCH
    )
    since = state.since or datetime.combine(member.joined_on, time.min, UTC)
    return CardBasis(config, stats, tier, since, agg)


def build_card(
    session: Session,
    member: Any,
    txns: Sequence[figures.Txn],
    now: datetime,
    state: TierState,
    basis: CardBasis | None = None,
) -> Card:
    """The sections an arrival card shows, which the full profile shows too: an arrival goes out while
    the member is at the door, so it skips what only the profile has (benefits, RFM, favourites, ...)."""
    b = basis or card_basis(session, member, txns, now, state)
    return Card(
        tier=sections.tier_read(b.config, b.tier, b.since, txns, now),
        points=sections.points_read(session, b.config, member.id, now),
        tags=sections.tags_read(session, member.id),
        persona=sections.persona_read(b.agg, b.stats.medians),
        dormancy=sections.dormancy_read(b.agg.last_purchase, now.date()),
        last_purchase_on=b.agg.last_purchase,
        heat=sections.heat_read(session, member.id, txns, now),
    )
