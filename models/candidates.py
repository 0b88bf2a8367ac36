"""Reasons a clerk can say out loud for each suggestion, with the facts behind them.

`explain` is what the server uses: the served model (`models.serving`) ranks, and each item it ranks
gets its reason here — replenish for an item the member bought before (timed by their own purchase
cycle or the catalog's typical one), cross-sell for a never-bought item often in the same basket as
theirs (`CoPurchase`), explore for one whose embedding sits next to what they bought (the item index),
else what similar members buy. The per-source lists (`replenish`, `cross_sell`, `explore`) are the
same reasons as candidate generators, used by the talking points and the conversation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from models.catalog import Catalog
from models.i18n import resolve_lang, say
from models.member import MemberFacts
from models.purchase_patterns import CoPurchase, RepurchaseCycles

Fact = str | int | float
KINDS = ("replenish", "cross_sell", "explore", "chat")
DUE_FROM = 0.8  # suggest a repeat once this share of the usual cycle has passed
RECENCY_HALF_LIFE_DAYS = 180.0
TASTE_ITEMS = 200  # the latest distinct items that make up a member's taste vector


class ItemIndex(Protocol):
    """Item vectors searchable by inner product, keyed by catalog item id (as `models.index.CatalogIndex`)."""

    def __contains__(self, item_id: object) -> bool:
        """True when the index holds a vector for this item id."""
        ...

    def holds(self, item_ids: np.ndarray) -> np.ndarray:
        """For each item id, whether the index holds a vector for it (one vectorised look-up)."""
        ...

    def search(
        self,
        queries: np.ndarray,
        k: int,
        exclude: np.ndarray | None = None,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the k nearest items per query row, best first, padded with -1; never an id in
        `exclude`, only ids where the boolean mask `allowed` (indexed by item id) is true."""
        ...

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vector of each item id (KeyError for an id not in the index)."""
        ...


def indexed(index: ItemIndex, item_ids: np.ndarray) -> np.ndarray:
    """Which of these item ids the index holds (a new product may not be embedded yet)."""
    return np.asarray(index.holds(np.asarray(item_ids, dtype=np.int64)), dtype=bool)


@dataclass(frozen=True)
class Suggestion:
    """One item to mention, why, and the facts the reason was made from."""

    item_id: int
    score: float
    kind: str
    reason: str
    facts: dict[str, Fact] = field(default_factory=dict)


def _weights(days_since: np.ndarray) -> np.ndarray:
    """Recent purchases count more: half weight after RECENCY_HALF_LIFE_DAYS."""
    return np.power(0.5, np.asarray(days_since, dtype=np.float64) / RECENCY_HALF_LIFE_DAYS)


@dataclass(frozen=True)
class _Bought:
    """The member's distinct catalog items with catalog rows and days since each was last bought."""

    ids: np.ndarray
    rows: np.ndarray
    since: np.ndarray
    days_bought: np.ndarray
    median_gap: np.ndarray

    @classmethod
    def of(cls, member: MemberFacts, catalog: Catalog, today: dt.date) -> _Bought:
        """The member's history restricted to items still in the catalog."""
        h = member.history
        rows = catalog.rows(h.items)
        keep = rows >= 0
        since = today.toordinal() - h.last_day[keep]
        return cls(h.items[keep], rows[keep], since, h.days_bought[keep], h.median_gap[keep])

    def since_of(self, item_id: int) -> int:
        """Days since the member last bought this item."""
        return int(self.since[np.searchsorted(self.ids, item_id)])


@dataclass(frozen=True)
class _Timing:
    """Where the member is in each bought item's cycle: their own median interval, else the catalog's."""

    own: np.ndarray
    cycle: np.ndarray
    ratio: np.ndarray
    score: np.ndarray

    @classmethod
    def of(cls, b: _Bought, cycles: RepurchaseCycles | None) -> _Timing:
        own = b.days_bought >= 2
        typical = cycles.cycles(b.ids) if cycles is not None else np.full(len(b.ids), np.nan)
        cycle = np.where(own, b.median_gap, typical)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = b.since / cycle
            timing = np.where(ratio <= 1.5, 1.0, 1.5 / ratio)  # long overdue: maybe they buy it elsewhere now
        confidence = np.where(own, b.days_bought / (b.days_bought + 1.0), 0.4)
        return cls(own, cycle, ratio, np.round(confidence * timing, 6))


def _rebuy(
    b: _Bought, t: _Timing, n: int, score: float, catalog: Catalog, today: dt.date, lang: str
) -> Suggestion:
    """The suggestion to buy the member's n-th item again, with where they are in its cycle."""
    item_id, since, times = int(b.ids[n]), int(b.since[n]), int(b.days_bought[n])
    name = catalog.name_at(b.rows[n], lang)
    facts: dict[str, Fact] = {
        "item_id": item_id,
        "item_name": name,
        "last_bought": dt.date.fromordinal(today.toordinal() - since).isoformat(),
        "days_since": since,
        "times_bought": times,
    }
    if not np.isfinite(t.cycle[n]):  # bought once and nobody's cycle known: say when, not when again
        return Suggestion(
            item_id, score, "replenish", say("bought_before", lang, item=name, since=since), facts
        )
    source = "member" if t.own[n] else "catalog"
    cycle_days = max(int(round(t.cycle[n])), 1)
    due_in = max(cycle_days - since, 0)
    facts.update({"cycle_days": cycle_days, "cycle_source": source, "due_in_days": due_in})
    if source == "catalog":
        reason = say("replenish_typical", lang, item=name, since=since, cycle=cycle_days)
    elif due_in == 0:
        reason = say("replenish_due", lang, item=name, since=since, cycle=cycle_days)
    else:
        reason = say("replenish_soon", lang, item=name, since=since, cycle=cycle_days, due_in=due_in)
    return Suggestion(item_id, score, "replenish", reason, facts)


def replenish(
    member: MemberFacts,
    catalog: Catalog,
    today: dt.date,
    cycles: RepurchaseCycles | None = None,
    lang: str | None = None,
    k: int | None = None,
) -> list[Suggestion]:
    """Items the member is due to buy again (the k best, or all): own median interval, else the catalog's
    typical cycle."""
    lang = resolve_lang(lang, member.locale)
    b = _Bought.of(member, catalog, today)
    t = _Timing.of(b, cycles)
    due = np.flatnonzero((t.ratio >= DUE_FROM) & (b.since >= 0) & np.isfinite(t.ratio))
    due = due[np.lexsort((b.ids[due], -t.score[due]))][:k]
    return [_rebuy(b, t, int(n), float(t.score[n]), catalog, today, lang) for n in due]


def cross_sell(
    member: MemberFacts,
    catalog: Catalog,
    copurchase: CoPurchase,
    today: dt.date,
    k: int = 10,
    lang: str | None = None,
) -> list[Suggestion]:
    """Never-bought items most often in the same baskets as the member's items, recent ones weighing more."""
    lang = resolve_lang(lang, member.locale)
    b = _Bought.of(member, catalog, today)
    partners = copurchase.scores(b.ids, _weights(b.since))
    scores = partners.total
    cols = np.flatnonzero(scores > 0)
    ids = copurchase.item_ids[cols]
    rows = catalog.rows(ids)
    keep = (rows >= 0) & ~np.isin(ids, b.ids)
    cols, rows = cols[keep], rows[keep]
    best = np.lexsort((copurchase.item_ids[cols], -scores[cols]))[:k]
    anchors = partners.strongest(cols[best])
    return [
        _anchored(
            int(copurchase.item_ids[cols[n]]),
            int(rows[n]),
            float(scores[cols[n]]),
            "cross_sell",
            int(b.ids[anchor]),
            b,
            catalog,
            lang,
        )
        for n, anchor in zip(best, anchors, strict=True)
    ]


def taste_vector(
    member: MemberFacts, index: ItemIndex, catalog: Catalog, today: dt.date
) -> np.ndarray | None:
    """Recency-weighted mean of the vectors of the member's latest items, unit length (None if none)."""
    ids, since, vectors = _recent_vectors(_Bought.of(member, catalog, today), index)
    if len(ids) == 0:
        return None
    mean = (_weights(since)[:, None] * vectors).sum(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm > 0 else None


def _recent_vectors(b: _Bought, index: ItemIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids, days since and vectors of the TASTE_ITEMS most recently bought items the index holds."""
    latest = np.lexsort((b.ids, b.since))[:TASTE_ITEMS]  # a wholesale buyer's 900th item adds little
    ids, since = b.ids[latest], b.since[latest]
    held = indexed(index, ids)
    ids, since = ids[held], since[held]
    if len(ids) == 0:  # nothing they bought is in the index (e.g. only items since delisted)
        return ids, since, np.zeros((0, 0), dtype=np.float32)
    return ids, since, np.asarray(index.vectors(ids), dtype=np.float32).reshape(len(ids), -1)


def explore(
    member: MemberFacts,
    catalog: Catalog,
    index: ItemIndex,
    today: dt.date,
    k: int = 10,
    lang: str | None = None,
    taste: np.ndarray | None = None,
) -> list[Suggestion]:
    """Never-bought items nearest to the member's taste vector, each explained by its closest bought item."""
    lang = resolve_lang(lang, member.locale)
    b = _Bought.of(member, catalog, today)
    recent, since, bought_vectors = _recent_vectors(b, index)
    if len(recent) == 0:
        return []
    query = taste
    if query is None:
        mean = (_weights(since)[:, None] * bought_vectors).sum(axis=0)
        query = mean / max(float(np.linalg.norm(mean)), 1e-12)
    found, rows, scores = search_excluding(index, catalog, np.asarray(query, dtype=np.float32), k, b.ids)
    if len(found) == 0:
        return []
    closest = np.argmax(np.asarray(index.vectors(found), dtype=np.float32) @ bought_vectors.T, axis=1)
    anchors = recent[closest]
    return [
        _anchored(int(found[n]), int(rows[n]), float(scores[n]), "explore", int(anchors[n]), b, catalog, lang)
        for n in range(len(found))
    ]


def search_excluding(
    index: ItemIndex, catalog: Catalog, query: np.ndarray, k: int, exclude: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k nearest catalog items not in `exclude`: ids, catalog rows and scores, best first.

    The index skips the excluded items itself; items it holds that the catalog lacks are dropped here, so
    the search widens until k survive or the catalog is done.
    """
    fetch = k
    while True:
        ids, scores = index.search(query.reshape(1, -1), min(fetch, len(catalog)), exclude=exclude)
        rows = catalog.rows(ids[0])
        keep = (ids[0] >= 0) & (rows >= 0)
        if keep.sum() >= k or fetch >= len(catalog):
            return ids[0][keep][:k], rows[keep][:k], scores[0][keep][:k]
        fetch *= 4


def _anchored(
    item_id: int, row: int, score: float, kind: str, anchor: int, b: _Bought, catalog: Catalog, lang: str
) -> Suggestion:
    days = b.since_of(anchor)
    name = catalog.name_at(row, lang)
    anchor_name = catalog.name_at(b.rows[np.searchsorted(b.ids, anchor)], lang)
    key = "together_with" if kind == "cross_sell" else "similar_to"
    facts: dict[str, Fact] = {
        "item_id": item_id,
        "item_name": name,
        "anchor_item_id": anchor,
        "anchor_name": anchor_name,
        "anchor_days_since": days,
        "price": float(catalog.prices[row]),
    }
    return Suggestion(item_id, round(score, 6), kind, say(key, lang, anchor=anchor_name, since=days), facts)


def explain(
    member: MemberFacts,
    item_ids: np.ndarray,
    scores: np.ndarray,
    *,
    catalog: Catalog,
    today: dt.date,
    cycles: RepurchaseCycles | None = None,
    copurchase: CoPurchase | None = None,
    index: ItemIndex | None = None,
    lang: str | None = None,
) -> list[Suggestion]:
    """A reason for each ranked catalog item, in the given order (items not in the catalog are left out).

    Bought before: where the member is in its cycle. Never bought: the bought item it is most often in
    a basket with, else the bought item it is most like (when the index can read the catalogue's
    text), else that members who buy what they buy choose it."""
    lang = resolve_lang(lang, member.locale)
    b = _Bought.of(member, catalog, today)
    t = _Timing.of(b, cycles)
    item_ids = np.asarray(item_ids, dtype=np.int64)
    rows = catalog.rows(item_ids)
    position = np.minimum(np.searchsorted(b.ids, item_ids), max(len(b.ids) - 1, 0))
    bought = (b.ids[position] == item_ids) if len(b.ids) else np.zeros(len(item_ids), dtype=bool)
    together: dict[int, int] = {}
    if copurchase is not None and len(b.ids) and (~bought).any():
        partners = copurchase.scores(b.ids, _weights(b.since))
        n = len(copurchase.item_ids)
        fresh = item_ids[~bought]
        cols = np.minimum(np.searchsorted(copurchase.item_ids, fresh), max(n - 1, 0))
        known = (copurchase.item_ids[cols] == fresh) & (partners.total[cols] > 0) if n else fresh < 0
        if known.any():
            anchors = partners.strongest(cols[known])
            together = {int(i): int(b.ids[a]) for i, a in zip(fresh[known], anchors, strict=True)}
    alike: dict[int, int] = {}
    rest = np.array([i for i, was in zip(item_ids, bought, strict=True) if not was and i not in together])
    reads_text = float(getattr(index, "text_weight", 1.0)) > 0  # not a catalogue the model cannot read
    if index is not None and reads_text and len(rest) and len(b.ids):
        recent, _, vectors = _recent_vectors(b, index)
        held = indexed(index, rest)
        if len(recent) and held.any():
            near = np.asarray(index.vectors(rest[held]), dtype=np.float32) @ vectors.T
            alike = {int(i): int(recent[j]) for i, j in zip(rest[held], np.argmax(near, axis=1), strict=True)}
    out = []
    for item, row, score, was, at in zip(item_ids, rows, scores, bought, position, strict=True):
        if row < 0:
            continue
        value = round(float(score), 6)
        if was:
            out.append(_rebuy(b, t, int(at), value, catalog, today, lang))
        elif int(item) in together:
            out.append(
                _anchored(int(item), int(row), value, "cross_sell", together[int(item)], b, catalog, lang)
            )
        elif int(item) in alike:
            out.append(_anchored(int(item), int(row), value, "explore", alike[int(item)], b, catalog, lang))
        else:
            facts: dict[str, Fact] = {
                "item_id": int(item),
                "item_name": catalog.name_at(int(row), lang),
                "price": float(catalog.prices[row]),
            }
            out.append(Suggestion(int(item), value, "cross_sell", say("similar_members", lang), facts))
    return out
