"""The nightly notices that no single event raises: birthday greetings and the member-day announcement.

Each is keyed by the fact it announces (`birthday:<member>:<year>`, `member-day:<member>:<date>`), so a
second run the same night queues nothing. Consent, caps and quiet hours are judged by the dispatcher.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, extract, or_, select
from sqlalchemy.orm import Session

from server.automations.seeds import BIRTHDAY, MEMBER_DAY, switched_on_stores
from server.core.errors import Conflict
from server.coupons.service import issue_coupon
from server.db.queries import CHUNK, IdRange, chunks
from server.db.tables import CouponTemplate, Member, OutboxMessage
from server.loyalty.config import load_config
from server.loyalty.points import is_member_day
from server.messaging.bulk import Notice, enqueue_many


def _born_on(day: date) -> list[ColumnElement[bool]]:
    """Birthdays celebrated on `day`: 29 February is kept on 28 February in other years."""
    month, dom = extract("month", Member.birthday), extract("day", Member.birthday)
    same = and_(month == day.month, dom == day.day)
    leap_day = day.month == 2 and day.day == 28 and (day + timedelta(days=1)).month == 3
    return [same, and_(month == 2, dom == 29)] if leap_day else [same]


def _not_journeys(stmt: Any, stores: Collection[int]) -> Any:
    """Leave out members of `stores`, those that switched a seed journey on: it greets them instead."""
    if not stores:
        return stmt
    return stmt.where(or_(Member.home_store_id.is_(None), Member.home_store_id.not_in(sorted(stores))))


def birthday_members(session: Session, day: date, members: IdRange | None = None) -> list[int]:
    """The members (of `members`) whose birthday is celebrated on `day` (bar those a journey greets)."""
    stmt = select(Member.id).where(Member.birthday.is_not(None), or_(*_born_on(day))).order_by(Member.id)
    if members is not None:
        stmt = stmt.where(members.holds(Member.id))
    return list(session.scalars(_not_journeys(stmt, switched_on_stores(session, BIRTHDAY))))


def birthday_template(session: Session) -> CouponTemplate | None:
    """The active birthday coupon template (the oldest, if HQ keeps several)."""
    stmt = select(CouponTemplate).where(CouponTemplate.purpose == "birthday", CouponTemplate.active.is_(True))
    return session.scalars(stmt.order_by(CouponTemplate.id).limit(1)).first()


def _queued(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for part in chunks(keys):
        found.update(
            session.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(part)))
        )
    return found


def _voucher(session: Session, template: CouponTemplate, member_id: int, now: datetime) -> Notice | None:
    """Issue this year's birthday coupon and the greeting naming it; None if the member cannot have it."""
    key = f"birthday:{member_id}:{now.year}"
    try:
        with session.begin_nested():
            issued = issue_coupon(
                session, template.id, member_id, key=f"{key}:coupon", source="automation", now=now
            )
    except Conflict:  # over the member's or the template's limit, or the template ran out: greet anyway
        return None
    amount = issued.coupon.terms.get("amount")
    if amount is None:  # a percent-off or gift coupon has no amount to name in the birthday text
        return None
    variables = {"coupon_amount": str(Decimal(str(amount))), "coupon_code": issued.coupon.code}
    return Notice(member_id, "birthday", variables, key)


def greet_birthdays(session: Session, now: datetime, members: IdRange | None = None) -> int:
    """Queue today's birthday greetings to `members` (all when None), with a birthday coupon when HQ keeps
    one; how many were queued."""
    born = birthday_members(session, now.date(), members)
    keys = {m: f"birthday:{m}:{now.year}" for m in born}
    done = _queued(session, list(keys.values()))  # greeted already: no second coupon, no other purpose
    template = birthday_template(session)
    notices = []
    for member_id in (m for m in born if keys[m] not in done):
        notice = _voucher(session, template, member_id, now) if template is not None else None
        notices.append(notice or Notice(member_id, "birthday_greeting", {}, keys[member_id]))
    return enqueue_many(session, notices, now=now)


def announce_member_day(
    session: Session, now: datetime, chunk: int = CHUNK, members: IdRange | None = None
) -> int:
    """The day before a member day, queue its announcement to every member (of `members`), a chunk of
    members at a time."""
    day = now.date() + timedelta(days=1)
    if not is_member_day(load_config(session).earn, day):
        return 0
    members = members or IdRange()
    added, last = 0, members.lo
    variables = {"event_date": day.isoformat()}
    journeys = switched_on_stores(session, MEMBER_DAY)  # read once, not once a chunk of members
    while True:
        stmt = select(Member.id).where(IdRange(last, members.hi).holds(Member.id))
        stmt = _not_journeys(stmt, journeys)
        stmt = stmt.order_by(Member.id).limit(chunk)
        ids = list(session.scalars(stmt))
        if not ids:
            return added
        notices = [Notice(m, "member_day", variables, f"member-day:{m}:{day.isoformat()}") for m in ids]
        added += enqueue_many(session, notices, now=now)
        last = ids[-1]
