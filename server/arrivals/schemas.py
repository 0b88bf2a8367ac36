"""Wire shapes of the arrival endpoint and of the `member.arrived` floor event it publishes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from server.core.bounds import Id
from server.recommendations.schemas import ReactivationOfferRead, SuggestionRead, TalkingPointRead

Source = Literal["till", "door", "clerk"]
IDENTIFIERS = ("phone", "card", "qr", "member_id")


class ArrivalCreate(BaseModel):
    """A member walked in: exactly one of phone, card, qr or member_id, and what noticed them."""

    phone: str | None = Field(None, max_length=40, description="Any common format.")
    card: str | None = Field(None, max_length=40)
    qr: str | None = Field(None, max_length=200, description="The token the member's QR code holds.")
    member_id: Id | None = Field(None, description="When the clerk already has the member open.")
    source: Source = Field(description="till (scanned at the till), door (door scanner) or clerk.")

    @model_validator(mode="after")
    def _exactly_one(self) -> ArrivalCreate:
        given = [name for name in IDENTIFIERS if getattr(self, name) is not None]
        if len(given) != 1:
            named = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one of phone, card, qr or member_id (got {named})")
        return self


class ArrivalRead(BaseModel):
    event_id: str | None = Field(description="The floor event's id (null when nobody was there to tell).")
    delivered_to: list[int] = Field(description="Staff ids the event was sent to (on the floor or assigned).")
    member_id: int


class ArrivedConsultant(BaseModel):
    staff_id: int
    name: str
    position: str = Field(description="primary or secondary")


class ArrivedMember(BaseModel):
    """The profile summary a clerk reads on the phone as the member walks in."""

    id: int
    name: str
    phone: str | None = Field(description="Always masked (*******8000): the event goes to several phones.")
    card_number: str | None
    home_store_id: int | None
    tier: str
    tier_progress: str = Field(description="What the next tier still needs, e.g. '200.00 more to VIP'.")
    # tier_progress and dormancy_text as data: the event goes to phones in different languages.
    next_tier: str | None = Field(description="The tier above (null at the top).")
    spend_needed: Decimal
    visits_needed: int
    tier_qualify: str = Field(description="spend_or_visits or spend_and_visits.")
    points_available: int
    points_expiring_within_30_days: int
    points_expiring_next_on: date | None
    tags: list[str]
    persona: str
    dormancy: str
    days_since_last_purchase: int | None
    last_purchase_on: date | None
    dormancy_text: str
    heat_index: int
    consultants: list[ArrivedConsultant]


class ArrivalEvent(BaseModel):
    """The payload of a `member.arrived` floor event."""

    member: ArrivedMember
    source: Source
    store_id: int
    arrived_at: datetime = Field(description="Business time of the arrival.")
    lang: str
    model_version: str
    recommendations: list[SuggestionRead]
    talking_points: list[TalkingPointRead]
    reactivation_offer: ReactivationOfferRead | None
