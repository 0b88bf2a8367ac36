"""Who may open a member, the look-up rate limit, and the audit of every look-up and profile view.

A member's profile is open to staff with a role in their home store or in a store they bought in, to
chain-wide roles, to their assigned consultant, and, for one shift, to whoever found them at the till by
phone, card or QR code (a member of another store walked in and identified themselves).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from server.auth.scope import ANY_ROLE, grants, holds
from server.core.errors import Forbidden, NotFound, TooManyRequests
from server.db.base import UTCDateTime, utcnow
from server.db.session import core
from server.db.tables import ConsultantAssignment, LookupAudit, Member, Staff
from server.members import repository as repo

WALK_IN = timedelta(hours=12)  # one shift: a look-up opens the member to the staff member who made it
LOOKUP_METHODS = ("phone", "card", "qr")
# Built once: the rate check and the audit row are on the path of every arrival at the door.
_WINDOW = (
    LookupAudit.staff_id == bindparam("staff_id"),
    LookupAudit.occurred_at > bindparam("start", type_=UTCDateTime()),
    LookupAudit.method.in_(LOOKUP_METHODS),
)
_USED = select(func.count()).select_from(LookupAudit).where(*_WINDOW)
_RECENT = (
    select(LookupAudit.occurred_at)
    .where(*_WINDOW)
    .order_by(LookupAudit.occurred_at.desc())
    .limit(bindparam("limit"))
)
_AUDIT = insert(LookupAudit)


class TooManyLookups(TooManyRequests):
    """Look-ups refused for a while; `retry_after` says how many seconds."""


@dataclass(frozen=True)
class LookupLimit:
    """At most `per_window` look-ups per staff account in any `window_seconds`."""

    per_window: int = 60
    window_seconds: int = 60


def check_lookup_rate(
    session: Session, staff_id: int, limit: LookupLimit, now: datetime | None = None
) -> None:
    """Raise TooManyLookups (429 with Retry-After) when the staff member used up their look-ups."""
    now = now or utcnow()
    start = now - timedelta(seconds=limit.window_seconds)
    window = {"staff_id": staff_id, "start": start}
    used = core(session).execute(_USED, window).scalar()
    if (used or 0) < limit.per_window:  # the usual case: a count, no timestamps to read
        return
    times = list(core(session).execute(_RECENT, window | {"limit": limit.per_window}).scalars())
    if len(times) < limit.per_window:
        return
    wait = max(1, math.ceil((times[-1] - start).total_seconds()))
    raise TooManyLookups(
        f"too many member look-ups: at most {limit.per_window} per {limit.window_seconds} s "
        f"per staff account; try again in {wait} s",
        wait,
    )


def record_access(
    session: Session, staff_id: int, member_id: int | None, method: str, store_id: int | None
) -> None:
    """Audit one look-up (method phone, card or qr; no member when nobody was found) or profile view."""
    row = {"staff_id": staff_id, "member_id": member_id, "store_id": store_id, "method": method}
    core(session).execute(_AUDIT, row | {"occurred_at": utcnow()})


def consultant_ids(session: Session, member_id: int) -> set[int]:
    """The staff members currently assigned to the member (primary or secondary)."""
    stmt = select(ConsultantAssignment.staff_id).where(
        ConsultantAssignment.member_id == member_id, ConsultantAssignment.ended_at.is_(None)
    )
    return set(session.scalars(stmt))


def may_view(
    session: Session,
    caller: Staff,
    member_id: int,
    home_store_id: int | None,
    visited: Collection[int] | None = None,
    consultants: Collection[int] | None = None,
) -> bool:
    """Whether `caller` may open the member (see the module docstring); cheapest checks first."""
    pairs = grants(caller)
    if any(scope is None for _, scope in pairs) or holds(caller, ANY_ROLE, home_store_id):
        return True
    stores = {scope for _, scope in pairs if scope is not None}
    if stores & set(repo.visited_store_ids(session, member_id) if visited is None else visited):
        return True
    if caller.id in (consultant_ids(session, member_id) if consultants is None else consultants):
        return True
    return repo.looked_up_since(session, caller.id, member_id, utcnow() - WALK_IN)


def refusal(member_id: int, home_store_id: int | None) -> Forbidden:
    """The 403 that says what would open the member."""
    where = f"store {home_store_id}" if home_store_id is not None else "no store"
    return Forbidden(
        f"member {member_id} belongs to {where}: open them with a role there or in a store they bought in, "
        "as their consultant, or after finding them by phone, card or QR code (GET /members/lookup)"
    )


def member_for(session: Session, caller: Staff, member_id: int) -> Member:
    """The member if they exist (404) and `caller` may open them (403)."""
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(f"member {member_id} does not exist")
    if not may_view(session, caller, member.id, member.home_store_id):
        raise refusal(member.id, member.home_store_id)
    return member
