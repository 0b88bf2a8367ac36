"""The server's JSON as small frozen dataclasses: each `from_json` takes what it needs, ignores the rest.

Field names follow the server's (tests/mobile_app/api/test_wire.py checks them against its OpenAPI
document); where the phone wants a flatter shape (ArrivalCard, StaffSummary) the mapping is named there.
Amounts the server sends as decimal strings stay strings: they are shown, never computed with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mobile_app.api.wire_loyalty import Benefit, Dormancy, Persona, PersonaEvidence, Points, Tier
from mobile_app.api.wire_parse import as_date, as_datetime, as_int, as_str, items
from mobile_app.api.wire_profile import (
    CategoryShare,
    Consultant,
    Coupon,
    Heat,
    Interaction,
    Profile,
    Purchase,
    Rfm,
    StoreRef,
    Upcoming,
)
from mobile_app.api.wire_staff import ClientRow, SignIn, StaffSummary, Task, TaskList

# Every wire shape the app uses, importable from here.
__all__ = [
    "ArrivalCard",
    "ArrivalResult",
    "Benefit",
    "CategoryShare",
    "ChatTurn",
    "ClientRow",
    "Consultant",
    "Dormancy",
    "Heat",
    "Interaction",
    "MemberSummary",
    "Offer",
    "Persona",
    "PersonaEvidence",
    "Points",
    "Profile",
    "Purchase",
    "Coupon",
    "Recommendations",
    "Rfm",
    "SignIn",
    "StaffSummary",
    "StoreRef",
    "Suggestion",
    "TalkingPoint",
    "Task",
    "TaskList",
    "Tier",
    "Upcoming",
]


@dataclass(frozen=True)
class Suggestion:
    """One recommended product with the sentence the clerk can say."""

    recommendation_id: int
    item_id: int
    sku: str
    name: str
    price: float
    category: str
    kind: str
    score: float
    reason: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Suggestion:
        """Parse a SuggestionRead."""
        return cls(
            recommendation_id=as_int(d["recommendation_id"]),
            item_id=as_int(d["item_id"]),
            sku=as_str(d.get("sku")),
            name=as_str(d.get("name")),
            price=float(d.get("price") or 0.0),
            category=as_str(d.get("category")),
            kind=as_str(d.get("kind")),
            score=float(d.get("score") or 0.0),
            reason=as_str(d.get("reason")),
        )


@dataclass(frozen=True)
class TalkingPoint:
    """Something to say to the member, built from their own facts."""

    kind: str
    text: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TalkingPoint:
        """Parse a TalkingPointRead."""
        return cls(kind=as_str(d.get("kind")), text=as_str(d.get("text")))


@dataclass(frozen=True)
class Offer:
    """The reactivation offer suggested for a dormant member."""

    discount_percent: int
    categories: list[str]
    item_ids: list[int]
    text: str
    reasons: list[str]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Offer:
        """Parse a ReactivationOfferRead."""
        return cls(
            discount_percent=as_int(d.get("discount_percent")),
            categories=[str(c) for c in d.get("categories") or ()],
            item_ids=[int(i) for i in d.get("item_ids") or ()],
            text=as_str(d.get("text")),
            reasons=[str(r) for r in d.get("reasons") or ()],
        )

    @classmethod
    def maybe(cls, d: Any) -> Offer | None:
        """An Offer, or None when the server sent null."""
        return cls.from_json(d) if isinstance(d, dict) else None


@dataclass(frozen=True)
class ArrivalCard:
    """A `member.arrived` floor event as the feed shows it: who walked in, and what to say and suggest."""

    member_id: int
    name: str
    tier: str
    talking_point: str
    arrived_at: datetime | None
    source: str
    store_id: int | None
    event_seq: int
    event_id: str
    phone: str | None
    card_number: str | None
    tags: list[str]
    persona: str
    points_available: int
    points_expiring_within_30_days: int
    dormancy: str
    dormancy_text: str
    heat_index: int
    tier_progress: str
    consultants: list[Consultant]
    # dormancy_text and tier_progress as figures: each phone words them in its own language.
    days_since_last_purchase: int | None
    last_purchase_on: date | None
    next_tier: str | None
    spend_needed: str
    visits_needed: int
    tier_qualify: str
    recommendations: list[Suggestion]
    talking_points: list[TalkingPoint]
    offer: Offer | None
    lang: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ArrivalCard:
        """Parse a floor `event` frame (or its bare `payload`)."""
        payload = d.get("payload", d)
        member = payload.get("member") or {}
        points = items(payload, "talking_points", TalkingPoint.from_json)
        return cls(
            member_id=as_int(member.get("id")),
            name=as_str(member.get("name")),
            tier=as_str(member.get("tier")),
            talking_point=points[0].text if points else "",
            arrived_at=as_datetime(payload.get("arrived_at") or d.get("occurred_at")),
            source=as_str(payload.get("source")),
            store_id=payload.get("store_id", d.get("store_id")),
            event_seq=as_int(d.get("seq")),
            event_id=as_str(d.get("event_id")),
            phone=member.get("phone"),
            card_number=member.get("card_number"),
            tags=[str(t) for t in member.get("tags") or ()],
            persona=as_str(member.get("persona")),
            points_available=as_int(member.get("points_available")),
            points_expiring_within_30_days=as_int(member.get("points_expiring_within_30_days")),
            dormancy=as_str(member.get("dormancy")),
            dormancy_text=as_str(member.get("dormancy_text")),
            heat_index=as_int(member.get("heat_index")),
            tier_progress=as_str(member.get("tier_progress")),
            consultants=items(member, "consultants", Consultant.from_json),
            days_since_last_purchase=member.get("days_since_last_purchase"),
            last_purchase_on=as_date(member.get("last_purchase_on")),
            next_tier=member.get("next_tier"),
            spend_needed=as_str(member.get("spend_needed")),
            visits_needed=as_int(member.get("visits_needed")),
            tier_qualify=as_str(member.get("tier_qualify")) or "spend_or_visits",
            recommendations=items(payload, "recommendations", Suggestion.from_json),
            talking_points=points,
            offer=Offer.maybe(payload.get("reactivation_offer")),
            lang=as_str(payload.get("lang")),
        )


@dataclass(frozen=True)
class Recommendations:
    """What to suggest now, what to say, and an offer when the member is dormant."""

    member_id: int
    lang: str
    model_version: str
    suggestions: list[Suggestion]
    talking_points: list[TalkingPoint]
    offer: Offer | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Recommendations:
        """Parse a RecommendationsRead."""
        return cls(
            member_id=as_int(d["member_id"]),
            lang=as_str(d.get("lang")),
            model_version=as_str(d.get("model_version")),
            suggestions=items(d, "suggestions", Suggestion.from_json),
            talking_points=items(d, "talking_points", TalkingPoint.from_json),
            offer=Offer.maybe(d.get("reactivation_offer")),
        )


@dataclass(frozen=True)
class ChatTurn:
    """One turn of the conversation: what the customer said and what the recommender found."""

    session_id: str
    turn_no: int
    message: str
    reply: str
    lang: str
    items: list[Suggestion]
    created_at: datetime | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ChatTurn:
        """Parse a ChatTurnRead."""
        return cls(
            session_id=as_str(d["session_id"]),
            turn_no=as_int(d.get("turn_no")),
            message=as_str(d.get("message")),
            reply=as_str(d.get("reply")),
            lang=as_str(d.get("lang")),
            items=items(d, "items", Suggestion.from_json),
            created_at=as_datetime(d.get("created_at")),
        )


@dataclass(frozen=True)
class ArrivalResult:
    """The answer to an arrival: which member it was and who was told."""

    event_id: str | None
    delivered_to: list[int]
    member_id: int

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ArrivalResult:
        """Parse an ArrivalRead."""
        return cls(
            event_id=d.get("event_id"),
            delivered_to=[int(i) for i in d.get("delivered_to") or ()],
            member_id=as_int(d["member_id"]),
        )


@dataclass(frozen=True)
class MemberSummary:
    """What a look-up finds (GET /members/lookup): who this is, in brief."""

    id: int
    name: str
    phone: str | None
    card_number: str | None
    home_store: StoreRef | None
    tier: str
    points_available: int
    dormancy: str
    tags: list[str]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MemberSummary:
        """Parse a MemberSummary."""
        return cls(
            id=as_int(d["id"]),
            name=as_str(d.get("name")),
            phone=d.get("phone"),
            card_number=d.get("card_number"),
            home_store=StoreRef.maybe(d.get("home_store")),
            tier=as_str(d.get("tier")),
            points_available=as_int(d.get("points_available")),
            dormancy=as_str(d.get("dormancy")),
            tags=[str(t) for t in d.get("tags") or ()],
        )
