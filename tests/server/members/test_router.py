"""Members over HTTP: enrolment, scope, masking, search and edits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from server.core.cards import luhn_digit
from server.core.context import AppContext
from server.db.tables import LookupAudit, Member
from server.members.access import LookupLimit
from server.members.deps import get_lookup_limit
from tests.fixtures.factories import World, auth, make_member

URL = "/api/v1/members"
LOOKUP = "/api/v1/members/lookup"


def enrol(client: TestClient, headers: dict[str, str], store_id: int, **extra: Any) -> Any:
    body = {"name": "Zhang Wei", "phone": "138 0013 8000", "home_store_id": store_id, **extra}
    return client.post(URL, json=body, headers=headers)


def test_clerk_enrols_in_own_store_and_sees_a_masked_phone(
    client: TestClient, context: AppContext, world: World
) -> None:
    response = enrol(client, auth(context, world.clerk_a), world.store_a.id, gender="female")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["phone"] == "*******8000" and body["phone_masked"] is True
    card = body["card_number"]
    assert len(card) == 16 and card.isdigit() and luhn_digit(card[:-1]) == card[-1]
    assert len(body["qr_token"]) >= 32 and body["qr_token"].replace("-", "").replace("_", "").isalnum()
    assert body["home_store_id"] == world.store_a.id and body["gender"] == "female"


def _is_timestamp(value: object) -> bool:
    if isinstance(value, datetime):
        return True
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def test_phone_is_stored_only_encrypted_and_found_by_its_hash(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    created = enrol(client, auth(context, world.clerk_a), world.store_a.id).json()
    row = (
        session.execute(text("SELECT * FROM members WHERE id = :id"), {"id": created["id"]}).mappings().one()
    )
    for column, value in row.items():
        raw = value if isinstance(value, bytes | bytearray | memoryview) else str(value).encode()
        assert b"13800138000" not in bytes(raw), f"the phone number found in column {column}"
        # A timestamp's microseconds can hold any four digits by chance; only other columns must lack them.
        if not _is_timestamp(value):
            for digits in (b"0013", b"8000"):
                assert digits not in bytes(raw), f"phone digits found in column {column}"
    assert row["phone_hash"] == context.keys.phone_hash("+8613800138000")
    assert context.keys.decrypt(bytes(row["phone_encrypted"])) == "+8613800138000"
    found = client.get(URL, params={"q": "+86 138-0013-8000"}, headers=auth(context, world.clerk_a)).json()
    assert [m["id"] for m in found["items"]] == [created["id"]]


def test_phone_in_full_only_for_the_home_store_manager_and_admin(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    member = make_member(session, context.keys, world.store_a, phone="13800138000")
    session.commit()
    url = f"{URL}/{member.id}"
    seen = {
        who: client.get(url, headers=auth(context, getattr(world, who))).json()["phone"]
        for who in ("clerk_a", "cashier_a", "manager_a", "admin", "analyst")
    }
    assert seen == {
        "clerk_a": "*******8000",
        "cashier_a": "*******8000",
        "manager_a": "+8613800138000",
        "admin": "+8613800138000",
        "analyst": "*******8000",
    }


def test_member_read_is_scoped_to_the_home_store(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    member = make_member(session, context.keys, world.store_b, phone="13900139000")
    session.commit()
    url = f"{URL}/{member.id}"
    assert client.get(url).status_code == 401
    refused = client.get(url, headers=auth(context, world.clerk_a))
    assert refused.status_code == 403
    assert refused.json()["detail"] == f"a role in store {world.store_b.id} required"
    assert client.get(url, headers=auth(context, world.clerk_b)).status_code == 200
    assert client.get(url, headers=auth(context, world.analyst)).status_code == 200
    assert client.get(url, headers=auth(context, world.nobody)).status_code == 403
    assert client.get(f"{URL}/999999", headers=auth(context, world.admin)).status_code == 404


def test_enrolment_refused_outside_store_or_role(
    client: TestClient, context: AppContext, world: World
) -> None:
    assert enrol(client, {}, world.store_a.id).status_code == 401
    elsewhere = enrol(client, auth(context, world.clerk_a), world.store_b.id)
    assert elsewhere.status_code == 403
    assert "in store" in elsewhere.json()["detail"]
    assert enrol(client, auth(context, world.analyst), world.store_a.id).status_code == 403
    missing_store = enrol(client, auth(context, world.admin), 999999)
    assert missing_store.status_code == 422


def test_duplicates_are_409_naming_the_field(client: TestClient, context: AppContext, world: World) -> None:
    clerk = auth(context, world.clerk_a)
    first = enrol(client, clerk, world.store_a.id, card_number="CARD-0001").json()
    phone = enrol(client, clerk, world.store_a.id, phone="+86 13800138000")
    assert phone.status_code == 409
    assert phone.json()["detail"].startswith("phone *******8000")
    card = enrol(client, clerk, world.store_a.id, phone="13900139000", card_number=first["card_number"])
    assert card.status_code == 409
    assert card.json()["detail"].startswith("card_number 'CARD-0001'")
    qr = enrol(client, clerk, world.store_a.id, phone="13700137000", qr_token=first["qr_token"])
    assert qr.status_code == 409 and qr.json()["detail"].startswith("qr_token")


def test_bad_input_is_422(client: TestClient, context: AppContext, world: World) -> None:
    clerk = auth(context, world.clerk_a)
    bad_phone = enrol(client, clerk, world.store_a.id, phone="12345")
    assert bad_phone.status_code == 422
    assert "not a valid phone number" in bad_phone.json()["detail"]
    assert enrol(client, clerk, world.store_a.id, phone="call me").status_code == 422
    assert enrol(client, clerk, world.store_a.id, name="").status_code == 422
    assert enrol(client, clerk, world.store_a.id, gender="robot").status_code == 422
    assert enrol(client, clerk, world.store_a.id, birthday="2999-01-01").status_code == 422


def test_search_by_name_card_and_store(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    keys = context.keys
    li = make_member(session, keys, world.store_a, name="Li Xiaolong", card_number="VIP-777")
    percent = make_member(session, keys, world.store_a, name="Percent 100% Shopper")
    lin = make_member(session, keys, world.store_b, name="Lin Xiao")
    session.commit()

    def ids(headers: dict[str, str], **params: Any) -> list[int]:
        response = client.get(URL, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [m["id"] for m in response.json()["items"]]

    clerk, analyst = auth(context, world.clerk_a), auth(context, world.analyst)
    assert ids(clerk, q="xiao") == [li.id]  # store B's Lin Xiao is out of scope
    assert sorted(ids(analyst, q="XIAO")) == sorted([lin.id, li.id])
    assert ids(analyst, q="VIP-777") == [li.id]
    assert ids(analyst, q="%") == [percent.id]  # '%' is a literal, not a wildcard
    assert ids(analyst, store_id=world.store_b.id) == [lin.id]
    assert client.get(URL, params={"store_id": world.store_b.id}, headers=clerk).status_code == 403
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=auth(context, world.nobody)).status_code == 403


def test_search_limit_is_capped(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    for i in range(205):
        session.add(Member(name=f"Bulk {i:03d}", home_store_id=world.store_a.id, joined_on=date(2024, 1, 1)))
    session.commit()
    page = client.get(URL, params={"limit": 500}, headers=auth(context, world.clerk_a)).json()
    assert page["limit"] == 200 and len(page["items"]) == 200 and page["total"] == 205


def test_edit_member_and_change_phone(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    member = make_member(session, context.keys, world.store_a, phone="13800138000")
    other = make_member(session, context.keys, world.store_a, phone="13900139000")
    session.commit()
    url, clerk = f"{URL}/{member.id}", auth(context, world.clerk_a)
    body = {"name": "Wang Li", "birthday": "1990-05-17", "marketing_consent": True, "phone": "13700137000"}
    changed = client.patch(url, json=body, headers=clerk)
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == "*******7000" and changed.json()["birthday"] == "1990-05-17"
    session.expire_all()
    stored = session.get(Member, member.id)
    assert stored is not None and stored.phone_hash == context.keys.phone_hash("+8613700137000")
    assert client.get(URL, params={"q": "13800138000"}, headers=clerk).json()["total"] == 0
    cleared = client.patch(url, json={"birthday": None}, headers=clerk)
    assert cleared.json()["birthday"] is None and cleared.json()["name"] == "Wang Li"
    taken = client.patch(url, json={"phone": "139 0013 9000"}, headers=clerk)
    assert taken.status_code == 409
    assert taken.json()["detail"] == "phone *******9000 is already registered to another member"
    assert other.phone_hash == context.keys.phone_hash("+8613900139000")
    assert client.patch(url, json={"name": None}, headers=clerk).status_code == 422
    assert client.patch(url, json={"phone": "555"}, headers=clerk).status_code == 422


def test_edit_refused_outside_store_or_role(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    member = make_member(session, context.keys, world.store_a)
    session.commit()
    url = f"{URL}/{member.id}"
    assert client.patch(url, json={"name": "X"}).status_code == 401
    assert client.patch(url, json={"name": "X"}, headers=auth(context, world.clerk_b)).status_code == 403
    assert client.patch(url, json={"name": "X"}, headers=auth(context, world.analyst)).status_code == 403
    assert client.patch(url, json={"name": "X"}, headers=auth(context, world.manager_a)).status_code == 200


def _audit(session: Session) -> list[tuple[int, int | None, str]]:
    session.expire_all()
    rows = session.execute(
        select(LookupAudit.staff_id, LookupAudit.member_id, LookupAudit.method).order_by(LookupAudit.id)
    )
    return [(staff_id, member_id, method) for staff_id, member_id, method in rows]


def test_phone_and_card_probes_through_search_are_rate_limited_and_audited(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    app.dependency_overrides[get_lookup_limit] = lambda: LookupLimit(per_window=5, window_seconds=60)
    ann = make_member(session, context.keys, world.store_a, name="Ann Lee", phone="13800138000")
    session.commit()
    clerk = auth(context, world.clerk_a)
    assert client.get(URL, params={"q": "Ann"}, headers=clerk).json()["total"] == 1  # a name is no probe
    # Guessing a number digit by digit, as a script recovering it from the mask would.
    answers = [client.get(URL, params={"q": f"1380013800{d}"}, headers=clerk) for d in range(10)]
    assert [r.status_code for r in answers[:5]] == [200] * 5
    assert answers[0].json()["items"][0]["id"] == ann.id
    assert {r.status_code for r in answers[5:]} == {429}
    assert 1 <= int(answers[5].headers["Retry-After"]) <= 60
    assert "too many member look-ups" in answers[5].json()["detail"]
    card = client.get(URL, params={"q": ann.card_number}, headers=clerk)
    assert card.status_code == 429  # a card probe counts against the same limit
    assert client.get(LOOKUP, params={"card": ann.card_number}, headers=clerk).status_code == 429
    audit = _audit(session)
    assert audit == [(world.clerk_a.id, ann.id, "phone")] + [(world.clerk_a.id, None, "phone")] * 4
    assert client.get(URL, params={"q": "Ann"}, headers=clerk).status_code == 200  # names still work
    by_card = client.get(URL, params={"q": ann.card_number}, headers=auth(context, world.manager_a))
    assert [m["id"] for m in by_card.json()["items"]] == [ann.id]
    assert _audit(session)[-1] == (world.manager_a.id, ann.id, "card")
