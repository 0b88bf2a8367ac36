"""Tag rules (validated JSON, versioned) and the tags members carry, with why each was set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UTCDateTime, utcnow


class TagRule(Base):
    """A rule that sets the tag `name` on every member it matches; `version` goes up on each edit."""

    __tablename__ = "tag_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class MemberTag(Base):
    """A tag on a member: set by a rule (rule_id, with the leaves that matched) or by a staff member."""

    __tablename__ = "member_tags"
    __table_args__ = (Index("uq_member_tags_member_tag", "member_id", "tag", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(80), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("tag_rules.id", ondelete="CASCADE"), index=True)
    rule_version: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10), default="rule")  # rule or staff
    explanation: Mapped[list[str]] = mapped_column(JSON, default=list)
    tagged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
