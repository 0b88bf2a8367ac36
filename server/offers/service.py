"""Issuing a dormant member the reactivation offer the recommender works out, and listing what was issued.

The offer (discount, categories, items, wording) is the one GET /members/{id}/recommendations shows;
issuing makes it a coupon of the reactivation template (server/coupons) with the member's own percent
and categories, so the till, returns, the member's coupon list and 核销率 treat it as any coupon. Offers
issued before coupons existed stay in `issued_offers`: they are listed here and the till still takes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from models.talking_points import reactivation_offer
from server.auth.scope import till_store
from server.core.errors import Conflict
from server.core.pagination import PageParams
from server.core.words import counted
from server.coupons import repository as coupon_repo
from server.coupons.pricing import terms_of
from server.coupons.schemas import CouponTerms
from server.coupons.service import issue_with_terms, reactivation_template
from server.db.session import serialise_member
from server.db.tables import Coupon, IssuedOffer, Member, Staff
from server.members.access import member_for
from server.offers import repository as repo
from server.recommendations.engine import Engine
from server.recommendations.facts import member_facts
from server.recommendations.service import DORMANT_AFTER_DAYS, language
from server.staff.repository import display_name

# Unused, still valid reactivation offers one member may hold: one code at a time to quote at the till.
MAX_OPEN_OFFERS = 1


@dataclass(frozen=True)
class OfferView:
    """An offer as the endpoints show it, from a reactivation coupon or an offer issued before coupons."""

    id: int
    member_id: int
    code: str
    discount_percent: int
    categories: list[str]
    item_ids: list[int]
    text: str
    valid_until: date
    model_version: str
    staff_id: int | None
    store_id: int | None
    issued_at: datetime


@dataclass(frozen=True)
class Issued:
    """A stored offer, who issued it, and whether this call only found it again."""

    offer: OfferView
    staff_name: str | None
    replayed: bool = False


def _view(c: Coupon) -> OfferView:
    terms = terms_of(c)
    return OfferView(
        c.id,
        c.member_id,
        c.code,
        terms.percent or 0,
        list(terms.categories),
        list(terms.product_ids),
        str(c.note.get("text", "")),
        c.valid_until,
        str(c.note.get("model_version", "")),
        c.staff_id,
        c.store_id,
        c.issued_at,
    )


def _legacy(o: IssuedOffer) -> OfferView:
    return OfferView(
        o.id,
        o.member_id,
        o.code,
        o.discount_percent,
        list(o.categories),
        [int(i) for i in o.item_ids],
        o.text,
        o.valid_until,
        o.model_version,
        o.staff_id,
        o.store_id,
        o.issued_at,
    )


def _replay(session: Session, found: Coupon, member_id: int, key: str) -> Issued:
    if found.member_id != member_id:
        raise Conflict(f"idempotency key {key!r} was used for an offer to another member")
    return Issued(_view(found), display_name(session, found.staff_id), replayed=True)


def _not_dormant(member: Member, since: int | None) -> Conflict:
    need = f"a reactivation offer is for a member with no purchase for {DORMANT_AFTER_DAYS} days"
    if since is None:
        return Conflict(f"member {member.id} has no purchase yet: {need}")
    return Conflict(f"member {member.id} is not dormant: last purchase {counted(since, 'day')} ago; {need}")


def issue_offer(
    session: Session,
    rec: Engine,
    caller: Staff,
    member_id: int,
    *,
    key: str,
    now: datetime,
    valid_days: int,
) -> Issued:
    """Issue the member's current reactivation offer with a fresh code; a replayed key issues nothing new."""
    member = member_for(session, caller, member_id)
    coupon_key = f"offer:{key}"
    found = coupon_repo.by_key(session, coupon_key)
    if found is not None:
        return _replay(session, found, member_id, key)
    before = repo.by_key(session, key)
    if before is not None:  # a phone retrying an offer issued before coupons existed
        if before.member_id != member_id:
            raise Conflict(f"idempotency key {key!r} was used for an offer to another member")
        return Issued(_legacy(before), display_name(session, before.staff_id), replayed=True)
    today = now.date()
    facts = member_facts(session, member, now)
    lang = language(None, member)
    offer = reactivation_offer(facts, rec.catalog, today, dormant_after_days=DORMANT_AFTER_DAYS, lang=lang)
    if offer is None:
        since = facts.days_since_last_purchase(today)
        if since is None or since < DORMANT_AFTER_DAYS:
            raise _not_dormant(member, since)
        raise Conflict(
            f"member {member.id} bought nothing that is still on sale, so there is no category to offer"
        )
    # Serialised with every other issue to this member, so parallel calls cannot pass the cap together.
    serialise_member(session, member.id)
    found = coupon_repo.by_key(session, coupon_key)
    if found is not None:
        return _replay(session, found, member_id, key)
    template = reactivation_template(session, valid_days, now)
    _check_open_offers(session, template.id, member.id, today)
    store = till_store(caller, None)
    terms = CouponTerms(
        kind="percent_off",
        percent=offer.discount_percent,
        categories=list(offer.categories),
        product_ids=[int(i) for i in offer.item_ids],
        # A store's offer is that store's to honour (it pays for it); a chain-wide one is good anywhere.
        store_ids=[store] if store is not None else [],
    )
    issued = issue_with_terms(
        session,
        template.id,
        member.id,
        key=coupon_key,
        source="reactivation",
        now=now,
        staff_id=caller.id,
        store_id=store,
        terms=terms,
        valid_days=valid_days,
        note={"text": offer.text, "model_version": rec.version},
    )
    if issued.replayed:
        return _replay(session, issued.coupon, member_id, key)
    return Issued(_view(issued.coupon), caller.display_name)


def _check_open_offers(session: Session, template_id: int, member_id: int, today: date) -> None:
    open_until = sorted(
        coupon_repo.open_of_template(session, template_id, member_id, today)
        + repo.open_until(session, member_id, today)
    )
    if len(open_until) >= MAX_OPEN_OFFERS:
        held = counted(len(open_until), "unused reactivation offer")
        raise Conflict(
            f"member {member_id} already holds {held}, valid until {open_until[-1].isoformat()}: "
            "let them use it (or let it lapse) before issuing another"
        )


def member_offers(
    session: Session, caller: Staff, member_id: int, page: PageParams
) -> tuple[list[Issued], int]:
    """The offers issued to a member the caller may open (coupons, and offers from before), newest first."""
    member_for(session, caller, member_id)
    template = coupon_repo.first_template(session, "reactivation", None)
    views = [_view(c) for c in coupon_repo.of_template(session, template.id, member_id)] if template else []
    views += [_legacy(o) for o in repo.of_member(session, member_id)]
    # A member holds a handful of offers at most, so they are merged and paged here.
    views.sort(key=lambda v: (v.issued_at, v.id), reverse=True)
    shown = views[page.offset : page.offset + page.limit]
    return [Issued(v, display_name(session, v.staff_id)) for v in shown], len(views)
