"""Metrics on cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.evaluate import METRICS
from models.metrics import (
    ndcg_at_k,
    next_basket_report,
    phr_at_k,
    recall_at_k,
    repeat_share_at_k,
    split_truth,
)

# user 0 got 1, 2, 3 (then nothing) and bought 2 and 9; user 1 got 4, 5, 6, 7 and bought 7
RECS = np.array([[1, 2, 3, -1], [4, 5, 6, 7]])
TRUTH = [np.array([2, 9]), np.array([7])]


def test_recall() -> None:
    # @3: user 0 finds 2 of {2, 9} -> 1/2, user 1 finds nothing -> 0; mean 0.25
    assert recall_at_k(RECS, TRUTH, 3) == pytest.approx(0.25)
    # @4: user 1 now finds 7 -> 1; the -1 pad never hits; mean (0.5 + 1) / 2
    assert recall_at_k(RECS, TRUTH, 4) == pytest.approx(0.75)


def test_ndcg() -> None:
    # @3: user 0 hits at rank 2 -> 1/log2(3) = 0.630930; ideal for 2 truth items 1 + 0.630930 = 1.630930
    #     -> 0.386853; user 1 -> 0; mean 0.193426
    assert ndcg_at_k(RECS, TRUTH, 3) == pytest.approx(0.193426, abs=1e-6)
    # @4: user 1 hits at rank 4 -> 1/log2(5) = 0.430677 over ideal 1; mean (0.386853 + 0.430677) / 2
    assert ndcg_at_k(RECS, TRUTH, 4) == pytest.approx(0.408765, abs=1e-6)


def test_ndcg_ideal_is_capped_at_k() -> None:
    # 3 truth items, k = 2, both slots hit: DCG equals the ideal over min(2, 3) items -> 1
    assert ndcg_at_k(np.array([[5, 6]]), [np.array([5, 6, 7])], 2) == pytest.approx(1.0)


def test_phr() -> None:
    assert phr_at_k(RECS, TRUTH, 3) == pytest.approx(0.5)
    assert phr_at_k(RECS, TRUTH, 4) == pytest.approx(1.0)


def test_users_without_truth_are_left_out() -> None:
    recs = np.vstack([RECS, [[1, 2, 3, 4]]])
    truth = [*TRUTH, np.array([], dtype=int)]
    assert recall_at_k(recs, truth, 4) == pytest.approx(0.75)
    assert math.isnan(recall_at_k(RECS, [np.array([], int), np.array([], int)], 4))


def test_repeat_share() -> None:
    # user 0 was shown 3 items, 2 of them bought before -> 2/3; user 1 shown 4, none bought -> 0
    history = [np.array([1, 2]), np.array([], dtype=int)]
    assert repeat_share_at_k(RECS, history, 4) == pytest.approx(1 / 3)
    # a user shown nothing is left out
    recs = np.vstack([RECS, [[-1, -1, -1, -1]]])
    assert repeat_share_at_k(recs, [*history, np.array([1])], 4) == pytest.approx(1 / 3)


def test_split_truth() -> None:
    repeat, explore = split_truth(TRUTH, [np.array([1, 2]), np.array([7])])
    assert [r.tolist() for r in repeat] == [[2], [7]]
    assert [e.tolist() for e in explore] == [[9], []]


def test_report_has_every_metric() -> None:
    history = [np.array([1, 2]), np.array([3])]
    explore_only = np.array([[9, 3, -1, -1], [4, 5, -1, -1]])
    report = next_basket_report(RECS, explore_only, TRUTH, history)
    assert tuple(report) == METRICS
    # repeat items: user 0 {2} found @10 -> 1; user 1 has none -> left out
    assert report["repeat_recall@10"] == pytest.approx(1.0)
    # explore items: user 0 {9} missed; user 1 {7} found -> mean 0.5
    assert report["explore_recall@10"] == pytest.approx(0.5)
    # explore-only list: user 0 finds 9 -> 1; user 1 misses 7 -> 0
    assert report["explore_only_recall@10"] == pytest.approx(0.5)


def test_duplicates_and_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="repeats"):
        recall_at_k(np.array([[1, 1, -1]]), [np.array([1])], 3)
    with pytest.raises(ValueError):
        recall_at_k(RECS, TRUTH[:1], 3)
