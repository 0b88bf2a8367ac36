"""Issuing one template to a segment: every member with a tag, or whose facts satisfy a tag-language rule.

Each member's coupon is issued under the key `batch:{template}:{batch_key}:{member}`, so running a batch
again (after a crash, or to reach members who joined the segment since) issues nobody twice. A member
the template cannot go to (their limit, the total limit) is skipped with the reason; the others still
get theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from server.core.errors import AisleError, InvalidInput
from server.coupons import repository as repo
from server.coupons.schemas import BatchCreate
from server.coupons.service import get_template, issue_coupon
from server.db.tables import Staff
from server.tags.evaluation import compile_rule, facts_used
from server.tags.service import compute_facts, validate_rule

MAX_BATCH = 50_000


@dataclass
class BatchResult:
    """Who a batch run reached: coupons issued now, and members skipped with the reason."""

    matched: int = 0
    issued: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def segment(session: Session, body: BatchCreate, now: datetime) -> list[int]:
    """The members of the batch's segment, in id order (422 for a rule the registry does not accept)."""
    if body.tag is not None:
        return repo.tagged_members(session, body.tag.strip())
    rule = validate_rule(body.rule)
    test = compile_rule(rule)
    facts = compute_facts(session, now, None, facts_used(rule))
    today = now.date()
    return sorted(member_id for member_id, values in facts.items() if test(values, today))


def issue_batch(
    session: Session, caller: Staff, template_id: int, body: BatchCreate, now: datetime
) -> BatchResult:
    """Issue the template to every member of the segment once per batch key; report issued and skipped."""
    template = get_template(session, template_id)
    members = segment(session, body, now)
    if len(members) > MAX_BATCH:
        raise InvalidInput(f"the segment has {len(members)} members; a batch reaches at most {MAX_BATCH}")
    result = BatchResult(matched=len(members))
    for member_id in members:
        key = f"batch:{template.id}:{body.batch_key}:{member_id}"
        try:
            with session.begin_nested():
                issued = issue_coupon(
                    session, template.id, member_id, key=key, source="batch", staff_id=caller.id, now=now
                )
        except AisleError as exc:
            result.skipped.append((member_id, exc.message))
            continue
        if issued.replayed:
            result.skipped.append((member_id, "already issued by this batch"))
        else:
            result.issued.append(issued.coupon.id)
    return result
