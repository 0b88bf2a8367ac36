"""What the recommender showed, what came of it, and the clerk's conversations with the recommender."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, Money, UTCDateTime, utcnow


class Recommendation(Base):
    """One item shown to a clerk for one member, by one model version; the unit feedback refers to."""

    __tablename__ = "recommendations"
    __table_args__ = (
        Index("ix_recommendations_member_product", "member_id", "product_id", "shown_at"),
        Index("ix_recommendations_store_time", "store_id", "shown_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(20))  # replenish, cross_sell, explore or chat
    model_version: Mapped[str] = mapped_column(String(120))
    chat_session_id: Mapped[str | None] = mapped_column(ForeignKey("chat_sessions.id", ondelete="SET NULL"))
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A sale of the product to the member up to this moment is credited to the clerk and model version.
    attributable_until: Mapped[datetime] = mapped_column(UTCDateTime)
    # Shown inside an A/B experiment (server/deployments): its label and the member's arm, "A" or "B".
    experiment: Mapped[str | None] = mapped_column(String(40), index=True)
    arm: Mapped[str | None] = mapped_column(String(1))


class RecommendationFeedback(Base):
    """What came of a recommendation: shown, accepted, declined or sold; one row per action."""

    __tablename__ = "recommendation_feedback"
    __table_args__ = (Index("uq_recommendation_feedback_action", "recommendation_id", "action", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(12))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # For "sold": the sale it was attributed to and what that product's lines brought in.
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), index=True)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatSession(Base):
    """A clerk's conversation with the recommender about one member."""

    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID the phone keeps
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatTurn(Base):
    """One utterance and the answer to it, with the constraints the next turn refines."""

    __tablename__ = "chat_turns"
    __table_args__ = (Index("uq_chat_turns_turn", "session_id", "turn_no", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    turn_no: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    utterance: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(10))
    constraints: Mapped[dict[str, Any]] = mapped_column(JSON)
    # [{"item_id", "score", "reason", "facts", "recommendation_id"}], best first.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text, default="")
    model_version: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
