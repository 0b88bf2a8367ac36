"""The member page over HTTP: joining by a texted code, no enumeration, throttles, CSRF, check-in, opt-out."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member, MessageConsent, OutboxMessage, SignInCode
from server.messaging.outbox import enqueue
from tests.fixtures.factories import make_member
from tests.server.member_web.conftest import NOON, Door


def _member(session: Session, phone_hash: str) -> Member | None:
    session.expire_all()
    return session.scalars(select(Member).where(Member.phone_hash == phone_hash)).first()


def test_joining_at_the_door_with_the_texted_code(door: Door, session: Session, context: AppContext) -> None:
    page = door.client.get(door.url, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert page.status_code == 200 and "Send me a code" in page.text
    door.post("code", phone="139 1234 5678")
    home = door.post("sign-in", code=door.last_code())
    assert "Join" in home.text and 'name="marketing_sms"' in home.text
    assert "checked" not in home.text  # marketing is opt-in: unticked by default
    home = door.post("join", name="Wang Fang", birthday="1990-05-01", marketing_sms="yes")
    assert home.status_code == 200 and "Hello, Wang Fang" in home.text
    member = _member(session, context.keys.phone_hash("+8613912345678"))
    assert member is not None and member.home_store_id == door.store.id
    assert str(member.birthday) == "1990-05-01"
    ledger = session.scalars(select(MessageConsent).where(MessageConsent.member_id == member.id)).all()
    assert {e.source for e in ledger} == {"member_page"}
    assert {(e.channel, e.purpose_class, e.granted) for e in ledger} >= {
        ("sms", "marketing", True),
        ("push", "marketing", False),
        ("sms", "service", True),
    }
    # The member's QR carries their QR token, what the scanners look up, never the phone.
    qr = door.client.get("/m/me/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert "5678" not in page.text + home.text


def test_a_wrong_code_counts_down_then_the_code_is_spent(door: Door) -> None:
    door.post("code", phone="13912345679")
    right = door.last_code()
    wrong = "000000" if right != "000000" else "111111"
    answer = door.post("sign-in", code=wrong)
    assert answer.status_code == 400 and "4 tries left" in answer.text
    for _ in range(4):
        answer = door.post("sign-in", code=wrong)
    assert answer.status_code == 400 and "expired" in answer.text
    assert door.post("sign-in", code=right).status_code == 400  # the right one no longer works either


def test_an_expired_code_is_refused(door: Door) -> None:
    door.post("code", phone="13912345670")
    code = door.last_code()
    door.at(NOON + timedelta(minutes=5, seconds=1))
    answer = door.post("sign-in", code=code)
    assert answer.status_code == 400 and "expired" in answer.text


def test_codes_are_throttled_per_phone_and_per_address(door: Door) -> None:
    for _ in range(3):
        assert door.post("code", phone="13912340000").status_code == 200
    refused = door.post("code", phone="13912340000")
    assert refused.status_code == 429 and "wait" in refused.text and refused.headers["Retry-After"]
    door.at(NOON + timedelta(minutes=16))
    assert door.post("code", phone="13912340000").status_code == 200
    for n in range(6):  # ten per address an hour, whatever the numbers
        door.post("code", phone=f"1391234{n:04d}")
    assert door.post("code", phone="13912349999").status_code == 429


def test_the_429_page_speaks_the_members_language(door: Door) -> None:
    for _ in range(3):
        door.post("code", phone="13912340001")
    door.client.get(door.url + "?lang=zh")
    refused = door.post("code", phone="13912340001")
    assert refused.status_code == 429 and "请求过于频繁" in refused.text


def test_the_same_answer_for_a_member_and_a_stranger(
    door: Door, session: Session, context: AppContext
) -> None:
    make_member(session, context.keys, door.store, phone="13800138000")
    session.commit()

    def answer(phone: str) -> str:
        text = door.post("code", phone=phone).text  # type: ignore[attr-defined]
        return re.sub(r'value="[^"]+"', "", text)

    assert answer("13800138000") == answer("13800138001")
    sent = [line for line in door.sms() if line["purpose"] == "sign_in_code"]
    assert len(sent) == 2  # both got a code; nothing tells them apart on the page


def test_a_member_signs_in_straight_to_their_home(door: Door, session: Session, context: AppContext) -> None:
    member = make_member(session, context.keys, door.store, name="Li Na", phone="13800138000")
    session.commit()
    home = door.sign_in("13800138000")
    assert "Li Na" in home.text and "/m/me/qr.svg" in home.text  # type: ignore[attr-defined]
    assert session.scalar(select(SignInCode.code_hash)) is not None
    assert door.client.get("/m/me/qr.svg").status_code == 200
    assert member.qr_token  # the token the QR carries


def test_codes_are_hashed_at_rest_and_never_in_urls(door: Door, session: Session) -> None:
    door.post("code", phone="13912345671")
    code = door.last_code()
    row = session.scalars(select(SignInCode)).one()
    assert code not in row.code_hash and b"13912345671" not in row.phone_encrypted
    outbox = session.scalars(select(OutboxMessage)).one()
    assert code not in outbox.body and outbox.member_id is None


def test_a_form_without_its_csrf_token_is_refused(door: Door, session: Session) -> None:
    refused = door.client.post(f"{door.url}/code", data={"phone": "13912345672"})
    assert refused.status_code == 403
    forged = door.client.post(f"{door.url}/code", data={"phone": "13912345672", "csrf": "x" * 40})
    assert forged.status_code == 403
    assert session.scalars(select(SignInCode)).first() is None


def test_check_in_once_a_day_in_the_stores_time_zone(door: Door) -> None:
    door.sign_in("13912345673")
    first = door.post("check-in")
    assert "Checked in: +5 points" in first.text or "签到成功，获得5积分" in first.text
    again = door.post("check-in")
    assert "5" in again.text and ("Already checked in" in again.text or "今天已经签到过了" in again.text)
    points = re.search(r'data-points="(\d+)"', again.text)
    assert points and points.group(1) == "5"  # the second tap added nothing
    door.at(NOON + timedelta(hours=3, minutes=59))  # 23:59 in Shanghai: still the same local day
    assert re.search(r'data-points="5"', door.post("check-in").text)
    door.at(NOON + timedelta(hours=4, minutes=1))  # 00:01 the next day in Shanghai, still 2 March in UTC
    next_day = door.post("check-in")
    assert re.search(r'data-points="10"', next_day.text)


def test_opt_out_suppresses_a_marketing_message_enqueued_afterwards(
    door: Door, session: Session, context: AppContext
) -> None:
    door.sign_in("13912345674", marketing_sms="yes")
    member = _member(session, context.keys.phone_hash("+8613912345674"))
    assert member is not None
    door.post("opt-out")
    enqueue(session, member.id, "campaign", {"text": "Spring sale"}, key="spring:1", now=NOON)
    session.commit()
    door.sms()
    session.expire_all()
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == "spring:1")).one()
    assert row.status == "suppressed" and "member_page" in (row.reason or "")


def test_preferences_turn_one_channel_back_on(door: Door, session: Session, context: AppContext) -> None:
    door.sign_in("13912345675")
    home = door.post("preferences", marketing_sms="yes")
    assert re.search(r'name="marketing_sms" value="yes"\s+checked', home.text)
    member = _member(session, context.keys.phone_hash("+8613912345675"))
    assert member is not None
    enqueue(session, member.id, "campaign", {"text": "Spring sale"}, key="spring:2", now=NOON)
    session.commit()
    door.sms()
    session.expire_all()
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == "spring:2")).one()
    assert row.status == "sent"


def test_another_members_data_is_never_shown(door: Door, session: Session, context: AppContext) -> None:
    make_member(session, context.keys, door.store, name="Zhao Lei", phone="13800138009")
    session.commit()
    home = door.sign_in("13912345676", name="Sun Mei")
    assert "Sun Mei" in home.text and "Zhao Lei" not in home.text  # type: ignore[attr-defined]
    # A session cookie cannot be rewritten to name someone else: it is signed.
    door.client.cookies.clear()
    door.client.cookies.set("aisle_member", "MTox.0000000000000000000000000000000000000000")
    page = door.client.get(door.url)
    assert "Zhao Lei" not in page.text and "Send me a code" in page.text


def test_sign_out_forgets_the_session(door: Door) -> None:
    door.sign_in("13912345677", name="Qian")
    door.post("sign-out")
    assert door.client.get("/m/me/qr.svg").status_code == 401
    assert door.post("check-in").status_code == 401


def test_language_by_query_then_cookie_then_browser(door: Door) -> None:
    assert "获取验证码" in door.client.get(door.url, headers={"Accept-Language": "zh-CN"}).text
    assert "Send me a code" in door.client.get(door.url + "?lang=en").text
    assert "Send me a code" in door.client.get(door.url, headers={"Accept-Language": "zh-CN"}).text  # cookie


def test_the_door_qr_names_the_stores_page(door: Door, client: TestClient) -> None:
    qr = door.client.get(f"{door.url}/qr.svg")
    assert qr.status_code == 200 and "<svg" in qr.text
    assert door.client.get("/m/s/NO-SUCH-STORE").status_code == 404
