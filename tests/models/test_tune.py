"""Tuning on validation members, versioned model folders, and comparing two versions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models import compare, tune
from models.aisle import AisleRecommender
from models.data import load_transactions
from models.protocol import Split, split_next_basket
from models.tune import make_aisle, score_members, validation_split
from models.versions import (
    VersionError,
    list_versions,
    load_version,
    load_version_index,
    read_version,
    save_version,
)
from tests.models.test_aisle import FakeEncoder

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"


def shop_file(path: Path, members: int = 90, seed: int = 5) -> Path:
    """Members with a few favourites they rebuy, items that come in pairs, and some browsing."""
    rng = np.random.default_rng(seed)
    rows = [HEADER]
    invoice = 540000
    for member in range(members):
        favourites = rng.choice(12, size=2, replace=False)
        for visit in range(int(rng.integers(3, 9))):
            invoice += 1
            day = 1 + 3 * visit + int(rng.integers(0, 3))
            basket = set(favourites[rng.random(2) < 0.8].tolist())
            pair = int(rng.integers(0, 6))
            basket |= {20 + 2 * pair, 21 + 2 * pair} if rng.random() < 0.5 else {20 + 2 * pair}
            basket |= set(rng.integers(32, 60, size=2).tolist())
            for item in basket:
                stamp = f"2011-{1 + day // 28:02d}-{1 + day % 28:02d} 10:00:00"
                rows.append(f"{invoice},{80000 + item},PRODUCT {item},1,{stamp},2.50,{15000 + member}.0,UK")
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return shop_file(tmp_path / "shop.csv")


@pytest.fixture
def split(shop: Path) -> Split:
    return split_next_basket(load_transactions(shop), seed=0)


def test_validation_members_are_train_members_only(split: Split) -> None:
    inner, members, targets = validation_split(split.dataset, split.train_users, seed=2)
    assert len(members) > 0 and set(members.tolist()) <= set(split.train_users.tolist())
    assert not set(members.tolist()) & set(split.test_users.tolist())
    b, ib = split.dataset.baskets, inner.baskets
    visits, inner_visits = np.diff(b.user_indptr), np.diff(ib.user_indptr)
    np.testing.assert_array_equal(inner_visits[members], visits[members] - 1)  # last visit held out
    others = np.setdiff1d(np.arange(split.dataset.n_users), members)
    np.testing.assert_array_equal(inner_visits[others], visits[others])
    for member, target in zip(members, targets, strict=True):
        last = b.user_baskets(int(member))[-1]
        np.testing.assert_array_equal(target, last)


def test_tune_is_at_least_as_good_as_the_defaults(split: Split) -> None:
    fixed = {"use_text": False}
    result, model = tune.tune(split, trials=4, seed=3, fixed=fixed)
    assert len(result.trials) == 4
    defaults = result.trials[0]
    assert defaults.params == AisleRecommender(use_text=False).get_params()
    assert len({json.dumps(t.params, sort_keys=True) for t in result.trials}) == 4
    assert result.best.objective >= defaults.objective
    assert result.best.objective == max(t.objective for t in result.trials)
    # the reported validation numbers are what the defaults really score
    inner, members, targets = validation_split(split.dataset, split.train_users, seed=3)
    again = score_members(make_aisle(defaults.params), inner, members, targets)
    assert again["recall@10"] == pytest.approx(defaults.metrics["recall@10"])
    assert model.get_params() == result.best.params
    assert 0 <= result.test_metrics["recall@10"] <= 1


def test_tune_command_writes_a_version(
    shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "versions"
    argv = ["--transactions", str(shop), "--trials", "2", "--seed", "1", "--no-text", "--out", str(root)]
    assert tune.main(argv) == 0
    captured = capsys.readouterr()
    folder = Path(captured.out.strip())
    assert folder.parent == root and folder.name.startswith("aisle-")
    assert "Validation trials" in captured.err
    manifest = read_version(folder)
    assert manifest["method"] == "aisle" and manifest["params"]["use_text"] is False
    assert manifest["data_window"]["source"] == str(shop)
    assert manifest["data_window"]["first_day"] < manifest["data_window"]["last_day"]
    assert manifest["dimensions"]["items"] == manifest["data_window"]["items"]
    assert set(manifest["metrics"]) == {"validation", "test"}
    assert 0 <= manifest["metrics"]["test"]["recall@10"] <= 1
    trials = manifest["tuning"]["trials"]
    assert len(trials) == 2 and manifest["tuning"]["validation_members"] > 0
    assert max(t["objective"] for t in trials) >= trials[0]["objective"]
    model = load_version(folder)
    assert model.get_params() == manifest["params"]
    assert model.recommend(np.arange(3), 5).shape == (3, 5)
    assert load_version_index(folder) is None  # no text, no index
    assert list_versions(root) == [folder]


def test_bad_arguments_are_messages(shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ["--out", str(tmp_path / "v"), "--no-text"]
    assert tune.main(["--transactions", str(tmp_path / "missing.csv"), *out]) == 2
    assert "no such file" in capsys.readouterr().err
    assert tune.main(["--transactions", str(shop), "--objective", "recall@11", *out]) == 2
    assert "unknown metric(s) in --objective: recall@11" in capsys.readouterr().err
    assert tune.main(["--transactions", str(shop), "--trials", "0", *out]) == 2
    assert not (tmp_path / "v").exists()


def test_version_with_text_index(split: Split, tmp_path: Path) -> None:
    model = AisleRecommender(encoder=FakeEncoder()).fit(split.dataset)
    metrics = {"validation": {"recall@10": 0.3}, "test": {"recall@10": 0.25}}
    folder = save_version(tmp_path, model, {"source": "shop.csv"}, metrics)
    manifest = read_version(folder)
    assert manifest["parts"] == ["recommender", "index"]
    assert manifest["dimensions"]["text_dimensions"] == FakeEncoder.dimensions
    index = load_version_index(folder)
    assert index is not None and len(index) == split.dataset.n_items
    items = np.arange(split.dataset.n_items)
    np.testing.assert_array_equal(index.vectors(items), model.text_vectors)
    _, scores = index.search(model.text_vectors, 1)
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)  # each item's nearest is as close as itself
    second = save_version(tmp_path, model, {"source": "shop.csv"}, metrics)
    assert second != folder and list_versions(tmp_path) == [folder, second]
    with pytest.raises(VersionError):
        read_version(tmp_path / "nothing-here")


def test_compare_shows_both_versions(
    split: Split, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = AisleRecommender(use_text=False).fit(split.dataset)
    a = save_version(tmp_path, model, {"members": 10}, {"validation": {"recall@10": 0.2}})
    other = AisleRecommender(use_text=False, k_neighbors=50).fit(split.dataset)
    b = save_version(tmp_path, other, {"members": 12}, {"validation": {"recall@10": 0.25}})
    assert compare.main([str(a), str(b)]) == 0
    table = capsys.readouterr().out
    assert a.name in table and b.name in table
    assert "validation.recall@10" in table and "+0.0500" in table and "params.k_neighbors" in table
    assert compare.main([str(a), str(b), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    fields = {row["field"]: row for row in report["fields"]}
    assert fields["validation.recall@10"]["delta"] == pytest.approx(0.05)
    assert fields["params.k_neighbors"]["a"] == 300 and fields["params.k_neighbors"]["b"] == 50
    assert fields["params.ease_l2"]["same"] is True
    assert report["a"]["version"] == a.name
    assert compare.main([str(a), str(tmp_path / "absent")]) == 2
    assert "absent" in capsys.readouterr().err
