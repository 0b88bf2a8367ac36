"""The member page's service: codes, throttles, joining with consents, check-in, preferences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.core.errors import InvalidInput, TooManyRequests
from server.db.tables import MessageConsent, OutboxMessage, SignInCode, Store
from server.member_web import service
from server.messaging import consent
from server.messaging.outbox import enqueue_to_phone
from tests.fixtures.factories import make_member
from tests.server.member_web.conftest import NOON


def _code(session: Session, context: AppContext, store: Store, phone: str, address: str = "10.0.0.1") -> int:
    return service.send_code(session, context.keys, store, phone, address, "en", "CN", NOON)


def test_a_code_is_queued_to_the_phone_without_a_member(
    session: Session, context: AppContext, store: Store
) -> None:
    code_id = _code(session, context, store, "13912345680")
    row = session.get(SignInCode, code_id)
    assert row is not None and row.expires_at == NOON + timedelta(minutes=service.CODE_MINUTES)
    message = session.scalars(select(OutboxMessage)).one()
    assert message.member_id is None and message.kind == "sign_in_code" and message.to_encrypted
    assert context.keys.decrypt(message.to_encrypted) == "+8613912345680"
    assert "{code}" in message.body  # the code itself is only in the provider call


def test_only_a_one_time_code_may_go_to_a_bare_phone_number(
    session: Session, context: AppContext, store: Store
) -> None:
    with pytest.raises(InvalidInput):
        enqueue_to_phone(
            session, context.keys, "+8613912345681", "campaign", {"text": "sale"},
            key="x", store_id=store.id, lang="en", expires_at=NOON, now=NOON,
        )  # fmt: skip


def test_text_that_is_no_phone_number_is_refused(session: Session, context: AppContext, store: Store) -> None:
    with pytest.raises(InvalidInput):
        _code(session, context, store, "hello")


def test_the_phone_limit_lifts_when_its_window_passes(
    session: Session, context: AppContext, store: Store
) -> None:
    for n in range(3):
        service.send_code(
            session,
            context.keys,
            store,
            "13912345682",
            f"10.0.0.{n}",
            "en",
            "CN",
            NOON + timedelta(minutes=n),
        )
    with pytest.raises(TooManyRequests) as refused:
        service.send_code(session, context.keys, store, "13912345682", "10.0.1.1", "en", "CN", NOON)
    assert 0 < refused.value.retry_after <= 15 * 60
    later = NOON + timedelta(minutes=15, seconds=1)
    assert service.send_code(session, context.keys, store, "13912345682", "10.0.1.1", "en", "CN", later)


def test_joining_records_service_and_chosen_marketing_consents(
    session: Session, context: AppContext, store: Store
) -> None:
    code_id = _code(session, context, store, "13912345683")
    row = session.get(SignInCode, code_id)
    assert row is not None
    row.verified_at = NOON
    member_id = service.join(
        session, context.keys, code_id, store, name="", birthday=None, marketing={"sms"},
        lang="zh", region="CN", now=NOON,
    )  # fmt: skip
    entries = session.scalars(select(MessageConsent).where(MessageConsent.member_id == member_id)).all()
    assert {(e.channel, e.purpose_class, e.granted) for e in entries if e.purpose_class == "marketing"} == {
        ("sms", "marketing", True),
        ("wecom", "marketing", False),
        ("push", "marketing", False),
    }
    assert all(e.granted for e in entries if e.purpose_class == "service")
    view = service.home(session, member_id, store, NOON)
    assert view.member.name == "会员" and view.member.home_store_id == store.id
    assert view.marketing == {"sms": True, "wecom": False, "push": False}


def test_a_code_not_yet_right_cannot_join(session: Session, context: AppContext, store: Store) -> None:
    code_id = _code(session, context, store, "13912345684")
    with pytest.raises(service.ExpiredCode):
        service.join(
            session, context.keys, code_id, store, name="X", birthday=None, marketing=set(),
            lang="en", region="CN", now=NOON,
        )  # fmt: skip


def test_check_in_twice_the_same_day_is_one_entry(
    session: Session, context: AppContext, store: Store
) -> None:
    member = make_member(session, context.keys, store, phone="13912345685")
    first = service.member_check_in(session, member.id, store, NOON)
    second = service.member_check_in(session, member.id, store, NOON + timedelta(hours=1))
    assert not first.replayed and second.replayed and second.entry.id == first.entry.id
    assert service.home(session, member.id, store, NOON).checked_in == first.entry.points


def test_preferences_write_only_what_changes(session: Session, context: AppContext, store: Store) -> None:
    member = make_member(session, context.keys, store, phone="13912345686")
    service.set_marketing(session, member.id, {"sms"}, NOON)
    service.set_marketing(session, member.id, {"sms"}, NOON)
    entries = session.scalars(select(MessageConsent).where(MessageConsent.member_id == member.id)).all()
    assert [(e.channel, e.granted) for e in entries] == [("sms", True)]
    service.opt_out(session, member.id, NOON)
    assert consent.refusal(session, member, "sms", "campaign") is not None


def test_a_birthday_must_be_a_plausible_date() -> None:
    today = NOON.date()
    assert service.parse_birthday("", today) is None
    assert str(service.parse_birthday("1990-05-01", today)) == "1990-05-01"
    for bad in ("1990-13-01", "2030-01-01", "1800-01-01"):
        with pytest.raises(InvalidInput):
            service.parse_birthday(bad, today)
