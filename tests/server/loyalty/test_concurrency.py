"""Points and benefit quotas under 20 parallel requests: nothing spent twice, same key ⇒ same answer.

Each test failed on the code before the per-member serialisation (SQLite ignored `FOR UPDATE`): nine of
twenty redemptions of a 1,934-point balance were accepted, a once-a-month benefit was used twenty times,
and twenty uses with one key answered HTTP 500.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import BenefitUsage, Member, MemberTier, OutboxMessage, PointsEntry
from server.loyalty.service import apply_transaction, points_summary
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, make_member, make_product, make_transaction
from tests.fixtures.race import race

NOW = datetime(2024, 6, 30, 15, tzinfo=UTC)
N = 20


def _member_with_points(session: Session, context: AppContext, world: World, price: str) -> Member:
    """A member of store A who earned `price` points with one sale on 1 June 2024."""
    member = make_member(session, context.keys, world.store_a)
    item = make_product(session, price=price)
    sale = make_transaction(
        session, world.store_a, member, [(item, 1, price)], datetime(2024, 6, 1, tzinfo=UTC)
    )
    apply_transaction(session, sale.id, sale.occurred_at)
    session.commit()
    return member


@pytest.fixture
def saver(session: Session, context: AppContext, world: World) -> Member:
    """A member of store A with 1,934 points."""
    return _member_with_points(session, context, world, "1934.00")


def _redeem(client: TestClient, headers: dict[str, str], member: Member, key: str, points: int) -> Any:
    body = {"points": points, "store_id": member.home_store_id}
    return client.post(
        f"/api/v1/members/{member.id}/redemptions", json=body, headers=headers | {"Idempotency-Key": key}
    )


def test_parallel_redemptions_never_spend_the_same_points_twice(
    client: TestClient, session: Session, context: AppContext, world: World, saver: Member
) -> None:
    pin_clock(client, NOW)
    headers = auth(context, world.cashier_a)
    answers = race(N, lambda i: _redeem(client, headers, saver, f"spend-{i}", 1924))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [422] * (N - 1), [a.text for a in answers if a.status_code not in (200, 422)]
    refused = [a.json()["detail"] for a in answers if a.status_code == 422]
    assert all("only 10 points are available" in d for d in refused)
    session.expire_all()
    summary = points_summary(session, saver.id, NOW)
    assert (summary.balance, summary.available) == (10, 10)


def test_parallel_redemptions_with_one_key_all_get_the_same_answer(
    client: TestClient, session: Session, context: AppContext, world: World, saver: Member
) -> None:
    pin_clock(client, NOW)
    headers = auth(context, world.cashier_a)
    answers = race(N, lambda i: _redeem(client, headers, saver, "one-key", 500))
    assert [a.status_code for a in answers] == [200] * N, [a.text for a in answers]
    assert len({a.json()["entry_id"] for a in answers}) == 1
    assert sorted(a.json()["replayed"] for a in answers) == [False] + [True] * (N - 1)
    session.expire_all()
    redeemed = select(func.count()).where(PointsEntry.member_id == saver.id, PointsEntry.kind == "redeem")
    assert session.scalar(redeemed) == 1


def _race_birthday_uses(
    client: TestClient, session: Session, context: AppContext, world: World, key: Callable[[int], str]
) -> tuple[Member, list[Any]]:
    """A VIP member in their birthday month, and the answers to 20 uses of the birthday benefit at once."""
    member = make_member(session, context.keys, world.store_a)
    member.birthday = date(1990, 6, 12)
    session.add(MemberTier(member_id=member.id, tier="VIP", since=NOW, reviewed_at=NOW))
    session.commit()
    pin_clock(client, NOW)
    url = f"/api/v1/members/{member.id}/benefits/birthday_discount/use"
    headers = auth(context, world.clerk_a)
    return member, race(N, lambda i: client.post(url, json={"idempotency_key": key(i)}, headers=headers))


def test_a_once_a_month_benefit_is_used_once_by_twenty_parallel_requests(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    member, answers = _race_birthday_uses(client, session, context, world, lambda i: f"bday-{i}")
    assert sorted(a.status_code for a in answers) == [201] + [422] * (N - 1), [a.text for a in answers]
    session.expire_all()
    assert session.scalar(select(func.count()).where(BenefitUsage.member_id == member.id)) == 1


def test_twenty_parallel_benefit_uses_with_one_key_answer_the_same_use(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    _, answers = _race_birthday_uses(client, session, context, world, lambda _i: "bday-once")
    assert [a.status_code for a in answers] == [201] * N, [a.text for a in answers if a.status_code != 201]
    assert len({a.json()["id"] for a in answers}) == 1


def test_a_large_redemption_split_in_parts_still_needs_the_code_and_codes_are_throttled(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    member = _member_with_points(session, context, world, "30000.00")
    pin_clock(client, NOW)
    headers = auth(context, world.cashier_a)
    # Before: five redemptions of 4,999 all passed a 5,000-point threshold, each new key sent a new code.
    first = _redeem(client, headers, member, "part-0", 4999)
    assert first.status_code == 200, first.text
    second = _redeem(client, headers, member, "part-1", 4999)
    assert second.status_code == 202 and second.json()["status"] == "code_sent"
    more = [_redeem(client, headers, member, f"part-{i}", 4999) for i in range(2, 32)]
    assert {a.status_code for a in more} == {429}
    assert all("Retry-After" in a.headers for a in more)
    session.expire_all()
    codes = select(func.count()).where(
        OutboxMessage.member_id == member.id, OutboxMessage.kind == "redemption_code"
    )
    assert session.scalar(codes) == 1
