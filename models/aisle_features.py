"""The signals Aisle's recommender ranks with, for a pool of (member, item) pairs of a batch of members.

Two kinds of fitted state. `ItemSignals` is fitted once from everyone's baskets: how often each item
is rebought and after how long, popularity and weekly sales, the EASE and next-visit item-item models,
text and co-purchase item vectors, and the overall rates that smooth a member's own. `MemberRows` is
computed from a batch of members' baskets alone (`member_rows`), at fit time for every member and at
serving time for the member in the store, so both go through one code path.

A member's pool is their own items plus the `mixed_candidates` best never-bought items by a
co-purchase base score; the explore-only list ranks the `candidates` best never-bought ones.
Features are as of the visit day (the day the member is in the store): repeat signals (zero for
never-bought items) are the TIFU-style decayed frequency, the share of visits and of the latest visits
with the item, visits and days since it was last bought, where the member is in the item's and in
their own repurchase cycle, days since their last visit against their usual gap, how often members
rebuy the item and how often this member rebuys at all. Discovery signals (kept apart for bought and
never-bought items): EASE and next-visit regression scores, the nearest members' decayed baskets,
popularity, the item's sales in the weeks before the visit against its usual rate (seasons), and the
similarity of the item to the member's taste in text and in co-purchase space.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import scipy.sparse as sp

from models.dataset import Baskets, Dataset
from models.encoder import normalise_rows
from models.siblings import sibling_items, sibling_weight
from models.taste import copurchase_vectors, ease_weights, next_basket_weights, popular_items

REPEAT: tuple[str, ...] = ("seen", "decayed", "frequency", "recency", "cycle", "cycle_sq", "own_cycle")
REPEAT += ("own_cycle_sq", "days_since", "item_repeat", "member_repeat", "visit_gap", "last_visits")
SHARED = ("ease", "next_visit", "neighbours", "popularity", "trend")
NEW_ONLY = ("item_repeat_new", "member_repeat_new", "text", "copurchase")
FEATURES = REPEAT + ("log_visits",) + tuple(f"{s}_seen" for s in SHARED) + tuple(f"{s}_new" for s in SHARED)
FEATURES += NEW_ONLY
# member_repeat_new is the same for all of a member's new items: it shifts them against the bought ones only
EXPLORE = tuple(f"{s}_new" for s in SHARED) + ("item_repeat_new", "text", "copurchase")
EXPLORE_COLUMNS = np.array([FEATURES.index(f) for f in EXPLORE])
# with `explore_siblings`, the explore pool's one column after FEATURES (the all-items pool never has it)
SIBLINGS = "siblings"
SMOOTHING = 5.0  # pseudo-observations pulling per-member and per-item rates towards the overall rate
DEFAULT_GAP_DAYS = 30.0  # typical days between visits when no member has two
# the co-purchase base score that picks a member's never-bought candidates
CANDIDATE_BASE = {"ease": 1.0, "next_visit": 1.0, "neighbours": 0.1, "popularity": 1e-3}
_COLUMN = {name: i for i, name in enumerate(FEATURES)}
RECENT_VISITS = 3  # "last_visits": the share of the member's latest visits with the item
# A member's own items ranked: their most weighted by the TIFU decay. A wholesaler's 1,000th item never
# makes a top 10, and scoring it cost the clerk milliseconds (bench/recommend_latency.py).
OWN_ITEMS = 300
TREND_WEEKS = 4  # "trend": the item's sales in the weeks before the visit against its usual rate


@dataclass(frozen=True)
class FeatureParams:
    """The knobs of the signals (not of the ranker)."""

    group_size: int = 7
    within_decay: float = 0.9
    group_decay: float = 0.7
    k_neighbors: int = 300
    ease_l2: float = 60.0
    next_visit_l2: float = 3000.0
    dense_items: int = 6000
    taste_half_life_days: float = 90.0
    copurchase_dimensions: int = 64
    candidates: int = 200
    # never-bought items competing with the member's own in the all-items list. 100, not 200: validation
    # recall@10 0.2209 against 0.2207 (4,206 visits, docs/model-quality.md), a top 10 changed for 0.5% of
    # members, and the trees score a hundred fewer rows for each clerk's request.
    mixed_candidates: int = 100
    # the explore ranker also reads the member's weight on items' one-word-apart variants (models.siblings),
    # never the all-items pool: validation explore-only +0.0020 (docs/model-quality.md, seventh pass)
    explore_siblings: bool = True


def explore_names(params: FeatureParams) -> tuple[str, ...]:
    """The explore ranker's columns under these params: EXPLORE, then the sibling weight if on."""
    return EXPLORE + ((SIBLINGS,) if params.explore_siblings else ())


def explore_columns(params: FeatureParams) -> np.ndarray:
    """Where the explore ranker's columns are in an explore pool's features."""
    extra = [len(FEATURES)] if params.explore_siblings else []
    return np.r_[EXPLORE_COLUMNS, extra].astype(np.int64)


@dataclass
class MemberRows:
    """Each member's purchase record, from their own baskets alone. The (member, item) matrices share
    one sparsity pattern (the items the member bought, in index order), so their `.data` align."""

    decayed: sp.csr_matrix  # TIFU-style decayed frequency
    counts: sp.csr_matrix  # visits with the item
    last_position: sp.csr_matrix  # 1 + the member's visit number when last bought
    last_day: sp.csr_matrix  # date ordinal when last bought
    recency: sp.csr_matrix  # half-life weights (as of the last visit) for taste vectors
    log_gaps: sp.csr_matrix  # sum of log days between the member's consecutive purchases of the item
    recent: sp.csr_matrix  # visits with the item among the member's RECENT_VISITS latest
    visits: np.ndarray  # (members,)
    first_day: np.ndarray  # date ordinal of the first visit (0 without one)
    last_visit_day: np.ndarray  # date ordinal of the last visit (0 without one)
    rebuys: np.ndarray  # items on visits after the first that the member had bought before
    later_lines: np.ndarray  # items on visits after the first

    @property
    def n_members(self) -> int:
        """Members in these rows."""
        return int(self.counts.shape[0])

    def take(self, members: np.ndarray) -> MemberRows:
        """The rows of these members, in this order."""
        values = {f.name: getattr(self, f.name)[members] for f in fields(self)}
        return MemberRows(**values)


def member_rows(baskets: Baskets, n_items: int, params: FeatureParams) -> MemberRows:
    """Every member's record from their dated baskets (oldest first); items index the model's items."""
    n = baskets.n_users
    visits = np.diff(baskets.user_indptr)
    sizes = np.diff(baskets.basket_indptr)
    basket_member = np.repeat(np.arange(n, dtype=np.int64), visits)
    position = np.arange(baskets.n_baskets, dtype=np.int64) - baskets.user_indptr[:-1][basket_member]
    first_day = np.zeros(n)
    last_visit_day = np.zeros(n)
    has = visits > 0
    first_day[has] = baskets.days[baskets.user_indptr[:-1][has]]
    last_visit_day[has] = baskets.days[baskets.user_indptr[1:][has] - 1]

    # TIFU-KNN weights (models.baselines.tifu_knn): groups of baskets counted back from the latest
    n_baskets = visits[basket_member]
    from_end = n_baskets - 1 - position
    group = from_end // params.group_size
    n_groups = -(-n_baskets // params.group_size)
    oldest_size = n_baskets - params.group_size * (n_groups - 1)
    group_size = np.where(group == n_groups - 1, oldest_size, params.group_size)
    decay = params.within_decay ** (from_end % params.group_size) / group_size
    decay = decay * params.group_decay**group / np.maximum(n_groups, 1)
    day = baskets.days.astype(np.float64)
    recency = 0.5 ** ((last_visit_day[basket_member] - day) / params.taste_half_life_days)

    line_member = np.repeat(basket_member, sizes)
    line_position = np.repeat(position, sizes)
    items = baskets.items.astype(np.int64)
    keys = line_member * n_items + items
    order = np.lexsort((line_position, keys))
    k = keys[order]
    first = np.r_[True, k[1:] != k[:-1]] if len(k) else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(k)].astype(np.int64)
    last_line = order[ends - 1] if len(k) else np.zeros(0, dtype=np.int64)
    pair_member = k[starts] // n_items
    pair_item = (k[starts] % n_items).astype(np.int32)

    line_day = np.repeat(day, sizes)[order]
    gap = np.zeros(len(k))
    gap[1:] = np.log(np.maximum(line_day[1:] - line_day[:-1], 1.0))
    gap[first] = 0.0

    indptr = np.r_[0, np.cumsum(np.bincount(pair_member, minlength=n))].astype(np.int64)

    def at_last(values: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((values.astype(np.float64), pair_item, indptr), shape=(n, n_items))

    def per_pair(values: np.ndarray) -> sp.csr_matrix:
        return at_last(np.add.reduceat(values, starts) if len(starts) else np.zeros(0))

    # how much a member rebuys: of the items on visits after the first, the share bought before
    repeat_line = np.zeros(len(keys), dtype=bool)
    repeat_line[order[~first]] = True
    later = line_position > 0
    return MemberRows(
        decayed=per_pair(np.repeat(decay, sizes)[order]),
        counts=per_pair(np.ones(len(k))),
        last_position=at_last(line_position[last_line] + 1.0),
        last_day=at_last(np.repeat(day, sizes)[last_line]),
        recency=per_pair(np.repeat(recency, sizes)[order]),
        log_gaps=per_pair(gap),
        recent=per_pair(np.repeat((from_end < RECENT_VISITS).astype(np.float64), sizes)[order]),
        visits=visits.astype(np.float64),
        first_day=first_day,
        last_visit_day=last_visit_day,
        rebuys=np.bincount(line_member[later & repeat_line], minlength=n).astype(np.float64),
        later_lines=np.bincount(line_member[later], minlength=n).astype(np.float64),
    )


@dataclass
class ItemSignals:
    """What is fitted once from everyone's baskets (all arrays)."""

    item_repeat: np.ndarray  # (items,) share of buyers who bought it on two visits or more (smoothed)
    item_cycle: np.ndarray  # (items,) typical days between two purchases by one member
    popularity: np.ndarray  # (items,) log popularity scaled to [0, 1]
    dense: np.ndarray  # item columns of the two item-item models
    ease: np.ndarray  # (dense, dense) C-contiguous float32: the hot loop reads whole rows
    next_visit: np.ndarray  # (dense, dense) C-contiguous float32
    text: np.ndarray  # (items, d) item text vectors
    copurchase: np.ndarray  # (items, c) co-purchase item vectors
    weekly: np.ndarray  # (weeks + 1, items) float32 cumulative sales by week from the first day
    rates: np.ndarray  # [overall member repeat rate, typical days between visits, first day]
    # models.siblings as CSR rows; the defaults (a version saved without them, or no text): none
    sibling_indptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    sibling_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def __post_init__(self) -> None:
        self.ease = np.ascontiguousarray(self.ease, dtype=np.float32)
        self.next_visit = np.ascontiguousarray(self.next_visit, dtype=np.float32)
        n_items = len(self.item_repeat)
        # Items never sold in the fitted data have no co-purchase, neighbour or popularity score: a new
        # candidate is looked for among the others, which on a large catalogue are a small part of it.
        known = self.popularity > 0
        known[self.dense] = True
        self.scored = np.flatnonzero(known)
        self.scored_position = np.full(n_items, -1, dtype=np.int64)  # each item's column among them
        self.scored_position[self.scored] = np.arange(len(self.scored))
        self._dense_position = np.full(n_items, -1, dtype=np.int64)
        self._dense_position[self.dense] = np.arange(len(self.dense))
        self.siblings = sp.csr_matrix((n_items, n_items), dtype=np.float32)
        if len(self.sibling_indptr) == n_items + 1:
            ones = np.ones(len(self.sibling_indices), dtype=np.float32)
            self.siblings = sp.csr_matrix((ones, self.sibling_indices, self.sibling_indptr), (n_items,) * 2)

    @property
    def overall_repeat(self) -> float:
        """Share of later visits' items already bought before, over all members."""
        return float(self.rates[0])

    @property
    def typical_gap(self) -> float:
        """Median over members of their mean days between visits."""
        return float(self.rates[1])

    def trend(self, member_day: np.ndarray, member: np.ndarray, item: np.ndarray) -> np.ndarray:
        """log of each item's sales in the TREND_WEEKS before its member's visit day (the latest
        weeks known for a day after the data) over its mean sales in as many weeks."""
        n_weeks = len(self.weekly) - 1
        if n_weeks < 1:
            return np.zeros(len(item))
        week = np.clip((member_day - self.rates[2]) // 7, 0, n_weeks).astype(np.int64)
        start = np.maximum(week - TREND_WEEKS, 0)
        recent = (self.weekly[week[member], item] - self.weekly[start[member], item]).astype(np.float64)
        span = np.maximum(week - start, 1)[member]
        usual = self.weekly[-1, item] / n_weeks
        return np.log((recent / span + 0.1) / (usual + 0.1))

    def dense_scores(
        self, weights: np.ndarray, history: sp.csr_matrix, position: np.ndarray, width: int
    ) -> np.ndarray:
        """(members, width) float32: each member's bought dense items' rows of `weights`, summed, in
        the columns `position` gives each item (every dense item has one; -1: none)."""
        n = history.shape[0]
        column = self._dense_position[history.indices]
        keep = column >= 0
        member = np.repeat(np.arange(n), np.diff(history.indptr))
        indptr = np.r_[0, np.cumsum(np.bincount(member[keep], minlength=n))].astype(np.int64)
        ones = np.ones(int(keep.sum()), dtype=np.float32)
        rows = sp.csr_matrix((ones, column[keep], indptr), shape=(n, len(self.dense)))
        out = np.zeros((n, width), dtype=np.float32)
        out[:, position[self.dense]] = rows @ weights
        return out


def fit_item_signals(
    dataset: Dataset, rows: MemberRows, params: FeatureParams, text: np.ndarray
) -> ItemSignals:
    """Item-level signals from the dataset and its members' rows (`member_rows(dataset.baskets, ...)`)."""
    n_items = dataset.n_items
    counts = rows.counts
    overall_repeat = rows.rebuys.sum() / max(rows.later_lines.sum(), 1.0)
    several = rows.visits > 1
    span = (rows.last_visit_day - rows.first_day) / np.maximum(rows.visits - 1, 1)
    typical_gap = float(np.median(span[several])) if several.any() else DEFAULT_GAP_DAYS

    buyers = np.bincount(counts.indices, minlength=n_items)
    rebuyers = np.bincount(counts.indices[counts.data >= 2], minlength=n_items)
    overall = rebuyers.sum() / max(buyers.sum(), 1)
    item_repeat = (rebuyers + SMOOTHING * overall) / (buyers + SMOOTHING)

    # repurchase cycle: geometric mean of the days between one member's consecutive purchases
    n_gaps = np.bincount(counts.indices, weights=counts.data - 1.0, minlength=n_items)
    total = np.bincount(counts.indices, weights=rows.log_gaps.data, minlength=n_items)
    overall_log_gap = total.sum() / n_gaps.sum() if n_gaps.sum() > 0 else np.log(typical_gap)
    item_cycle = np.exp((total + SMOOTHING * overall_log_gap) / (n_gaps + SMOOTHING))

    popularity = np.log1p(dataset.item_popularity())
    dense = popular_items(dataset, params.dense_items)
    b = dataset.baskets
    first_day = float(b.days.min()) if b.n_baskets else 0.0
    week = ((b.days - first_day) // 7).astype(np.int64)
    n_weeks = int(week.max()) + 1 if b.n_baskets else 0
    line_week = np.repeat(week, np.diff(b.basket_indptr))
    sales = np.bincount(line_week * n_items + b.items, minlength=n_weeks * n_items).reshape(n_weeks, n_items)
    weekly = np.vstack([np.zeros((1, n_items)), np.cumsum(sales, axis=0)]).astype(np.float32)
    siblings: dict[str, np.ndarray] = {}
    if params.explore_siblings and np.any(text):  # text off or unreadable: no siblings, a zero column
        found = sibling_items([str(t) for t in dataset.item_texts])
        siblings = {"sibling_indptr": found.indptr.astype(np.int64), "sibling_indices": found.indices}
    return ItemSignals(
        **siblings,  # type: ignore[arg-type]
        item_repeat=item_repeat,
        item_cycle=item_cycle,
        popularity=popularity / max(popularity.max(initial=0.0), 1e-12),
        dense=dense,
        ease=ease_weights(dataset, params.ease_l2, dense),
        next_visit=next_basket_weights(dataset, params.next_visit_l2, dense),
        text=np.asarray(text, dtype=np.float32),
        copurchase=copurchase_vectors(dataset, params.copurchase_dimensions),
        weekly=weekly,
        rates=np.array([overall_repeat, typical_gap, first_day]),
    )


def _scale_rows(a: np.ndarray) -> np.ndarray:
    """Each row divided by its largest absolute value, so members with long and short histories compare."""
    top = np.abs(a).max(axis=1, keepdims=True) if a.shape[1] else np.zeros((len(a), 1), a.dtype)
    return a / np.where(top > 0, top, 1.0)


def _row_max(m: sp.csr_matrix) -> np.ndarray:
    """Largest stored value of each row of a CSR matrix with non-negative data (1 for an empty row)."""
    filled = np.diff(m.indptr) > 0
    out = np.ones(m.shape[0])
    if filled.any():
        out[filled] = np.maximum.reduceat(m.data, m.indptr[:-1][filled])
    return np.where(out > 0, out, 1.0)


def _unit_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    member = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    norms = np.sqrt(np.bincount(member, weights=m.data**2, minlength=m.shape[0]))
    data = m.data / np.where(norms > 0, norms, 1.0)[member]
    return sp.csr_matrix((data, m.indices, m.indptr), shape=m.shape)


def _top_entries(m: sp.csr_matrix, k: int) -> np.ndarray:
    """Mask over the stored entries of `m`: each row's k largest (ties: the earlier entry)."""
    keep = np.ones(m.nnz, dtype=bool)
    for row in np.flatnonzero(np.diff(m.indptr) > k):
        lo, hi = m.indptr[row], m.indptr[row + 1]
        order = np.lexsort((np.arange(hi - lo), -m.data[lo:hi]))
        keep[lo + order[k:]] = False
    return keep


def _best_new(base: np.ndarray, candidates: int) -> tuple[np.ndarray, np.ndarray]:
    """(member, item) of each row's `candidates` best finite scores (all finite ones when fewer)."""
    kk = min(candidates, base.shape[1])
    if kk < base.shape[1]:
        item = np.argpartition(-base, kk - 1, axis=1)[:, :kk]
    else:
        item = np.broadcast_to(np.arange(base.shape[1]), base.shape)
    member = np.broadcast_to(np.arange(len(base))[:, None], item.shape)
    finite = np.isfinite(base[member, item])
    return member[finite], item[finite]


@dataclass
class Pool:
    """The (member, item) pairs a batch of members is ranked over, grouped by member, with features."""

    member: np.ndarray  # row of the batch
    item: np.ndarray
    own: np.ndarray  # bought before
    x: np.ndarray  # (pairs, len(FEATURES)) float32


@dataclass
class Signals:
    """The fitted item signals and the rows of the members fitted on (also the neighbour pool)."""

    items: ItemSignals
    members: MemberRows

    def __post_init__(self) -> None:
        unit = _unit_rows(self.members.decayed)
        self._neighbours_t = unit.T.tocsr()  # (items, members): a member's similarities read item rows

    @property
    def n_users(self) -> int:
        """Members the signals were fitted on."""
        return self.members.n_members

    @property
    def n_items(self) -> int:
        """Items the signals were fitted on."""
        return len(self.items.item_repeat)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat name -> array mapping for saving (sparse matrices as data/indices/indptr)."""
        out: dict[str, np.ndarray] = {
            f"items.{f.name}": getattr(self.items, f.name) for f in fields(ItemSignals)
        }
        rows = self.members
        out["members.indices"], out["members.indptr"] = rows.counts.indices, rows.counts.indptr
        for f in fields(MemberRows):
            value = getattr(rows, f.name)
            out[f"members.{f.name}"] = value.data if sp.issparse(value) else value
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], n_users: int, n_items: int) -> Signals:
        """Rebuild from `to_arrays` output."""
        stored = (f.name for f in fields(ItemSignals) if f"items.{f.name}" in arrays)  # older: no siblings
        items = ItemSignals(**{name: arrays[f"items.{name}"] for name in stored})
        indices, indptr = arrays["members.indices"], arrays["members.indptr"]
        values: dict[str, object] = {}
        for f in fields(MemberRows):
            value = arrays[f"members.{f.name}"]
            if f.name in ("visits", "first_day", "last_visit_day", "rebuys", "later_lines"):
                values[f.name] = value
            else:
                values[f.name] = sp.csr_matrix((value, indices, indptr), shape=(n_users, n_items))
        return cls(items, MemberRows(**values))  # type: ignore[arg-type]

    def neighbour_scores(
        self, rows: MemberRows, self_users: np.ndarray, k: int, position: np.ndarray, width: int
    ) -> np.ndarray:
        """(members, width) float32: the mean decayed vector of each member's k most similar fitted
        members (cosine > 0), never themselves (`self_users`, -1 for a member the model was not
        fitted on), in the columns `position` gives each item (every item a fitted member bought)."""
        n = rows.n_members
        out = np.zeros((n, width), dtype=np.float32)
        kk = min(k, self.n_users - 1)
        if kk < 1:
            return out
        # Each row's stored similarities alone: a member shares items with few others, and a row's
        # choice depends on that row only, so a member is served as they were fitted, in any batch.
        sims = sp.csr_matrix(_unit_rows(rows.decayed) @ self._neighbours_t)
        picked_rows, picked = [], []
        for row in range(n):
            lo, hi = sims.indptr[row], sims.indptr[row + 1]
            value, other = sims.data[lo:hi], sims.indices[lo:hi]
            usable = (value > 0) & (other != self_users[row])
            value, other = value[usable], other[usable]
            if len(value) > kk:
                other = other[np.argpartition(-value, kk - 1)[:kk]]
            picked.append(other)
            picked_rows.append(np.full(len(other), row))
        near = np.concatenate(picked).astype(np.int64) if picked else np.zeros(0, dtype=np.int64)
        member = np.concatenate(picked_rows) if picked_rows else np.zeros(0, dtype=np.int64)
        pick = sp.csr_matrix((np.full(len(near), 1.0 / kk), (member, near)), shape=(n, self.n_users))
        mean = sp.csr_matrix(pick @ self.members.decayed)
        at = np.repeat(np.arange(n), np.diff(mean.indptr))
        out[at, position[mean.indices]] = mean.data
        return out

    def pool(
        self,
        rows: MemberRows,
        self_users: np.ndarray,
        days: np.ndarray | None,
        params: FeatureParams,
        explore_only: bool = False,
    ) -> Pool:
        """The pool of each member of `rows` and its features as of the visit `days` (date ordinals;
        None: one typical gap, their own or the overall, after each member's last visit)."""
        s = self.items
        n = rows.n_members
        history = rows.counts.astype(np.float32, copy=True)
        history.data[:] = 1.0
        own_member = np.repeat(np.arange(n), np.diff(rows.counts.indptr))
        own_item = rows.counts.indices.astype(np.int64)
        wanted = params.candidates if explore_only else params.mixed_candidates
        # First over the items that have a score at all; the whole catalogue only when those leave a
        # member short of `wanted` new items scoring above an unscored item's 0 (a tiny catalogue).
        for whole in (False, True):
            columns, position = (np.arange(self.n_items),) * 2 if whole else (s.scored, s.scored_position)
            shared, base = self._candidate_scores(rows, history, self_users, params, columns, position)
            at = position[own_item]
            owned = at >= 0
            base[own_member[owned], at[owned]] = -np.inf  # never a new candidate, ranked or not
            new_member, new_column = _best_new(base, wanted)
            enough = np.bincount(new_member[base[new_member, new_column] > 0], minlength=n)
            if len(columns) == self.n_items or (enough >= wanted).all():
                break
        new_item = columns[new_column]
        popularity = s.popularity.astype(np.float32)
        kept = _top_entries(rows.decayed, OWN_ITEMS)
        own_member, own_item = own_member[kept], own_item[kept]

        if explore_only:
            member, item = new_member, new_item
            own = np.zeros(len(member), dtype=bool)
        else:
            member = np.r_[own_member, new_member]
            item = np.r_[own_item, new_item]
            own = np.r_[np.ones(len(own_member), bool), np.zeros(len(new_member), bool)]
        order = np.argsort(member, kind="stable")
        member, item, own = member[order], item[order], own[order]
        column = position[item]
        scored = column >= 0
        member_gap = np.where(
            rows.visits > 1,
            (rows.last_visit_day - rows.first_day) / np.maximum(rows.visits - 1, 1),
            s.typical_gap,
        )
        # days from the last visit to this one; without the visit day, the member's usual gap
        until_visit = member_gap if days is None else np.asarray(days, dtype=np.float64) - rows.last_visit_day
        until_visit = np.maximum(until_visit, 0.0)
        width = len(FEATURES) + (1 if explore_only and params.explore_siblings else 0)
        x = np.zeros((len(member), width), dtype=np.float32)
        visits = np.maximum(rows.visits, 1.0)
        repeat_rate = (rows.rebuys + SMOOTHING * s.overall_repeat) / (rows.later_lines + SMOOTHING)
        for name in SHARED:
            if name == "popularity":
                picked = popularity[item]
            elif name == "trend":
                picked = s.trend(rows.last_visit_day + until_visit, member, item)
            else:
                picked = np.zeros(len(item), dtype=np.float32)  # an item bought since the fit has none
                picked[scored] = shared[SHARED.index(name)][member[scored], column[scored]]
            x[own, _COLUMN[f"{name}_seen"]] = picked[own]
            x[~own, _COLUMN[f"{name}_new"]] = picked[~own]
        new = ~own
        x[new, _COLUMN["item_repeat_new"]] = s.item_repeat[item[new]]
        x[new, _COLUMN["member_repeat_new"]] = repeat_rate[member[new]]
        recency = rows.recency.astype(np.float32)  # as the item vectors: a float64 one would copy them
        for column, vectors in (("text", s.text), ("copurchase", s.copurchase)):
            taste = normalise_rows(np.asarray(recency @ vectors))
            x[new, _COLUMN[column]] = np.einsum("ij,ij->i", taste[member[new]], vectors[item[new]])
        if own.any():
            x[own] = self._repeat_features(rows, kept, until_visit, member_gap, x[own], repeat_rate, visits)
        if width > len(FEATURES):
            x[:, len(FEATURES)] = sibling_weight(rows.decayed, s.siblings, member, item)
        return Pool(member=member, item=item, own=own, x=x)

    def _candidate_scores(
        self,
        rows: MemberRows,
        history: sp.csr_matrix,
        self_users: np.ndarray,
        params: FeatureParams,
        columns: np.ndarray,
        position: np.ndarray,
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """The shared discovery scores (EASE, next visit, neighbours; each member's row scaled to a
        largest of 1) at the item `columns` (`position`: each item's column, -1 for none), and the
        base score new candidates are picked by."""
        s = self.items
        width = len(columns)
        shared = [
            _scale_rows(s.dense_scores(s.ease, history, position, width)),
            _scale_rows(s.dense_scores(s.next_visit, history, position, width)),
            _scale_rows(self.neighbour_scores(rows, self_users, params.k_neighbors, position, width)),
        ]
        base = np.float32(CANDIDATE_BASE["popularity"]) * s.popularity[columns].astype(np.float32)
        base = np.broadcast_to(base, (rows.n_members, len(columns)))
        for name, values in zip(SHARED, shared, strict=False):
            base = base + np.float32(CANDIDATE_BASE[name]) * values
        return shared, np.asarray(base, dtype=np.float32)

    def _repeat_features(
        self,
        rows: MemberRows,
        kept: np.ndarray,
        until_visit: np.ndarray,
        member_gap: np.ndarray,
        x: np.ndarray,
        repeat_rate: np.ndarray,
        visits: np.ndarray,
    ) -> np.ndarray:
        """Fill the repeat columns of `x`: the member's own items in `rows.counts` order where `kept`."""
        s = self.items
        counts = rows.counts
        member = np.repeat(np.arange(rows.n_members), np.diff(counts.indptr))[kept]
        item = counts.indices[kept]
        bought = counts.data[kept]
        since_days = rows.last_visit_day[member] - rows.last_day.data[kept] + until_visit[member]
        cycle = np.log((since_days + 1.0) / s.item_cycle[item])
        rebought = bought > 1
        own_cycle = np.zeros(len(item))
        own_cycle[rebought] = np.log(since_days[rebought] + 1.0) - rows.log_gaps.data[kept][rebought] / (
            bought[rebought] - 1.0
        )
        since_visits = visits[member] - rows.last_position.data[kept]
        decayed = rows.decayed.data[kept] / _row_max(rows.decayed)[member]
        x[:, _COLUMN["seen"]] = 1.0
        x[:, _COLUMN["decayed"]] = decayed
        x[:, _COLUMN["frequency"]] = bought / visits[member]
        x[:, _COLUMN["recency"]] = 1.0 / (1.0 + since_visits)
        x[:, _COLUMN["cycle"]] = cycle
        x[:, _COLUMN["cycle_sq"]] = cycle**2
        x[:, _COLUMN["own_cycle"]] = own_cycle
        x[:, _COLUMN["own_cycle_sq"]] = own_cycle**2
        x[:, _COLUMN["days_since"]] = np.log1p(since_days)
        x[:, _COLUMN["visit_gap"]] = np.log((until_visit + 1.0) / (member_gap + 1.0))[member]
        x[:, _COLUMN["last_visits"]] = rows.recent.data[kept] / np.minimum(visits[member], RECENT_VISITS)
        x[:, _COLUMN["item_repeat"]] = s.item_repeat[item]
        x[:, _COLUMN["member_repeat"]] = repeat_rate[member]
        x[:, _COLUMN["log_visits"]] = np.log(visits[member])
        return x


def fit_signals(dataset: Dataset, params: FeatureParams, text: np.ndarray) -> Signals:
    """Fit every signal on the dataset; `text` holds one unit vector per item."""
    rows = member_rows(dataset.baskets, dataset.n_items, params)
    return Signals(fit_item_signals(dataset, rows, params, text), rows)
