"""Automations: business events, journeys and their published versions, enrolments and due steps.

Work that runs later is rows with unique keys and a due time (docs/automations.md): an event is
consumed once, a member enters a journey once per entry key, and a step runs once per visit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UTCDateTime, utcnow


class AutomationEvent(Base):
    """A business change a journey may start from (registered, purchased, tier_changed ...).

    Written in the same transaction as the change; `key` makes writing it twice (a retried request, a
    re-run sweep) a no-op; `consumed_at` is set in the transaction that enrols members from it.
    """

    __tablename__ = "automation_events"
    __table_args__ = (
        Index("ix_automation_events_open", "consumed_at", "id"),
        Index("ix_automation_events_member", "member_id", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AutomationSweep(Base):
    """A date trigger's sweep for one day (`birthday:1:2027-03-04`): whoever inserts the row runs it."""

    __tablename__ = "automation_sweeps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    events: Mapped[int] = mapped_column(Integer, default=0)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JourneySegmentMember(Base):
    """Who is in a segment-triggered journey's segment as of its last daily sweep (to see who entered)."""

    __tablename__ = "journey_segment_members"
    __table_args__ = (UniqueConstraint("journey_id", "member_id", name="uq_journey_segment_members"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    since: Mapped[datetime] = mapped_column(UTCDateTime)


class Journey(Base):
    """A journey: its name, whose it is (a store's, or the chain's when `store_id` is empty), its state."""

    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # A stable name for code and seeds: "birthday", "win_back" ...
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    # draft (never published), active, paused.
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # The version new members enter; members already in stay on the one they entered. (No foreign key:
    # versions point at their journey, and a cycle of keys would need ALTERs SQLite cannot do.)
    live_version_id: Mapped[int | None] = mapped_column(BigId)
    # The definition being edited (validated when saved, published as a new version).
    draft: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A chain journey runs only for members of stores that switched it on (seed journeys start off).
    per_store_switch: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JourneyVersion(Base):
    """One published, immutable definition of a journey."""

    __tablename__ = "journey_versions"
    __table_args__ = (UniqueConstraint("journey_id", "version", name="uq_journey_versions_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JourneyStoreSwitch(Base):
    """A store's switch for a chain journey that runs per store."""

    __tablename__ = "journey_store_switches"
    __table_args__ = (UniqueConstraint("journey_id", "store_id", name="uq_journey_store_switch"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JourneyEnrolment(Base):
    """A member in a journey version, entered once per entry key (e.g. `birthday:2027`)."""

    __tablename__ = "journey_enrolments"
    __table_args__ = (
        UniqueConstraint("journey_id", "member_id", "entry_key", name="uq_journey_enrolments_entry"),
        Index("ix_journey_enrolments_member", "member_id", "status"),
        Index("ix_journey_enrolments_version", "version_id", "arm"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("journey_versions.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(120))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    # treatment, holdout (this journey's control group) or global (the chain-wide holdout).
    arm: Mapped[str] = mapped_column(String(10))
    # active, completed (reached an end), converted (reached the goal and exited), exited.
    status: Mapped[str] = mapped_column(String(10), default="active")
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The goal's window closes here; the purchase that converts must fall inside it.
    goal_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revenue: Mapped[Any] = mapped_column(Numeric(14, 2), default=0)
    # What later steps may use: the trigger's values, a coupon issued on the way (its code, value, expiry).
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(40), default="")


class JourneyStep(Base):
    """One step of an enrolment, due at a time, run once per (node, visit)."""

    __tablename__ = "journey_steps"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "node", "visit", name="uq_journey_steps_visit"),
        Index("ix_journey_steps_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("journey_enrolments.id", ondelete="CASCADE"))
    node: Mapped[str] = mapped_column(String(40))
    visit: Mapped[int] = mapped_column(Integer, default=1)
    # due, done, or skipped (the enrolment ended first). A worker claims a due step by locking its row
    # (FOR UPDATE SKIP LOCKED; SQLite's single writer) for the transaction that runs it and commits.
    status: Mapped[str] = mapped_column(String(8), default="due")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the step did: "sent", "held_out" (a control member's send suppressed), "yes"/"no", a branch.
    outcome: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
