"""A member's recommendations, feedback on them, and the attribution report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from models.candidates import Suggestion
from models.i18n import resolve_lang
from models.popularity import fill_popular, interests_from_tags
from models.talking_points import ReactivationOffer, TalkingPoint, reactivation_offer, talking_points
from server.auth.roles import Role
from server.auth.scope import require, till_store
from server.core.errors import Conflict, InvalidInput, NotFound
from server.db.tables import Member, Recommendation, RecommendationFeedback, Staff
from server.members.access import member_for
from server.recommendations import repository as repo
from server.recommendations.engine import Engine
from server.recommendations.facts import Standing, member_facts
from server.recommendations.popularity import popularity_of
from server.recommendations.schemas import (
    AttributionRead,
    AttributionRow,
    FeedbackRead,
    ReactivationOfferRead,
    RecommendationsRead,
    SuggestionRead,
    TalkingPointRead,
)
from server.recommendations.served import Explainer, ServedAs, rank_member

COLD_START = "popular"  # the model_version of a list with no model version behind it (nothing trained yet)
DORMANT_AFTER_DAYS = 90
MAX_K = 50
REPORT_ROLES = frozenset({Role.STORE_MANAGER, Role.HQ_ANALYST, Role.ADMIN})
CHAIN_REPORT_ROLES = frozenset({Role.HQ_ANALYST, Role.ADMIN})
EXCLUSIVE = {"accepted": "declined", "declined": "accepted"}


def language(lang: str | None, member: Member) -> str:
    """The reply language: the one asked for, else the member's locale (422 for an unsupported one)."""
    try:
        return resolve_lang(lang, member.locale)
    except ValueError as exc:
        raise InvalidInput(f"lang: {exc}") from exc


def suggestion_read(rec: Engine, s: Suggestion, recommendation_id: int, lang: str) -> SuggestionRead:
    """One suggestion as the phone shows it, with the product's name in `lang`."""
    row = rec.catalog.row(s.item_id)
    return SuggestionRead(
        recommendation_id=recommendation_id,
        item_id=s.item_id,
        sku=rec.catalog.skus[row],
        name=rec.catalog.name_at(row, lang),
        price=float(rec.catalog.prices[row]),
        category=rec.catalog.categories[rec.catalog.category_codes[row]],
        kind=s.kind,  # type: ignore[arg-type]
        score=s.score,
        reason=s.reason,
        facts=dict(s.facts),
    )


def shown(
    caller: Staff, member: Member, rec: Engine, store_id: int | None, now: datetime, window_days: int
) -> repo.Shown:
    """The record of one showing by `caller` (in `store_id`, else their only store)."""
    return repo.Shown(
        member_id=member.id,
        staff_id=caller.id,
        store_id=till_store(caller, store_id),
        model_version=rec.version,
        shown_at=now,
        window=timedelta(days=window_days),
    )


def check_k(k: int) -> None:
    """422 unless 1 <= k <= MAX_K."""
    if not 1 <= k <= MAX_K:
        raise InvalidInput(f"k: ask for 1 to {MAX_K} suggestions, got {k}")


def recommendations_for(
    session: Session,
    rec: Engine,
    caller: Staff,
    member_id: int,
    *,
    k: int,
    lang: str | None,
    store_id: int | None,
    now: datetime,
    window_days: int,
    standing: Standing | None = None,
) -> RecommendationsRead:
    """Suggestions, talking points and (for a dormant member) an offer; each suggestion recorded as shown.

    404 for an unknown member, 403 when `caller` may not open them. `standing`: the member's tier and
    points when the caller has read them already."""
    check_k(k)
    member = member_for(session, caller, member_id)
    return recommendations_for_member(
        session,
        rec,
        caller,
        member,
        k=k,
        lang=lang,
        store_id=store_id,
        now=now,
        window_days=window_days,
        standing=standing,
    )


@dataclass(frozen=True)
class Suggested:
    """What the recommender says about a member, before anything is recorded."""

    lang: str
    found: list[Suggestion]
    points: list[TalkingPoint]
    offer: ReactivationOffer | None
    served: ServedAs | None = None  # the model version (and A/B arm) that ranked the list

    @property
    def model_version(self) -> str:
        """What the showing is recorded under."""
        return self.served.version if self.served is not None else COLD_START


def suggest(
    session: Session,
    rec: Engine,
    member: Member,
    *,
    k: int,
    lang: str | None,
    now: datetime,
    standing: Standing | None = None,
    store_id: int | None = None,
) -> Suggested:
    """Suggestions, talking points and (for a dormant member) an offer, read-only: nothing is recorded.

    The list is the served model version's ranking for the member (`server.recommendations.served`:
    the version their store serves, or their arm's in an A/B test), on today's date, each item with a
    reason. A member with fewer than k suggestions of their own (a new one has none) gets the rest from
    the best-sellers and trending items of `store_id` (else their home store): in the interests their
    tags name first, then overall."""
    check_k(k)
    lang = language(lang, member)
    facts = member_facts(session, member, now, standing)
    today = now.date()
    where = store_id if store_id is not None else member.home_store_id
    served = rec.shelf.serving(session, where, member.id) if rec.shelf is not None else None
    found: list[Suggestion] = []
    if served is not None and rec.shelf is not None:
        binding = rec.shelf.binding(served.version, rec.catalog, rec.version, session)
        why = Explainer(rec.catalog, rec.cycles, rec.copurchase, rec.index)
        found = rank_member(binding, facts, why, today=today, k=k, lang=lang)
    if len(found) < k:  # a regular's request reads no more than before
        found = fill_popular(
            found,
            facts,
            rec.catalog,
            popularity_of(session, rec),
            store_id=where,
            interests=interests_from_tags(repo.member_tags(session, member.id), rec.catalog),
            k=k,
            lang=lang,
        )
    points = talking_points(
        facts, rec.catalog, today, suggestions=found, cycles=rec.cycles, index=rec.index, lang=lang
    )
    offer = reactivation_offer(facts, rec.catalog, today, dormant_after_days=DORMANT_AFTER_DAYS, lang=lang)
    return Suggested(lang, list(found), list(points), offer, served)


def recommendations_read(
    rec: Engine, member: Member, suggested: Suggested, recommendation_ids: Sequence[int]
) -> RecommendationsRead:
    """The answer for `suggested`, each suggestion under the id it was recorded with."""
    offer = suggested.offer
    return RecommendationsRead(
        member_id=member.id,
        lang=suggested.lang,
        model_version=suggested.model_version,
        suggestions=[
            suggestion_read(rec, s, r, suggested.lang)
            for s, r in zip(suggested.found, recommendation_ids, strict=True)
        ],
        talking_points=[
            TalkingPointRead(kind=p.kind, text=p.text, facts=dict(p.facts)) for p in suggested.points
        ],
        reactivation_offer=ReactivationOfferRead(
            discount_percent=offer.discount_percent,
            categories=list(offer.categories),
            item_ids=list(offer.item_ids),
            text=offer.text,
            reasons=list(offer.reasons),
            facts=dict(offer.facts),
        )
        if offer is not None
        else None,
    )


def recommendations_for_member(
    session: Session,
    rec: Engine,
    caller: Staff,
    member: Member,
    *,
    k: int,
    lang: str | None,
    store_id: int | None,
    now: datetime,
    window_days: int,
    standing: Standing | None = None,
) -> RecommendationsRead:
    """`recommendations_for` a member whom the caller has been allowed to open already (an arrival)."""
    record = shown(caller, member, rec, store_id, now, window_days)
    suggested = suggest(
        session, rec, member, k=k, lang=lang, now=now, standing=standing, store_id=record.store_id
    )
    served = suggested.served
    if served is not None:
        record = record.ranked_by(served.version, served.arm, served.experiment)
    else:
        record = record.ranked_by(COLD_START)
    recs = repo.record_shown(session, record, [(s.item_id, s.kind) for s in suggested.found])
    return recommendations_read(rec, member, suggested, recs)


def _feedback_read(row: RecommendationFeedback, created: bool) -> FeedbackRead:
    return FeedbackRead(
        recommendation_id=row.recommendation_id,
        action=row.action,
        staff_id=row.staff_id,
        transaction_id=row.transaction_id,
        amount=row.amount,
        recorded_at=row.recorded_at,
        created=created,
    )


def give_feedback(
    session: Session, caller: Staff, recommendation_id: int, action: str, now: datetime
) -> FeedbackRead:
    """Record accepted, declined or sold once per recommendation (a repeat returns the first record)."""
    rec = session.get(Recommendation, recommendation_id)
    if rec is None:
        raise NotFound(f"recommendation {recommendation_id} does not exist")
    member_for(session, caller, rec.member_id)
    existing = repo.feedback_for(session, rec.id)
    if action in existing:
        return _feedback_read(existing[action], created=False)
    opposite = EXCLUSIVE.get(action)
    if opposite is not None and opposite in existing:
        raise Conflict(f"recommendation {rec.id} was already marked {opposite}; it cannot also be {action}")
    row = RecommendationFeedback(recommendation_id=rec.id, action=action, staff_id=caller.id, recorded_at=now)
    stored, created = repo.add_feedback(session, row)
    return _feedback_read(stored, created)


def attribution_report(
    session: Session, caller: Staff, store_id: int | None, since: datetime | None, window_days: int
) -> AttributionRead:
    """Shown, accepted and sold counts and attributed revenue per clerk and model version."""
    if store_id is None:
        require(caller, CHAIN_REPORT_ROLES)
    else:
        require(caller, REPORT_ROLES, store_id)
    rows = repo.attribution_rows(session, store_id, since)
    return AttributionRead(
        store_id=store_id,
        since=since,
        window_days=window_days,
        rows=[
            AttributionRow(
                staff_id=r.staff_id,
                staff_name=r.display_name,
                model_version=r.model_version,
                shown=r.shown,
                accepted=r.accepted,
                declined=r.declined,
                sold=r.sold,
                attributed_revenue=r.revenue,
            )
            for r in rows
        ],
    )
