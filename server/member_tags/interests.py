"""A member's stated interests: staff-set tags `interest:<category key>`, read by cold-start suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from server.member_tags import repository as repo

INTEREST_PREFIX = "interest:"


def interests_of(session: Session, member_ids: Sequence[int]) -> dict[int, list[str]]:
    """Member id -> the category keys they stated, in the order they were stated (every id present)."""
    tags = repo.staff_tags_with_prefix(session, member_ids, INTEREST_PREFIX)
    return {m: [t[len(INTEREST_PREFIX) :] for t in tags.get(m, [])] for m in member_ids}


def set_interests(
    session: Session, member_id: int, categories: Sequence[str], *, staff_id: int | None, now: datetime
) -> bool:
    """Make the member's stated interests exactly `categories` (category keys); whether anything changed.

    Interests kept keep their tag (and place in the order); a rule's tag of the same name becomes the
    staff's, since the member has now said it; new ones are added in the order given."""
    wanted = [f"{INTEREST_PREFIX}{c}" for c in dict.fromkeys(categories)]
    have = {row.tag: row for row in repo.member_tags_with_prefix(session, member_id, INTEREST_PREFIX)}
    changed = False
    gone = [row.id for tag, row in have.items() if row.rule_id is None and tag not in wanted]
    if gone:
        repo.remove_tags(session, gone)
        changed = True
    for tag in wanted:
        row = have.get(tag)
        if row is not None and row.rule_id is not None:
            row.rule_id, row.rule_version, row.source, row.explanation = None, None, "staff", []
            row.tagged_by_id = staff_id
            changed = True
    # A microsecond apart, so the order stated is the order read (tags are read oldest first).
    fresh = [tag for tag in wanted if tag not in have]
    repo.add_tags(
        session,
        [
            {
                "member_id": member_id,
                "tag": tag,
                "source": "staff",
                "explanation": [],
                "tagged_at": now + timedelta(microseconds=i),
                "tagged_by_id": staff_id,
            }
            for i, tag in enumerate(fresh)
        ],
    )
    if fresh or changed:
        session.flush()
    return bool(fresh) or changed
