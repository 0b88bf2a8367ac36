"""The served recommender: one model version, ranking members from their own dated baskets.

The server and the evaluation both call `ServedModel.rank`, so the list a clerk sees is the list the
evaluation scored: the model's scores for the member's current baskets (folded in, not looked up by a
training-time index), items the business does not allow (inactive, not in the store's catalogue) set
to never, then the top k. Items are keyed by the chain's own item ids (SKUs), members by their ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.aisle import AisleRecommender
from models.dataset import Baskets
from models.recommender import top_k
from models.versions import ModelVersion, load_version, read_version

Visit = tuple[int, Sequence[int]]  # (date ordinal, model item indices bought that day)


class NotServableError(ValueError):
    """The version holds a method the server cannot rank with (an evaluation-only baseline)."""


def baskets_from_lines(users: np.ndarray, days: np.ndarray, items: np.ndarray, n_users: int) -> Baskets:
    """Dated baskets of `n_users` members from purchase lines (member row, date ordinal, model item;
    items < 0, unknown to the model, are left out): one basket per member and day, items distinct,
    in the layout the model folds in."""
    users, days, items = (np.asarray(a, dtype=np.int64) for a in (users, days, items))
    keep = items >= 0
    u, d, i = users[keep], days[keep], items[keep]
    order = np.lexsort((i, d, u))
    u, d, i = u[order], d[order], i[order]
    if len(i):
        distinct = np.r_[True, (u[1:] != u[:-1]) | (d[1:] != d[:-1]) | (i[1:] != i[:-1])]
        u, d, i = u[distinct], d[distinct], i[distinct]
    starts = (
        np.flatnonzero(np.r_[True, (u[1:] != u[:-1]) | (d[1:] != d[:-1])]) if len(i) else np.zeros(0, int)
    )
    per_user = np.bincount(u[starts], minlength=n_users)
    return Baskets(
        user_indptr=np.concatenate([[0], np.cumsum(per_user)]).astype(np.int64),
        basket_indptr=np.append(starts, len(i)).astype(np.int64),
        items=i.astype(np.int32),
        days=d[starts].astype(np.int32),
    )


def baskets_of(members: Sequence[Sequence[Visit]]) -> Baskets:
    """Dated baskets of several members, each member's visits in any order (same-day visits merged,
    items distinct), in the layout the model folds in."""
    lines = [
        (m, int(day), int(i)) for m, visits in enumerate(members) for day, bought in visits for i in bought
    ]
    users, days, items = (
        (np.array(col, dtype=np.int64) for col in zip(*lines, strict=True))
        if lines
        else (np.zeros(0, dtype=np.int64),) * 3
    )
    return baskets_from_lines(users, days, items, len(members))


def members_of(baskets: Baskets, users: np.ndarray) -> Baskets:
    """The baskets of these users only, in this order (as `baskets_of` would build them)."""
    users = np.asarray(users, dtype=np.int64)
    first, last = baskets.user_indptr[users], baskets.user_indptr[users + 1]
    chosen = _ranges(first, last - first)
    sizes = np.diff(baskets.basket_indptr)[chosen]
    return Baskets(
        user_indptr=np.concatenate([[0], np.cumsum(last - first)]).astype(np.int64),
        basket_indptr=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        items=baskets.items[_ranges(baskets.basket_indptr[chosen], sizes)],
        days=baskets.days[chosen],
    )


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenated ranges starts[i] .. starts[i] + lengths[i]."""
    lengths = np.asarray(lengths, dtype=np.int64)
    shift = np.asarray(starts, dtype=np.int64) - np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.repeat(shift, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)


@dataclass(frozen=True)
class Ranked:
    """One member's list: model item indices best first and their scores (-1 / -inf padding removed)."""

    items: np.ndarray
    scores: np.ndarray


@dataclass(frozen=True)
class ServedModel:
    """A fitted model version as the server uses it (immutable once loaded)."""

    name: str
    model: AisleRecommender
    info: ModelVersion | None = None
    _item_order: np.ndarray = field(init=False, repr=False)
    _user_order: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_item_order", np.argsort(self.model.item_ids, kind="stable"))
        object.__setattr__(self, "_user_order", np.argsort(self.model.user_ids, kind="stable"))

    @classmethod
    def load(cls, folder: str | Path, info: ModelVersion | None = None) -> ServedModel:
        """The version in `folder`; NotServableError unless it holds Aisle's own model."""
        folder = Path(folder)
        manifest = read_version(folder)
        if manifest.get("method") != AisleRecommender.name:
            raise NotServableError(
                f"{folder.name} holds {manifest.get('method')!r}, an evaluation-only method; "
                f"the server serves {AisleRecommender.name!r} versions"
            )
        model = load_version(folder)
        assert isinstance(model, AisleRecommender)
        return cls(folder.name, model, info)

    @property
    def item_ids(self) -> np.ndarray:
        """The model's item ids (str), by model item index."""
        return self.model.item_ids

    def item_indices(self, ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """Model item index of each id, -1 for ids the model never saw (new products)."""
        return _lookup(self.model.item_ids, self._item_order, ids)

    def user_indices(self, ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """Training user index of each member id, -1 for members the model never saw."""
        return _lookup(self.model.user_ids, self._user_order, ids)

    def rank(
        self,
        baskets: Baskets,
        users: np.ndarray,
        k: int,
        *,
        days: np.ndarray | None = None,
        allowed: np.ndarray | None = None,
        exclude_history: bool = False,
    ) -> list[Ranked]:
        """Each member's top k: the model's scores for their baskets, never an item `allowed` (a mask
        over model items) forbids, and with `exclude_history` only items they never bought."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        users = np.asarray(users, dtype=np.int64)
        scores = self.model.score_baskets(baskets, users, days=days, exclude_history=exclude_history)
        mask = None if allowed is None else np.asarray(allowed, dtype=bool)
        out = []
        for row in range(baskets.n_users):
            # The model scores only its pool (own items and the best new ones) and -inf the rest: rank
            # the pool, not the whole catalogue.
            pool = np.flatnonzero(np.isfinite(scores[row]))
            if mask is not None:
                pool = pool[mask[pool]]
            if exclude_history:
                lo, hi = baskets.basket_indptr[baskets.user_indptr[[row, row + 1]]]
                pool = pool[~np.isin(pool, baskets.items[lo:hi])]
            values = np.asarray(scores[row, pool], dtype=np.float64)
            best = top_k(values.reshape(1, -1), k)[0]
            best = best[best >= 0]
            out.append(Ranked(pool[best], values[best]))
        return out


def _lookup(ids: np.ndarray, order: np.ndarray, wanted: Sequence[str] | np.ndarray) -> np.ndarray:
    wanted = np.asarray(wanted, dtype=str)
    if len(ids) == 0 or len(wanted) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    sorted_ids = ids[order]
    at = np.minimum(np.searchsorted(sorted_ids, wanted), len(ids) - 1)
    return np.where(sorted_ids[at] == wanted, order[at], -1).astype(np.int64)
