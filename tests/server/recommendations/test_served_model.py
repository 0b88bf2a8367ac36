"""The model version the server serves: the ranking a clerk sees is the one the evaluation measured,
promotions swap it without dropping a request, A/B arms are recorded, and the nightly rebuild."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models.evaluation.served import allowed_mask, dataset_of
from models.serving.served import ServedModel, members_of
from models.versions import VersionStore
from server.cli import app as cli
from server.core.context import AppContext
from server.db.tables import Member, Product, Recommendation
from server.deployments import service as deployments
from server.deployments.training import (
    nightly_rebuild,
    sellable_skus,
    train_from_database,
    transactions_from_database,
)
from server.recommendations.engine import Engine, build_recommender
from server.recommendations.served import ModelShelf
from tests.fixtures.factories import World, auth, make_member, make_transaction
from tests.fixtures.race import race
from tests.server.recommendations.conftest import NOW, HashEncoder, Shop, build_shop, use

API = "/api/v1"


@dataclass
class Crowd:
    shop: Shop
    members: list[Member]


def add_crowd(session: Session, context: AppContext, shop: Shop, n: int = 30, seed: int = 3) -> list[Member]:
    """Members of store A with favourites they rebuy, pairs bought together and some browsing."""
    rng = np.random.default_rng(seed)
    products = list(shop.products.values())
    members = []
    for m in range(n):
        member = make_member(session, context.keys, shop.world.store_a, name=f"Crowd {m}")
        favourites = rng.choice(len(products), size=2, replace=False)
        for visit in range(int(rng.integers(3, 7))):
            basket = {int(f) for f in favourites if rng.random() < 0.7} | {int(rng.integers(len(products)))}
            lines = [(products[i], 1, str(products[i].price)) for i in sorted(basket)]
            make_transaction(
                session, shop.world.store_a, member, lines, NOW - timedelta(days=200 - 30 * visit - m % 7)
            )
        members.append(member)
    session.commit()
    return members


@pytest.fixture
def crowd(session: Session, context: AppContext) -> Crowd:
    shop = build_shop(session, context)
    return Crowd(shop, add_crowd(session, context, shop))


def served_recommender(context: AppContext) -> Engine:
    """A recommender over the app's models folder and deployments (as the server builds it)."""
    with context.sessions() as s:
        shelf = ModelShelf(context.sessions, context.settings.models_dir, HashEncoder)
        return build_recommender(s, HashEncoder(), shelf=shelf)


def train(context: AppContext, promote: bool = True, seed: int = 0) -> str:
    with context.sessions() as s:
        folder = train_from_database(s, context.settings.models_dir, encoder=HashEncoder(), seed=seed)
        if promote:
            deployments.promote(
                s, VersionStore(context.settings.models_dir), folder.name, None, None, True, 1.0
            )
        s.commit()
    return folder.name


def ask(api: TestClient, context: AppContext, world: World, member: Member, k: int = 10) -> dict:
    r = api.get(f"{API}/members/{member.id}/recommendations?k={k}", headers=auth(context, world.clerk_a))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_the_server_ranks_a_member_as_the_evaluation_does(
    client: TestClient, context: AppContext, crowd: Crowd
) -> None:
    version = train(context)
    with context.sessions() as s:
        data = dataset_of(transactions_from_database(s))
        allowed_ids = sellable_skus(s)
        product_of_sku = {p.sku: p.id for p in s.scalars(select(Product))}
    store = VersionStore(context.settings.models_dir)
    assert store.get(version).metrics["recall@10"] >= 0  # measured on a held-back split as it was trained
    served = ServedModel.load(store.get(version).path)
    api = use(client, served_recommender(context))
    compared = 0
    for member in crowd.members[:10] + [crowd.shop.regular]:
        user = served.user_indices([str(member.id)])
        assert user[0] >= 0
        # The evaluation's path: the member's baskets from the training data, the visit day, the filters.
        (ranked,) = served.rank(
            members_of(data.baskets, user),
            user,
            10,
            days=np.array([NOW.date().toordinal()]),
            allowed=allowed_mask(served.item_ids, allowed_ids),
        )
        expected = [product_of_sku[str(served.item_ids[i])] for i in ranked.items]
        body = ask(api, context, crowd.shop.world, member)
        assert body["model_version"] == version
        assert [s["item_id"] for s in body["suggestions"][: len(expected)]] == expected
        compared += len(expected)
    assert compared >= 50


def test_a_promotion_swaps_the_version_without_dropping_a_request(
    client: TestClient, context: AppContext, crowd: Crowd
) -> None:
    first = train(context)
    second = train(context, promote=False, seed=1)
    assert first != second
    api = use(client, served_recommender(context))
    world = crowd.shop.world
    members = crowd.members[:20]
    promoted = threading.Event()

    def request(i: int) -> tuple[int, str]:
        if i == 10:
            r = api.post(
                f"{API}/models/promote",
                json={"version": second, "force": True},
                headers=auth(context, world.analyst),
            )
            assert r.status_code == 200, r.text
            promoted.set()
            return 200, second
        r = api.get(
            f"{API}/members/{members[i % 20].id}/recommendations?k=5", headers=auth(context, world.clerk_a)
        )
        return r.status_code, r.json()["model_version"] if r.status_code == 200 else r.text

    answers = race(24, request)
    assert all(code == 200 for code, _ in answers), answers
    assert {v for _, v in answers} <= {first, second}
    assert promoted.is_set()
    assert ask(api, context, world, members[0])["model_version"] == second  # every request after it


def test_an_ab_test_splits_members_and_records_each_arm(
    client: TestClient, context: AppContext, crowd: Crowd, session: Session
) -> None:
    first = train(context)
    second = train(context, promote=False, seed=1)
    world = crowd.shop.world
    api = use(client, served_recommender(context))
    r = api.post(
        f"{API}/models/experiments",
        json={"challenger": second, "share": 50},
        headers=auth(context, world.analyst),
    )
    assert r.status_code == 201, r.text
    experiment = r.json()["experiment"]
    for member in crowd.members:
        body = ask(api, context, world, member, k=3)
        arm = deployments.arm_of(experiment, member.id, 50)
        assert body["model_version"] == (second if arm == "B" else first)
    rows = session.scalars(select(Recommendation).where(Recommendation.experiment == experiment)).all()
    assert {row.arm for row in rows} == {"A", "B"}
    for row in rows:
        assert row.arm == deployments.arm_of(experiment, row.member_id, 50)
        assert row.model_version == (second if row.arm == "B" else first)
    report = api.get(f"{API}/models/experiments/{experiment}/report", headers=auth(context, world.analyst))
    assert report.status_code == 200, report.text
    shown = {name: arm["shown"] for name, arm in report.json()["arms"].items()}
    assert shown["A"] + shown["B"] == len(rows) and shown["A"] > 0 and shown["B"] > 0


def test_the_nightly_rebuild_serves_a_better_version_and_keeps_a_worse_one_out(
    context: AppContext, crowd: Crowd, session: Session
) -> None:
    root = context.settings.models_dir
    first = nightly_rebuild(session, root, max_drop=0.02, encoder=HashEncoder())
    session.commit()
    assert first["promoted"] is True and deployments.assignment(session, None, 0).version == first["trained"]
    again = nightly_rebuild(session, root, max_drop=0.02, encoder=HashEncoder())
    assert again["trained"] is None and "no sales after" in str(again["reason"])
    make_transaction(
        session,
        crowd.shop.world.store_a,
        crowd.members[0],
        [(crowd.shop.products["Tote Bag"], 1, "15.00")],
        NOW + timedelta(days=1),
    )
    session.commit()
    # Any drop is too much here: the new version is trained and kept, and the chain keeps the old one.
    refused = nightly_rebuild(session, root, max_drop=-1.0, encoder=HashEncoder())
    session.commit()
    assert refused["trained"] and refused["promoted"] is False and "worse than" in str(refused["reason"])
    assert deployments.assignment(session, None, 0).version == first["trained"]
    assert {v.name for v in VersionStore(root).versions()} == {first["trained"], refused["trained"]}


def test_a_server_with_nothing_deployed_trains_and_serves_its_first_version(
    client: TestClient, context: AppContext, crowd: Crowd, session: Session
) -> None:
    api = use(client, served_recommender(context))
    body = ask(api, context, crowd.shop.world, crowd.shop.regular)
    version = body["model_version"]
    assert version.startswith("aisle-") and body["suggestions"][0]["kind"] == "replenish"
    assert deployments.assignment(session, None, 0).version == version
    assert (context.settings.models_dir / version / "manifest.json").is_file()


def test_aisle_models_train_from_the_database(cli_env: None, crowd: Crowd) -> None:
    result = CliRunner().invoke(cli, ["models", "train", "--no-text", "--promote"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "held-back recall@10" in result.output and "tifu-knn: recall@10" in result.output
    assert "promoted: the chain now serves aisle-" in result.output
    listed = CliRunner().invoke(cli, ["models", "list"])
    assert listed.exit_code == 0 and "aisle-" in listed.output


def test_a_deployed_version_that_no_longer_loads_is_stood_in_for_not_a_5xx(
    client: TestClient, context: AppContext, crowd: Crowd
) -> None:
    older = train(context, promote=False)
    broken = train(context, seed=1)
    (context.settings.models_dir / broken / "recommender" / "model.items.ease.npy").unlink()  # a lost file
    api = use(client, served_recommender(context))
    for member in crowd.members[:3]:
        body = ask(api, context, crowd.shop.world, member)
        assert body["model_version"] == older and body["suggestions"]
