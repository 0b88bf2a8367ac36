"""A member walks in: find them, build one `member.arrived` event, and tell the floor and their consultants.

The event carries what a clerk needs in the first ten seconds (who this is, tier, points, persona, heat,
consultants) and what to say (three to five recommendations with reasons, talking points, and the
reactivation offer for a dormant member). It goes to every phone on the store's floor and to the member's
active consultants wherever they are, so the phone number in it is always masked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.arrivals.schemas import (
    ArrivalCreate,
    ArrivalEvent,
    ArrivalRead,
    ArrivedConsultant,
    ArrivedMember,
)
from server.auth.scope import ANY_ROLE, require
from server.core.context import AppContext
from server.core.errors import NotFound
from server.core.phone import mask_phone
from server.db.tables import Staff
from server.members.access import LookupLimit, member_for, record_access
from server.profile import repository as profile_repo
from server.profile.schemas import ConsultantRead
from server.profile.service import find_member_id
from server.profile.view import Card, Phone, build_card, consultants, tier_state, transactions
from server.realtime.service import Floor, publish_to_floor
from server.recommendations.engine import Engine
from server.recommendations.facts import Standing
from server.recommendations.schemas import RecommendationsRead
from server.recommendations.service import recommendations_for_member
from server.stores.repository import store_exists

EVENT_TYPE = "member.arrived"
SUGGESTIONS = 5  # the phone shows three to five; fewer only when the catalogue has nothing more to say
ARRIVAL_METHOD = "arrival"  # audit method when the member was named by id rather than looked up


@dataclass(frozen=True)
class Arrival:
    """Where and when the member walked in, and who (or which scanner account) reported it."""

    caller: Staff
    store_id: int
    now: datetime
    window_days: int
    limit: LookupLimit | None = None


def identify(session: Session, context: AppContext, arrival: Arrival, body: ArrivalCreate) -> int:
    """The member's id: looked up by phone, card or QR (rate-limited, audited) or checked by id (audited)."""
    if body.member_id is not None:
        member = member_for(session, arrival.caller, body.member_id)
        record_access(session, arrival.caller.id, member.id, ARRIVAL_METHOD, arrival.store_id)
        return member.id
    return find_member_id(
        context.sessions,
        context.keys,
        arrival.caller,
        region=context.settings.default_phone_region,
        phone=body.phone,
        card=body.card,
        qr=body.qr,
        store_id=arrival.store_id,
        limit=arrival.limit,
    )


@dataclass(frozen=True)
class ArrivingMember:
    """Who walked in: their row, masked phone, consultants and the card's sections."""

    member: Any
    phone: Phone
    consultants: list[ConsultantRead]
    card: Card


def arriving_member(session: Session, context: AppContext, member_id: int, now: datetime) -> ArrivingMember:
    """What the arrival card needs, phone masked whoever asks (the caller's access is already checked)."""
    member = profile_repo.member(session, member_id)
    if member is None:
        raise NotFound(f"member {member_id} does not exist")
    encrypted = member.phone_encrypted
    phone = Phone(mask_phone(context.keys.decrypt(encrypted)) if encrypted else None, encrypted is not None)
    state = tier_state(session, member, now, False)
    card = build_card(session, member, transactions(session, member_id, now), now, state)
    return ArrivingMember(member, phone, consultants(session, member_id), card)


def standing(card: Card) -> Standing:
    """The tier and points the recommender needs, from the card (so they are read once)."""
    soonest = card.points.expiring[0] if card.points.expiring else None
    return Standing(
        tier=card.tier.name,
        next_tier=card.tier.next_tier,
        spend_needed=card.tier.spend_needed,
        points_available=card.points.available,
        expiring=(soonest.on, soonest.points) if soonest else None,
    )


def arrived_member(who: ArrivingMember) -> ArrivedMember:
    """The arrival card's member section."""
    member, card = who.member, who.card
    expiring = card.points.expiring
    return ArrivedMember(
        id=member.id,
        name=member.name,
        phone=who.phone.shown,
        card_number=member.card_number,
        home_store_id=member.home_store_id,
        tier=card.tier.name,
        tier_progress=card.tier.progress,
        next_tier=card.tier.next_tier,
        spend_needed=card.tier.spend_needed,
        visits_needed=card.tier.visits_needed,
        tier_qualify=card.tier.qualify,
        points_available=card.points.available,
        points_expiring_within_30_days=card.points.expiring_within_30_days,
        points_expiring_next_on=expiring[0].on if expiring else None,
        tags=[t.tag for t in card.tags],
        persona=card.persona.label,
        dormancy=card.dormancy.status,
        days_since_last_purchase=card.dormancy.days_since_last_purchase,
        last_purchase_on=card.last_purchase_on,
        dormancy_text=card.dormancy.text,
        heat_index=card.heat.index,
        consultants=[
            ArrivedConsultant(staff_id=c.staff_id, name=c.name, position=c.position) for c in who.consultants
        ],
    )


def arrival_event(
    who: ArrivingMember, recs: RecommendationsRead, body: ArrivalCreate, arrival: Arrival
) -> ArrivalEvent:
    """The `member.arrived` payload."""
    return ArrivalEvent(
        member=arrived_member(who),
        source=body.source,
        store_id=arrival.store_id,
        arrived_at=arrival.now,
        lang=recs.lang,
        model_version=recs.model_version,
        recommendations=recs.suggestions,
        talking_points=recs.talking_points,
        reactivation_offer=recs.reactivation_offer,
    )


def announce_arrival(
    session: Session,
    context: AppContext,
    floor: Floor,
    rec: Engine,
    arrival: Arrival,
    body: ArrivalCreate,
) -> ArrivalRead:
    """Identify the member, record the recommendations as shown, and publish `member.arrived`.

    The caller needs a role in the store (or chain-wide). Recipients: everyone on the store's floor and
    the member's active consultants (primary and secondary) wherever they are. Publishing comes last, so
    the event is only sent once the whole arrival has been committed.
    """
    if not store_exists(session, arrival.store_id):
        raise NotFound(f"store {arrival.store_id} does not exist")
    require(arrival.caller, ANY_ROLE, arrival.store_id)
    member_id = identify(session, context, arrival, body)
    who = arriving_member(session, context, member_id, arrival.now)
    # The look-up (or the id check in `identify`) is what lets the caller open the member.
    recs = recommendations_for_member(
        session,
        rec,
        arrival.caller,
        who.member,
        k=SUGGESTIONS,
        lang=None,
        store_id=arrival.store_id,
        now=arrival.now,
        window_days=arrival.window_days,
        standing=standing(who.card),
    )
    payload = arrival_event(who, recs, body, arrival).model_dump(mode="json")
    event_id = str(uuid.uuid4())
    sent = publish_to_floor(
        session,
        floor,
        arrival.store_id,
        EVENT_TYPE,
        payload,
        also_staff_ids=[c.staff_id for c in who.consultants],
        event_id=event_id,
    )
    delivered = [staff_id for staff_id, _ in sent]
    return ArrivalRead(event_id=event_id if sent else None, delivered_to=delivered, member_id=member_id)
