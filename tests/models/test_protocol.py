"""The next-basket protocol on a tiny shop worked out by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from models.data import load_transactions
from models.protocol import ProtocolError, Split, split_next_basket

# (user, invoice, day, items). u1 has two invoices on day 1 (merged); u2 has 2 dated baskets and u3 has
# 51 (both out of range); r is in 2 history baskets and t in 1 (both rare); u5's target is only t
# (emptied) and u7's history shrinks to one basket. History counts: a 5, b 4, c 4, d 3.
LINES = [
    ("u1", "1", 1, "ab"), ("u1", "2", 1, "bc"), ("u1", "3", 2, "ab"), ("u1", "4", 3, "ad"),
    ("u2", "5", 1, "a"), ("u2", "6", 2, "ab"),
    *[("u3", f"3{d}", d, "a") for d in range(1, 52)],
    ("u4", "7", 1, "ac"), ("u4", "8", 2, "br"), ("u4", "9", 3, "ct"),
    ("u5", "10", 1, "c"), ("u5", "11", 2, "ad"), ("u5", "12", 3, "t"),
    ("u6", "13", 1, "r"), ("u6", "14", 2, "ab"), ("u6", "15", 3, "cd"), ("u6", "16", 4, "ad"),
    ("u7", "17", 1, "d"), ("u7", "18", 2, "t"), ("u7", "19", 3, "a"),
]  # fmt: skip


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.csv"
    rows = ["user,basket,date,item"]
    for user, invoice, day, items in LINES:
        date = dt.date(2024, 1, 1) + dt.timedelta(days=day)
        rows += [f"{user},{invoice},{date.isoformat()},{item}" for item in items]
    path.write_text("\n".join(rows) + "\n")
    return path


def baskets_of(split: Split, user_id: str) -> list[list[str]]:
    data = split.dataset
    user = int(np.flatnonzero(data.user_ids == user_id)[0])
    return [sorted(data.item_ids[b].tolist()) for b in data.baskets.user_baskets(user)]


def test_filters(shop: Path) -> None:
    split = split_next_basket(load_transactions(shop), test_user_ids=["u1"])
    assert split.dataset.user_ids.tolist() == ["u1", "u4", "u6"]
    assert split.dataset.item_ids.tolist() == ["a", "b", "c", "d"]
    s = split.summary
    assert (s.members_in, s.members_out_of_range, s.members_emptied, s.members) == (7, 2, 2, 3)
    assert s.rare_items == 2  # r and t
    assert s.baskets == 3 + 3 + 3


def test_same_day_invoices_merge_and_targets_are_held_out(shop: Path) -> None:
    split = split_next_basket(load_transactions(shop), test_user_ids=["u1"])
    # u1's two day-1 invoices form one basket; its target {a, d} is not in what models learn from
    assert baskets_of(split, "u1") == [["a", "b", "c"], ["a", "b"]]
    assert [split.dataset.item_ids[t].tolist() for t in split.targets] == [["a", "d"]]
    # train users keep their last basket; rare r is gone and u6's basket of only r with it
    assert baskets_of(split, "u4") == [["a", "c"], ["b"], ["c"]]
    assert baskets_of(split, "u6") == [["a", "b"], ["c", "d"], ["a", "d"]]
    assert split.test_histories()[0].tolist() == [0, 1, 2]
    # the target's day is known (the member is in the store), its items are not
    assert split.target_days.tolist() == [(dt.date(2024, 1, 1) + dt.timedelta(days=3)).toordinal()]
    b, u1 = split.dataset.baskets, split.test_users[0]
    assert (b.days[b.user_indptr[u1] : b.user_indptr[u1 + 1]] < split.target_days[0]).all()


def test_listed_test_users_are_honoured_and_misses_reported(shop: Path) -> None:
    split = split_next_basket(load_transactions(shop), test_user_ids=["u4", "nobody", "u5", "u4"])
    assert split.dataset.user_ids[split.test_users].tolist() == ["u4"]
    assert split.dataset.user_ids[split.train_users].tolist() == ["u1", "u6"]
    assert split.unknown_test_ids == ("nobody",)
    assert split.excluded_test_ids == ("u5",)
    with pytest.raises(ProtocolError, match="none of the 2 listed"):
        split_next_basket(load_transactions(shop), test_user_ids=["u2", "ghost"])


def test_seeded_split_is_reproducible(shop: Path) -> None:
    tx = load_transactions(shop)
    chosen = {tuple(split_next_basket(tx, seed=s).test_users.tolist()) for s in range(10)}
    assert all(len(c) == 1 for c in chosen)  # 20% of 3 members rounds to 1
    assert len(chosen) > 1  # the seed matters
    for seed in range(3):
        first, again = split_next_basket(tx, seed=seed), split_next_basket(tx, seed=seed)
        np.testing.assert_array_equal(first.test_users, again.test_users)
        train = set(first.train_users.tolist())
        assert train.isdisjoint(first.test_users.tolist())
        assert train | set(first.test_users.tolist()) == {0, 1, 2}


def test_nothing_usable(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text("user,basket,date,item\nu1,1,2024-01-01,a\nu1,2,2024-01-02,a\n")
    with pytest.raises(ProtocolError, match="nothing to evaluate"):
        split_next_basket(load_transactions(path))
    path.write_text("user,basket,date,item\n")
    with pytest.raises(ProtocolError, match="no member purchase lines"):
        split_next_basket(load_transactions(path))
