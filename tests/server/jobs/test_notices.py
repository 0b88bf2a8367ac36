"""The nightly notices: birthday greetings (with the birthday coupon when HQ keeps one) and the member-day
announcement, each queued once per member in their language; the report counts them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from server.core.errors import InvalidInput
from server.db.tables import Coupon, CouponTemplate, Member, OutboxMessage
from server.jobs.nightly import run_nightly
from server.jobs.notices import announce_member_day, greet_birthdays
from server.loyalty.config import save_setting
from server.messaging import templates
from tests.server.loyalty.rows import Shop, at


def _messages(session: Session, *kinds: str) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.kind.in_(kinds))
    return list(session.scalars(stmt.order_by(OutboxMessage.member_id, OutboxMessage.id)))


def _coupon_template(session: Session, **fields: Any) -> CouponTemplate:
    row = CouponTemplate(
        name_zh="生日礼券",
        name_en="Birthday voucher",
        purpose="birthday",
        terms={"kind": "amount_off", "amount": "88.00"},
        valid_days=30,
        **({"per_member_limit": 1, "active": True, "version": 1, "issued_count": 0} | fields),
    )
    session.add(row)
    session.flush()
    return row


def _zh(member: Member) -> Member:
    member.locale = "zh-CN"
    return member


def test_birthdays_get_the_birthday_coupon_and_the_greeting_once(session: Session) -> None:
    shop = Shop(session)
    voucher = _coupon_template(session)
    mei = _zh(shop.member("王美", birthday=date(1990, 6, 24)))
    ann = shop.member("Ann", birthday=date(1985, 6, 24))
    shop.member("Bob", birthday=date(1985, 6, 25))
    shop.member("Cy")  # no birthday known
    assert greet_birthdays(session, at(2024, 6, 24, 2)) == 2
    assert greet_birthdays(session, at(2024, 6, 24, 3)) == 0  # a second run the same night
    coupons = {c.member_id: c for c in session.scalars(select(Coupon))}
    assert set(coupons) == {mei.id, ann.id}
    assert {(c.template_id, c.source, c.idempotency_key) for c in coupons.values()} == {
        (voucher.id, "automation", f"birthday:{m}:2024:coupon") for m in (mei.id, ann.id)
    }
    zh, en = _messages(session, "birthday", "birthday_greeting")
    assert (zh.member_id, zh.kind, zh.lang, zh.dedup_key) == (
        mei.id,
        "birthday",
        "zh",
        f"birthday:{mei.id}:2024",
    )
    assert zh.body.startswith(f"【{shop.store.name}】王美，生日快乐！送您88.00 GBP生日礼券")
    assert zh.variables is not None and zh.variables["coupon_code"] == coupons[mei.id].code
    assert en.body.startswith(f"{shop.store.name}: happy birthday, Ann! A GBP 88.00 birthday voucher")
    assert greet_birthdays(session, at(2025, 6, 24, 2)) == 2  # next year: greeted again


def test_without_a_birthday_coupon_the_greeting_names_no_voucher(session: Session) -> None:
    shop = Shop(session)
    _coupon_template(session, active=False)  # switched off: as if there were none
    leap = shop.member("Leap", birthday=date(2000, 2, 29))
    assert greet_birthdays(session, at(2024, 2, 28, 2)) == 0  # 2024 has a 29 February
    assert greet_birthdays(session, at(2024, 2, 29, 2)) == 1
    assert greet_birthdays(session, at(2023, 2, 28, 2)) == 1  # kept on 28 February in other years
    messages = _messages(session, "birthday", "birthday_greeting")
    assert [(m.kind, m.dedup_key) for m in messages] == [
        ("birthday_greeting", f"birthday:{leap.id}:2024"),
        ("birthday_greeting", f"birthday:{leap.id}:2023"),
    ]
    assert messages[0].body == (
        f"{shop.store.name}: happy birthday, Leap! We look forward to seeing you. Reply STOP to opt out."
    )
    assert session.scalars(select(Coupon)).first() is None


def test_a_coupon_the_member_cannot_have_does_not_stop_the_greeting(session: Session) -> None:
    shop = Shop(session)
    _coupon_template(session, total_limit=1)
    first = shop.member("First", birthday=date(1990, 6, 24))
    second = shop.member("Second", birthday=date(1991, 6, 24))
    assert greet_birthdays(session, at(2024, 6, 24, 2)) == 2
    kinds = {m.member_id: m.kind for m in _messages(session, "birthday", "birthday_greeting")}
    assert kinds == {first.id: "birthday", second.id: "birthday_greeting"}
    assert [c.member_id for c in session.scalars(select(Coupon))] == [first.id]


def test_the_greeting_without_voucher_keeps_its_template_checked(session: Session) -> None:
    with pytest.raises(InvalidInput, match="unknown variable {coupon_amount} for birthday_greeting"):
        templates.save(
            session, "birthday_greeting", "en", "Happy birthday! {coupon_amount}", None, at(2024, 1, 1)
        )


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_member_day_is_announced_the_evening_before_to_every_member_in_chunks(session: Session) -> None:
    save_setting(
        session,
        "earn",
        {"multipliers": [{"kind": "member_day", "factor": "2", "day_of_month": 8}]},
        at(2024, 1, 1),
    )
    shop = Shop(session)
    mei = _zh(shop.member("王美"))
    others = [shop.member(f"Member {n}", consent=n % 2 == 0) for n in range(44)]
    assert announce_member_day(session, at(2024, 6, 6, 2), chunk=10) == 0  # the 7th is no member day
    session.expunge_all()  # as in the nightly job, where no member is loaded yet
    with _statements(session) as seen:
        assert announce_member_day(session, at(2024, 6, 7, 2), chunk=10) == 45
    assert not any(isinstance(row, Member) for row in session.identity_map.values())  # none kept
    # Five chunks of at most ten: one insert and a handful of reads each, however many members a chunk has.
    assert sum(s.startswith("INSERT INTO message_outbox") for s in seen) == 5
    assert len(seen) <= 5 * 12 + 2
    assert announce_member_day(session, at(2024, 6, 7, 3), chunk=10) == 0
    messages = _messages(session, "member_day")
    assert [m.member_id for m in messages] == [mei.id] + [m.id for m in others]
    assert {m.dedup_key for m in messages} == {f"member-day:{m.member_id}:2024-06-08" for m in messages}
    assert messages[0].body.startswith(f"【{shop.store.name}】2024年6月8日会员日，王美专享礼遇")
    assert messages[1].body.startswith(f"{shop.store.name}: members' day on 2024-06-08, with treats for you")


def test_a_weekday_member_day_and_the_nightly_report_count_each_notice_once(session: Session) -> None:
    save_setting(
        session,
        "earn",
        {"multipliers": [{"kind": "member_day", "factor": "2", "weekday": 2}]},
        at(2024, 1, 1),
    )
    shop = Shop(session)
    shop.member("Ann", birthday=date(1990, 6, 11))
    shop.member("Bob")
    report = run_nightly(session, at(2024, 6, 11, 2))  # a Tuesday: tomorrow is Wednesday, the member day
    assert {k: v for k, v in report.notices.items() if v} == {"birthday": 1, "member_day": 2}
    again = run_nightly(session, at(2024, 6, 11, 3))
    assert set(again.notices) == {"tier_change", "points_expiry", "benefit_expiry", "birthday", "member_day"}
    assert not any(again.notices.values())
