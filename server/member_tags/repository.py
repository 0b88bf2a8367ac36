"""SQL for the tags on members, below every package that sets or reads them (rules, enrolment)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from server.db.queries import chunks
from server.db.tables import MemberTag


def add_tags(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert member tags in bulk."""
    if rows:
        session.execute(insert(MemberTag), rows)


def remove_tags(session: Session, tag_ids: Sequence[int]) -> None:
    """Delete member tags by id, in chunks."""
    for part in chunks(sorted(tag_ids)):
        session.execute(delete(MemberTag).where(MemberTag.id.in_(part)))


def member_tags_with_prefix(session: Session, member_id: int, prefix: str) -> list[MemberTag]:
    """The member's tags starting with `prefix` (set by hand or by a rule), oldest first."""
    stmt = (
        select(MemberTag)
        .where(MemberTag.member_id == member_id, MemberTag.tag.startswith(prefix, autoescape=True))
        .order_by(MemberTag.tagged_at, MemberTag.id)
    )
    return list(session.scalars(stmt))


def staff_tags_with_prefix(session: Session, member_ids: Sequence[int], prefix: str) -> dict[int, list[str]]:
    """Member id -> the tags staff set by hand starting with `prefix`, oldest first (none: absent)."""
    stmt = (
        select(MemberTag.member_id, MemberTag.tag)
        .where(MemberTag.rule_id.is_(None), MemberTag.tag.startswith(prefix, autoescape=True))
        .order_by(MemberTag.tagged_at, MemberTag.id)
    )
    found: dict[int, list[str]] = {}
    for part in chunks(list(member_ids)):
        for member_id, tag in session.execute(stmt.where(MemberTag.member_id.in_(part))):
            found.setdefault(member_id, []).append(tag)
    return found
