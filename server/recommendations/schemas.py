"""Wire shapes of the recommendations endpoints."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

FactValue = str | int | float


class SuggestionRead(BaseModel):
    recommendation_id: int = Field(description="Send feedback for this id.")
    item_id: int = Field(description="The product id.")
    sku: str
    name: str = Field(description="In the requested language (English when no translation is on file).")
    price: float
    category: str
    kind: Literal["replenish", "cross_sell", "explore", "chat", "popular", "trending"] = Field(
        description="popular and trending: the store's best-sellers and risers, for a member with little "
        "history of their own."
    )
    score: float
    reason: str = Field(description="A sentence the clerk can say, built only from `facts`.")
    facts: dict[str, FactValue]


class TalkingPointRead(BaseModel):
    kind: str
    text: str
    facts: dict[str, FactValue]


class ReactivationOfferRead(BaseModel):
    discount_percent: int
    categories: list[str]
    item_ids: list[int]
    text: str
    reasons: list[str]
    facts: dict[str, FactValue]


class RecommendationsRead(BaseModel):
    member_id: int
    lang: str
    model_version: str
    suggestions: list[SuggestionRead]
    talking_points: list[TalkingPointRead]
    reactivation_offer: ReactivationOfferRead | None = Field(
        description="Only for a dormant member (no purchase in 90 days)."
    )


class ChatRequest(BaseModel):
    session_id: str | None = Field(None, max_length=36, description="Omit to start a new conversation.")
    message: str = Field(max_length=500, description="What the customer said.")
    lang: str | None = Field(None, max_length=10, description="en or zh; default the member's locale.")


class ConstraintsRead(BaseModel):
    min_price: float | None
    max_price: float | None
    price_below: float | None
    price_above: float | None
    categories: list[str]
    excluded_categories: list[str]
    excluded_items: list[int]
    recipient: str | None
    occasion: str | None
    gift: bool
    anchor_item: int | None
    topic: str
    # Turns stored before these were kept say nothing of them: empty.
    named_categories: list[str] = Field(
        default_factory=list, description="The categories the customer's words named (not a gift's)."
    )
    colours: list[str] = Field(default_factory=list, description="Any of these colours (English names).")
    excluded_colours: list[str] = Field(default_factory=list, description="None of these colours.")
    excluded_words: list[str] = Field(
        default_factory=list,
        description="Refused kinds narrower than a category (红茶 within tea), as said: items left out.",
    )
    unmatched: list[str] = Field(
        default_factory=list,
        description="Kinds asked for, as said, that the catalogue does not carry (咖啡 in a tea shop): while "
        "any is here no item is suggested, and `reply` says so.",
    )


class ChatTurnRead(BaseModel):
    session_id: str
    turn_no: int
    message: str = Field(description="What the customer said.")
    lang: str
    items: list[SuggestionRead]
    constraints: ConstraintsRead
    reply: str = Field(description="Said when nothing matched; empty otherwise.")
    model_version: str
    staff_id: int | None
    created_at: datetime


class ChatLogRead(BaseModel):
    session_id: str
    member_id: int
    staff_id: int | None
    store_id: int | None
    created_at: datetime
    turns: list[ChatTurnRead]


class FeedbackCreate(BaseModel):
    action: Literal["accepted", "declined", "sold"]


class FeedbackRead(BaseModel):
    recommendation_id: int
    action: str
    staff_id: int | None
    transaction_id: int | None
    amount: Decimal | None
    recorded_at: datetime
    created: bool = Field(description="False when this action was already recorded (nothing changed).")


class AttributionRow(BaseModel):
    staff_id: int | None
    staff_name: str | None
    model_version: str
    shown: int
    accepted: int
    declined: int
    sold: int
    attributed_revenue: Decimal


class AttributionRead(BaseModel):
    store_id: int | None
    since: datetime | None
    window_days: int
    rows: list[AttributionRow]
