"""An experiment's report on known counts: per arm figures and B - A with 95 % intervals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.versions import VersionStore
from server.core.context import AppContext
from server.core.errors import NotFound
from server.db.base import utcnow
from server.db.tables import Recommendation, RecommendationFeedback
from server.deployments import service
from server.deployments.stats import newcombe, welch, wilson
from tests.fixtures.factories import World, auth, make_member, make_product
from tests.server.deployments.conftest import V1, V4


def test_newcombes_published_examples() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10.
    cases = [
        ((48, 80, 56, 70), (0.0524, 0.3339)),
        ((3, 10, 9, 10), (0.1705, 0.8090)),
        ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ]
    for (xa, na, xb, nb), (low, high) in cases:
        got = newcombe(xa, na, xb, nb)
        assert got is not None
        assert (round(got.low, 4), round(got.high, 4)) == (low, high)
    assert newcombe(0, 0, 3, 10) is None
    # Wilson (1927) for 81 of 263: 0.2553 to 0.3662 (Newcombe 1998, companion paper, table I).
    assert tuple(round(x, 4) for x in wilson(81, 263)) == (0.2553, 0.3662)


def test_welch_on_hand_counted_figures() -> None:
    got = welch(0.625, 2.76899, 80, 2.0, 16.23188, 70)
    assert got is not None
    assert (round(got.difference, 3), round(got.low, 2), round(got.high, 2)) == (1.375, 0.36, 2.39)
    assert welch(1.0, 0.0, 1, 2.0, 0.0, 5) is None


def _show(
    session: Session,
    context: AppContext,
    world: World,
    experiment: str | None,
    arm: str | None,
    shown: int,
    accepted: int,
    sold: int,
    amount: str,
    members: int,
) -> None:
    """`shown` recommendations over `members` members; the first `accepted` accepted, `sold` sold."""
    product = make_product(session)
    people = [make_member(session, context.keys, world.store_a) for _ in range(members)]
    now = utcnow()
    for i in range(shown):
        rec = Recommendation(
            member_id=people[i % members].id,
            staff_id=world.clerk_a.id,
            store_id=world.store_a.id,
            product_id=product.id,
            kind="explore",
            model_version=V1,
            shown_at=now,
            attributable_until=now + timedelta(days=14),
            experiment=experiment,
            arm=arm,
        )
        session.add(rec)
        session.flush()
        actions = [("shown", None), ("declined", None)] if i >= accepted else [("accepted", None)]
        if i < sold:
            actions.append(("sold", Decimal(amount)))
        for action, money in actions:
            session.add(
                RecommendationFeedback(recommendation_id=rec.id, action=action, amount=money, recorded_at=now)
            )
    session.flush()


@pytest.fixture
def experiment(session: Session, context: AppContext, world: World, versions: VersionStore) -> str:
    service.promote(session, versions, V1, None, by=None, force=False, max_drop=0.02)
    (row,) = service.start_experiment(session, versions, V4, 50, None, by=None)
    label = row.experiment or ""
    _show(session, context, world, label, "A", shown=80, accepted=48, sold=10, amount="5.00", members=8)
    _show(session, context, world, label, "B", shown=70, accepted=56, sold=14, amount="10.00", members=7)
    # Neither of these is part of the experiment.
    _show(session, context, world, None, None, shown=30, accepted=30, sold=30, amount="99.00", members=3)
    _show(session, context, world, "ab-999999", "B", shown=5, accepted=5, sold=5, amount="99.00", members=1)
    session.commit()
    return label


def test_the_report_counts_each_arm_and_compares_them(session: Session, experiment: str) -> None:
    report = service.experiment_report(session, experiment)
    a, b = report.arms["A"], report.arms["B"]
    assert (a.version, b.version) == (V1, V4)
    assert (a.shown, a.accepted, a.sold, a.revenue, a.members) == (80, 48, 10, Decimal("50.00"), 8)
    assert (b.shown, b.accepted, b.sold, b.revenue, b.members) == (70, 56, 14, Decimal("140.00"), 7)
    assert (a.acceptance_rate, b.acceptance_rate) == (0.6, 0.8)
    assert (a.sale_rate, b.sale_rate, a.revenue_per_shown, b.revenue_per_shown) == (0.125, 0.2, 0.625, 2.0)
    accepted = report.differences["acceptance_rate"]
    assert accepted is not None and (round(accepted.low, 4), round(accepted.high, 4)) == (0.0524, 0.3339)
    sold = report.differences["sale_rate"]
    assert sold is not None and round(sold.difference, 3) == 0.075 and sold.low < 0 < sold.high
    revenue = report.differences["revenue_per_shown"]
    assert revenue is not None and (round(revenue.low, 2), round(revenue.high, 2)) == (0.36, 2.39)
    assert report.ended_at is None and report.share == 50
    with pytest.raises(NotFound):
        service.experiment_report(session, "ab-0")


def test_the_report_over_http(client: TestClient, context: AppContext, world: World, experiment: str) -> None:
    url = f"/api/v1/models/experiments/{experiment}/report"
    answer = client.get(url, headers=auth(context, world.analyst))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["arms"]["B"]["revenue"] == 140.0 and body["arms"]["A"]["revenue_per_shown"] == 0.62
    assert body["differences"]["acceptance_rate"] == {
        "difference": 0.2,
        "low": 0.0524,
        "high": 0.3339,
        "method": "newcombe",
    }
    assert body["differences"]["revenue_per_shown"]["low"] == 0.36
    assert client.get(url, headers=auth(context, world.manager_a)).status_code == 403
