"""The member page in a real browser at a phone's size: join at the door, check in once a day, opt out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.tables import Member, OutboxMessage
from server.messaging.outbox import enqueue
from tests.browser.conftest import Site, shoot
from tests.fixtures.waiting import wait_until


def _join(
    page: Any, site: Site, phone: str, lang: str = "en", name: str = "Wang Fang", shot: str = ""
) -> None:
    page.goto(f"{site.url}/m/s/SH-JINGAN?lang={lang}")
    page.fill("#phone", phone)
    page.click("button[type=submit]")
    page.fill("#code", site.code_for(phone[-4:]))
    page.click("form[action$='/sign-in'] button")
    if shot:
        shoot(page, shot)
    page.fill("#name", name)
    page.fill("#birthday", "1990-05-01")
    page.check("input[name=marketing_sms]")
    page.click("form[action$='/join'] button")


def test_joining_at_the_door(phone: Any, site: Site, session: Session) -> None:
    phone.goto(f"{site.url}/m/s/SH-JINGAN")
    assert phone.locator("#phone").is_visible()
    shoot(phone, "join_en")
    _join(phone, site, "13912345601", shot="join_form_en")
    assert phone.get_by_text("Hello, Wang Fang").is_visible()
    phone.wait_for_function("() => document.querySelector('img[src=\"/m/me/qr.svg\"]').naturalWidth > 0")
    assert "13912345601" not in phone.url and "13912345601" not in phone.content()
    member = session.scalars(select(Member).where(Member.name == "Wang Fang")).one()
    assert member.home_store_id is not None


def test_check_in_once_a_day(phone: Any, site: Site) -> None:
    _join(phone, site, "13912345602", name="Li Lei")
    phone.click("form[action$='/check-in'] button")
    assert phone.get_by_text("Checked in: +5 points!").is_visible()
    assert phone.locator("[data-points]").inner_text() == "5"
    phone.click("form[action$='/check-in'] button")
    assert phone.get_by_text("Already checked in today (+5 points)", exact=False).first.is_visible()
    assert phone.locator("[data-points]").inner_text() == "5"
    shoot(phone, "home_en")


def test_opt_out_is_honoured_by_the_outbox(phone: Any, site: Site, session: Session) -> None:
    _join(phone, site, "13912345603", name="Zhou Min")
    phone.click("form[action$='/opt-out'] button")
    assert phone.get_by_text("you will receive no more marketing messages", exact=False).is_visible()
    member = session.scalars(select(Member).where(Member.name == "Zhou Min")).one()
    message = enqueue(
        session, member.id, "campaign", {"text": "Spring sale"}, key="spring:browser", now=member.created_at
    )
    session.commit()
    site.sms()

    def suppressed() -> bool:
        session.expire_all()
        return session.get(OutboxMessage, message.id).status == "suppressed"  # type: ignore[union-attr]

    wait_until(suppressed, "the marketing message to be suppressed")


def test_chinese_pages_read_on_a_phone(phone: Any, site: Site) -> None:
    phone.goto(f"{site.url}/m/s/SH-JINGAN?lang=zh")
    assert phone.get_by_text("获取验证码").is_visible()
    shoot(phone, "join_zh")
    _join(phone, site, "13912345604", lang="zh", name="陈静", shot="join_form_zh")
    phone.click("form[action$='/check-in'] button")
    assert phone.get_by_text("签到成功，获得5积分！").is_visible()
    shoot(phone, "home_zh")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
