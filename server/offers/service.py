"""Issuing a dormant member the reactivation offer the recommender works out, and listing what was issued.

The offer (discount, categories, items, wording) is the one GET /members/{id}/recommendations shows;
issuing stores it with a code the member can redeem until `valid_until`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.talking_points import reactivation_offer
from server.auth.scope import till_store
from server.core.errors import Conflict
from server.core.pagination import PageParams
from server.core.words import counted
from server.db.session import serialise_member
from server.db.tables import IssuedOffer, Member, Staff
from server.members.access import member_for
from server.offers import repository as repo
from server.offers.codes import unused_code
from server.recommendations.engine import Engine
from server.recommendations.facts import member_facts
from server.recommendations.service import DORMANT_AFTER_DAYS, language
from server.staff.repository import display_name, page_with_staff_names

# Unused, still valid reactivation offers one member may hold: one code at a time to quote at the till.
MAX_OPEN_OFFERS = 1


@dataclass(frozen=True)
class Issued:
    """A stored offer, who issued it, and whether this call only found it again."""

    offer: IssuedOffer
    staff_name: str | None
    replayed: bool = False


def _replay(session: Session, found: IssuedOffer, member_id: int, key: str) -> Issued:
    if found.member_id != member_id:
        raise Conflict(f"idempotency key {key!r} was used for an offer to another member")
    return Issued(found, display_name(session, found.staff_id), replayed=True)


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
    found = repo.by_key(session, key)
    if found is not None:
        return _replay(session, found, member_id, key)
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
    found = repo.by_key(session, key)
    if found is not None:
        return _replay(session, found, member_id, key)
    _check_open_offers(session, member.id, today)
    row = IssuedOffer(
        member_id=member.id,
        staff_id=caller.id,
        store_id=till_store(caller, None),
        code=unused_code(session),
        discount_percent=offer.discount_percent,
        categories=list(offer.categories),
        item_ids=[int(i) for i in offer.item_ids],
        text=offer.text,
        valid_until=today + timedelta(days=valid_days),
        model_version=rec.version,
        issued_at=now,
        idempotency_key=key,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raced = repo.by_key(session, key)
        if raced is None:
            raise Conflict("the offer code was taken at the same moment; try again") from exc
        return _replay(session, raced, member_id, key)
    return Issued(row, caller.display_name)


def _check_open_offers(session: Session, member_id: int, today: date) -> None:
    open_until = repo.open_until(session, member_id, today)
    if len(open_until) >= MAX_OPEN_OFFERS:
        held = counted(len(open_until), "unused reactivation offer")
        raise Conflict(
            f"member {member_id} already holds {held}, valid until {open_until[-1].isoformat()}: "
            "let them use it (or let it lapse) before issuing another"
        )


def member_offers(
    session: Session, caller: Staff, member_id: int, page: PageParams
) -> tuple[list[Issued], int]:
    """The offers issued to a member the caller may open, newest first."""
    member_for(session, caller, member_id)
    order = (IssuedOffer.issued_at.desc(), IssuedOffer.id.desc())
    where = IssuedOffer.member_id == member_id
    found, total = page_with_staff_names(
        session, IssuedOffer, where, order, limit=page.limit, offset=page.offset
    )
    return [Issued(row, name) for row, name in found], total
