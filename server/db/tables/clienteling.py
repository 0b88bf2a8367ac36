"""A consultant's finished tasks and the reactivation offers handed to members."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UTCDateTime, utcnow


class TaskCompletion(Base):
    """A task a consultant marked done: a follow-up, an event, or reaching out to a dormant client.

    `ref` names the task as the task list gives it ("follow_up:12", "event:7", "dormant:42"); the phone's
    idempotency key makes an offline completion replayed twice count once.
    """

    __tablename__ = "task_completions"
    __table_args__ = (Index("ix_task_completions_ref_time", "ref", "done_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    ref: Mapped[str] = mapped_column(String(60))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)


class IssuedOffer(Base):
    """A reactivation offer given to a dormant member, with the code they show at the till."""

    __tablename__ = "issued_offers"
    __table_args__ = (Index("ix_issued_offers_member_time", "member_id", "issued_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    # Typed by a cashier, so upper-case letters and digits that cannot be misread ("AISLE-7KQ2-9XTM").
    code: Mapped[str] = mapped_column(String(20), unique=True)
    discount_percent: Mapped[int] = mapped_column(Integer)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    item_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The sentence the consultant read out, in the member's language when it was issued.
    text: Mapped[str] = mapped_column(Text, default="")
    valid_until: Mapped[date] = mapped_column(Date)
    model_version: Mapped[str] = mapped_column(String(120))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    # Set in the same unit of work as the sale that used the code, so a code pays once.
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeemed_transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("transactions.id"), index=True, unique=True
    )
