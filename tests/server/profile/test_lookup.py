"""Finding a member at the till by phone, card or QR code: any store's staff, rate-limited, audited."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import LookupAudit
from server.members.access import LookupLimit
from server.members.deps import get_lookup_limit
from tests.fixtures.factories import World, auth, make_member

LOOKUP = "/api/v1/members/lookup"


def _audit(session: Session) -> list[tuple[int, int | None, int | None, str]]:
    session.expire_all()
    rows = session.execute(
        select(
            LookupAudit.staff_id, LookupAudit.member_id, LookupAudit.store_id, LookupAudit.method
        ).order_by(LookupAudit.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.mark.parametrize(
    "typed",
    ["13800138000", "138 0013 8000", "+86 138-0013-8000", "008613800138000", "(+86) 138.0013.8000"],
)
def test_a_chinese_mobile_is_found_however_it_is_typed(
    typed: str, client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a, name="Ann Lee", phone="13800138000")
    session.commit()
    response = client.get(LOOKUP, params={"phone": typed}, headers=auth(context, world.clerk_a))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == ann.id and body["name"] == "Ann Lee"
    assert body["phone"] == "*******8000" and body["phone_masked"] is True
    assert body["profile_url"] == f"/api/v1/members/{ann.id}/profile"


def test_international_numbers_card_and_qr_find_the_member(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    tom = make_member(session, context.keys, world.store_a, name="Tom Hardy", phone="+44 20 7946 0958")
    session.commit()
    headers = auth(context, world.manager_a)
    by_phone = client.get(LOOKUP, params={"phone": "0044 (20) 7946-0958"}, headers=headers)
    by_card = client.get(LOOKUP, params={"card": f" {tom.card_number} "}, headers=headers)
    by_qr = client.get(LOOKUP, params={"qr": tom.qr_token}, headers=headers)
    for response in (by_phone, by_card, by_qr):
        assert response.status_code == 200, response.text
        assert response.json()["id"] == tom.id
    # The home store's manager sees the number in full.
    assert by_phone.json()["phone"] == "+442079460958" and by_phone.json()["phone_masked"] is False
    assert [method for *_, method in _audit(session)] == ["phone", "card", "qr"]


def test_staff_of_any_store_may_look_up_and_each_look_up_is_audited(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a, phone="13800138000")
    session.commit()
    response = client.get(LOOKUP, params={"card": ann.card_number}, headers=auth(context, world.clerk_b))
    assert response.status_code == 200, response.text
    assert response.json()["home_store"] == {"id": world.store_a.id, "name": "Store A"}
    assert _audit(session) == [(world.clerk_b.id, ann.id, world.store_b.id, "card")]
    refused = client.get(LOOKUP, params={"card": ann.card_number}, headers=auth(context, world.nobody))
    assert refused.status_code == 403


def test_unknown_members_are_404_with_what_was_looked_for_and_are_audited_too(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    headers = auth(context, world.clerk_a)
    card = client.get(LOOKUP, params={"card": "6000123412341234"}, headers=headers)
    assert card.status_code == 404
    assert card.json()["detail"] == "no member with card 6000123412341234"
    phone = client.get(LOOKUP, params={"phone": "139 1234 5678"}, headers=headers)
    assert phone.status_code == 404 and phone.json()["detail"] == "no member with phone *******5678"
    qr = client.get(LOOKUP, params={"qr": "no-such-token-0000000"}, headers=headers)
    assert qr.status_code == 404 and qr.json()["detail"] == "no member with this QR code"
    assert _audit(session) == [
        (world.clerk_a.id, None, world.store_a.id, "card"),
        (world.clerk_a.id, None, world.store_a.id, "phone"),
        (world.clerk_a.id, None, world.store_a.id, "qr"),
    ]


@pytest.mark.parametrize(
    "params",
    [{}, {"phone": "13800138000", "card": "88001"}, {"card": "  "}, {"phone": "12345"}],
    ids=["none", "two", "blank", "not-a-phone"],
)
def test_exactly_one_usable_criterion_is_required(
    params: dict[str, str], client: TestClient, context: AppContext, world: World
) -> None:
    response = client.get(LOOKUP, params=params, headers=auth(context, world.clerk_a))
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


def test_a_store_the_caller_does_not_work_in_is_refused(
    client: TestClient, context: AppContext, world: World
) -> None:
    response = client.get(
        LOOKUP, params={"card": "88001", "store_id": world.store_b.id}, headers=auth(context, world.clerk_a)
    )
    assert response.status_code == 403


def test_look_ups_are_limited_per_staff_account(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    app.dependency_overrides[get_lookup_limit] = lambda: LookupLimit(per_window=3, window_seconds=60)
    ann = make_member(session, context.keys, world.store_a)
    session.commit()
    headers = auth(context, world.clerk_a)
    found = client.get(LOOKUP, params={"card": ann.card_number}, headers=headers)
    missed = client.get(LOOKUP, params={"card": "0000"}, headers=headers)  # a miss counts too
    third = client.get(LOOKUP, params={"qr": ann.qr_token}, headers=headers)
    assert [r.status_code for r in (found, missed, third)] == [200, 404, 200]
    blocked = client.get(LOOKUP, params={"card": ann.card_number}, headers=headers)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert "at most 3 per 60 s" in blocked.json()["detail"]
    assert len(_audit(session)) == 3  # the refused look-up found nothing and is not a look-up
    other = client.get(LOOKUP, params={"card": ann.card_number}, headers=auth(context, world.clerk_b))
    assert other.status_code == 200  # the limit is per staff account
