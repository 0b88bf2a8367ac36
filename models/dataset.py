"""Members' baskets in time order, held as nested CSR arrays: what a recommender learns from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Baskets:
    """Baskets of every user, oldest first: ``items[basket_indptr[b]:basket_indptr[b+1]]`` is basket b
    and ``user_indptr[u]:user_indptr[u+1]`` are the baskets of user u; ``days[b]`` is its date ordinal."""

    user_indptr: np.ndarray
    basket_indptr: np.ndarray
    items: np.ndarray
    days: np.ndarray

    @property
    def n_users(self) -> int:
        """Number of users (some may have no basket)."""
        return len(self.user_indptr) - 1

    @property
    def n_baskets(self) -> int:
        """Number of baskets over all users."""
        return len(self.basket_indptr) - 1

    def basket_users(self) -> np.ndarray:
        """The user index of every basket."""
        return np.repeat(np.arange(self.n_users, dtype=np.int32), np.diff(self.user_indptr))

    def line_baskets(self) -> np.ndarray:
        """The basket index of every (basket, item) entry of `items`."""
        return np.repeat(np.arange(self.n_baskets, dtype=np.int32), np.diff(self.basket_indptr))

    def user_baskets(self, user: int) -> list[np.ndarray]:
        """One user's baskets as item arrays, oldest first."""
        bounds = self.basket_indptr[self.user_indptr[user] : self.user_indptr[user + 1] + 1]
        return [self.items[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=False)]

    def select(self, keep_basket: np.ndarray) -> Baskets:
        """The same users with only the baskets where `keep_basket` is true."""
        sizes = np.diff(self.basket_indptr)[keep_basket]
        per_user = np.bincount(self.basket_users()[keep_basket], minlength=self.n_users)
        return Baskets(
            user_indptr=np.concatenate([[0], np.cumsum(per_user)]).astype(np.int64),
            basket_indptr=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            items=self.items[np.repeat(keep_basket, np.diff(self.basket_indptr))],
            days=self.days[keep_basket],
        )


@dataclass(frozen=True)
class Dataset:
    """What a recommender may learn from, with the ids and texts behind the integer codes."""

    baskets: Baskets
    user_ids: np.ndarray  # str, one per user index
    item_ids: np.ndarray  # str, one per item index
    item_texts: np.ndarray  # str, the item's description ("" when unknown)

    @classmethod
    def from_baskets(
        cls, sequences: Sequence[Sequence[Sequence[int]]], n_items: int | None = None
    ) -> Dataset:
        """A dataset from each user's baskets (oldest first) as item-index lists, dated day 1, 2, ..."""
        baskets = [sorted(set(map(int, basket))) for user in sequences for basket in user]
        items = np.array([i for basket in baskets for i in basket], dtype=np.int32)
        if items.size and items.min() < 0:
            raise ValueError("item indices must be non-negative")
        n_items = int(items.max(initial=-1)) + 1 if n_items is None else n_items
        if items.size and items.max() >= n_items:
            raise ValueError(f"item index {int(items.max())} is out of range for {n_items} items")
        per_user = [len(user) for user in sequences]
        structure = Baskets(
            user_indptr=np.concatenate([[0], np.cumsum(per_user)]).astype(np.int64),
            basket_indptr=np.concatenate([[0], np.cumsum([len(b) for b in baskets])]).astype(np.int64),
            items=items,
            days=np.concatenate([np.arange(1, n + 1) for n in per_user]).astype(np.int32)
            if baskets
            else np.zeros(0, np.int32),
        )
        return cls(
            baskets=structure,
            user_ids=np.array([f"u{u}" for u in range(len(sequences))], dtype=str),
            item_ids=np.array([f"i{i}" for i in range(n_items)], dtype=str),
            item_texts=np.array([f"item {i}" for i in range(n_items)], dtype=str),
        )

    @property
    def n_users(self) -> int:
        """Number of users."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.item_ids)

    @cached_property
    def user_items(self) -> sp.csr_matrix:
        """(n_users, n_items) float32 CSR: in how many of the user's baskets each item appears."""
        b = self.baskets
        rows = np.repeat(b.basket_users(), np.diff(b.basket_indptr))
        m = sp.csr_matrix(
            (np.ones(len(b.items), dtype=np.float32), (rows, b.items)), shape=(self.n_users, self.n_items)
        )
        m.sum_duplicates()
        m.sort_indices()
        return m

    @cached_property
    def basket_items(self) -> sp.csr_matrix:
        """(n_baskets, n_items) binary float32 CSR, one row per basket."""
        b = self.baskets
        data = np.ones(len(b.items), dtype=np.float32)
        return sp.csr_matrix((data, b.items, b.basket_indptr), shape=(b.n_baskets, self.n_items))

    def item_popularity(self) -> np.ndarray:
        """Number of baskets containing each item."""
        return np.bincount(self.baskets.items, minlength=self.n_items).astype(np.float64)
