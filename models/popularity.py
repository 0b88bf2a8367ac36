"""Cold start: a store's best-sellers and trending products, for a member with little or no history.

Built once per recommender build or refresh from per-(store, item) sale counts in three 30-day buckets
before `as_of` (the latest sale day): best-sellers by sales (receipts holding the item) over the last
30 days, or the last 90 when the store sold too little in 30, or chain-wide when it sold too little in 90
too; trending = sales in the last 30 days well up on the 30 before, with a floor so that two sales
after none do not trend (and nothing trends in a scope with no month before to compare with). Serving
only filters precomputed orders by category: no scan of the sales.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from models.candidates import Fact, Suggestion
from models.catalog import Catalog
from models.i18n import resolve_lang, say
from models.member import MemberFacts, top_categories

BUCKET_DAYS = 30  # one bucket; "this month"
WINDOWS = (1, 3)  # best-seller windows tried, in buckets: this month, then the last three months
MIN_SCOPE_SALES = 20  # item sales a store needs in a window before its own best-sellers count
MIN_ITEM_SALES = 2  # one sale makes nothing a best-seller
TREND_MIN_SALES = 5  # sales in the last 30 days before an item can trend (noise does not)
TREND_MIN_RISE = 1.5  # and at least this many times (the 30 days before + 1)
TREND_EVERY = 3  # every third suggestion of a list is a trending one, when there is one
CHAIN = -1  # the scope key of the whole chain


@dataclass(frozen=True)
class Ranking:
    """One scope's (a store's or the chain's) sellable best-sellers and trending items, catalog-aligned."""

    store_id: int | None  # None: the whole chain
    window_days: int
    ids: np.ndarray  # item ids, best-selling first
    rows: np.ndarray  # their catalog rows
    codes: np.ndarray  # their category codes
    sales: np.ndarray  # receipts holding the item in the window
    units: np.ndarray  # units sold in the window
    recent: np.ndarray  # receipts in the last 30 days
    before: np.ndarray  # receipts in the 30 days before those
    trend_order: np.ndarray  # positions (into ids) of trending items, most risen first

    def best(self, code: int | None = None) -> np.ndarray:
        """Positions of best-sellers (at least MIN_ITEM_SALES), optionally only in one category."""
        keep = self.sales >= MIN_ITEM_SALES
        if code is not None:
            keep &= self.codes == code
        return np.flatnonzero(keep)

    def trending(self, code: int | None = None) -> np.ndarray:
        """Positions of trending items, most risen first, optionally only in one category."""
        order = self.trend_order
        return order if code is None else order[self.codes[order] == code]


def _rank(
    store_id: int | None,
    items: np.ndarray,
    counts: np.ndarray,
    units: np.ndarray,
    buckets: int,
    catalog: Catalog,
) -> Ranking:
    """The ranking over the first `buckets` buckets of (item, bucket) sale and unit counts."""
    sales = counts[:, :buckets].sum(axis=1)
    sold = units[:, :buckets].sum(axis=1)
    order = np.lexsort((items, -sold, -sales))
    order = order[sales[order] > 0]
    items, sales, sold = items[order], sales[order], sold[order]
    recent, before = counts[order, 0], counts[order, 1]
    rows = catalog.rows(items)
    rise = recent / (before + 1.0)
    # Without a month before to compare with (a new store, data that starts this month) nothing rises.
    baseline = counts[:, 1].sum() >= MIN_SCOPE_SALES
    trend = np.flatnonzero((recent >= TREND_MIN_SALES) & (rise >= TREND_MIN_RISE) & baseline)
    trend = trend[np.lexsort((items[trend], -recent[trend], -rise[trend]))]
    return Ranking(
        store_id,
        buckets * BUCKET_DAYS,
        items,
        rows,
        catalog.category_codes[rows] if len(rows) else np.zeros(0, dtype=np.int32),
        sales,
        sold,
        recent,
        before,
        trend,
    )


@dataclass(frozen=True)
class Popularity:
    """Each store's ranking (its own, or the chain's when it sold too little) and the chain's."""

    as_of: dt.date | None
    rankings: Mapping[int, Ranking]  # by store id; CHAIN for the whole chain

    @classmethod
    def from_counts(
        cls,
        catalog: Catalog,
        *,
        stores: np.ndarray,
        items: np.ndarray,
        buckets: np.ndarray,
        sales: np.ndarray,
        units: np.ndarray,
        as_of: dt.date | None,
        sellable: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> Popularity:
        """From (store, item, bucket) sale and unit counts; bucket 0 is the last 30 days, 1 and 2 before.

        Items not in the catalog (inactive, not merchandise) are left out, and so are those `sellable`
        (item ids -> bool mask) says are out of stock.
        """
        stores, items = np.asarray(stores, dtype=np.int64), np.asarray(items, dtype=np.int64)
        buckets = np.asarray(buckets, dtype=np.int64)
        sales, units = np.asarray(sales, dtype=np.int64), np.asarray(units, dtype=np.int64)
        keep = (catalog.rows(items) >= 0) & (buckets >= 0) & (buckets < 3)
        if sellable is not None and keep.any():
            keep[keep] &= np.asarray(sellable(items[keep]), dtype=bool)
        stores, items, buckets, sales, units = (
            stores[keep],
            items[keep],
            buckets[keep],
            sales[keep],
            units[keep],
        )
        rankings: dict[int, Ranking] = {}
        for scope in [CHAIN, *np.unique(stores).tolist()]:
            mine = np.ones(len(stores), dtype=bool) if scope == CHAIN else stores == scope
            ids, inverse = np.unique(items[mine], return_inverse=True)
            counts = np.zeros((len(ids), 3), dtype=np.int64)
            sold = np.zeros((len(ids), 3), dtype=np.int64)
            np.add.at(counts, (inverse, buckets[mine]), sales[mine])
            np.add.at(sold, (inverse, buckets[mine]), units[mine])
            chosen = None
            for window in WINDOWS:
                if counts[:, :window].sum() >= MIN_SCOPE_SALES:
                    chosen = window
                    break
            if len(ids) == 0 or (chosen is None and scope != CHAIN):
                continue  # too few sales here: this store is served the chain's ranking
            store_id = None if scope == CHAIN else int(scope)
            rankings[int(scope)] = _rank(store_id, ids, counts, sold, chosen or WINDOWS[-1], catalog)
        return cls(as_of, rankings)

    @classmethod
    def from_lines(
        cls,
        catalog: Catalog,
        *,
        stores: np.ndarray,
        items: np.ndarray,
        baskets: np.ndarray,
        days: np.ndarray,
        quantities: np.ndarray,
        as_of: dt.date | None = None,
        sellable: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> Popularity:
        """From sale lines (store, item, receipt, day ordinal, quantity); `as_of` defaults to the last day."""
        days = np.asarray(days, dtype=np.int64)
        if as_of is None and len(days):
            as_of = dt.date.fromordinal(int(days.max()))
        if as_of is None:
            return cls(None, {})
        bucket = (as_of.toordinal() - days) // BUCKET_DAYS
        keep = (bucket >= 0) & (bucket < 3)
        key = np.stack(
            [np.asarray(stores)[keep], np.asarray(items)[keep], bucket[keep], np.asarray(baskets)[keep]],
            axis=1,
        ).astype(np.int64)
        qty = np.asarray(quantities, dtype=np.int64)[keep]
        lines, inverse = np.unique(key, axis=0, return_inverse=True)
        line_units = np.bincount(inverse.ravel(), weights=qty, minlength=len(lines)).astype(np.int64)
        groups, group_of = np.unique(lines[:, :3], axis=0, return_inverse=True)
        group_of = group_of.ravel()
        sales = np.bincount(group_of, minlength=len(groups)).astype(np.int64)
        units = np.bincount(group_of, weights=line_units, minlength=len(groups)).astype(np.int64)
        return cls.from_counts(
            catalog,
            stores=groups[:, 0],
            items=groups[:, 1],
            buckets=groups[:, 2],
            sales=sales,
            units=units,
            as_of=as_of,
            sellable=sellable,
        )

    def ranking(self, store_id: int | None) -> Ranking | None:
        """The ranking a store's clerk is served: the store's own, else the chain's (None: no sales)."""
        found = self.rankings.get(store_id) if store_id is not None else None
        return found if found is not None else self.rankings.get(CHAIN)

    def chain(self) -> Ranking | None:
        """The chain-wide ranking (None when nothing sold in the last 90 days)."""
        return self.rankings.get(CHAIN)


@dataclass(frozen=True)
class Pick:
    """One popular item: where in which ranking, as a best-seller or trending, for which interest."""

    ranking: Ranking
    position: int
    kind: str  # "popular" or "trending"
    category: str | None  # the interest it was picked for


def _mixed(ranking: Ranking, code: int | None) -> Iterator[tuple[int, str]]:
    """Best-sellers with every TREND_EVERY-th a trending item (when there is one): (position, kind)."""
    best, trend = ranking.best(code).tolist(), ranking.trending(code).tolist()
    used: set[int] = set()
    b = t = 0
    slot = 0
    while b < len(best) or t < len(trend):
        take_trend = (slot % TREND_EVERY == TREND_EVERY - 1 and t < len(trend)) or b >= len(best)
        if take_trend:
            pos, t = trend[t], t + 1
            kind = "trending"
        else:
            pos, b = best[b], b + 1
            kind = "popular"
        if pos in used:
            continue
        used.add(pos)
        slot += 1
        yield pos, kind


def _round_robin(lists: Sequence[Iterator[Pick]]) -> Iterator[Pick]:
    live = list(lists)
    while live:
        for it in list(live):
            nxt = next(it, None)
            if nxt is None:
                live.remove(it)
            else:
                yield nxt


def _picks(ranking: Ranking, code: int | None, category: str | None) -> Iterator[Pick]:
    return (Pick(ranking, pos, kind, category) for pos, kind in _mixed(ranking, code))


def popular_picks(
    popularity: Popularity,
    catalog: Catalog,
    store_id: int | None,
    interests: Sequence[str],
    k: int,
    exclude: Iterable[int] = (),
) -> list[Pick]:
    """Up to k items: best-sellers and trending in the interests (this store's, then the chain's, one
    interest after another), then the store's overall, then the chain's; none in `exclude`."""
    here, chain = popularity.ranking(store_id), popularity.chain()
    scopes = [r for r in (here, chain) if r is not None]
    if len(scopes) == 2 and scopes[0] is scopes[1]:
        scopes = scopes[:1]
    codes = [(catalog.categories.index(c), c) for c in dict.fromkeys(interests) if c in catalog.categories]
    sources: list[Iterator[Pick]] = []
    for ranking in scopes:
        if codes:
            sources.append(_round_robin([_picks(ranking, code, c) for code, c in codes]))
    sources += [_picks(ranking, None, None) for ranking in scopes]
    seen = {int(i) for i in exclude}
    out: list[Pick] = []
    for source in sources:
        for pick in source:
            item = int(pick.ranking.ids[pick.position])
            if item in seen:
                continue
            seen.add(item)
            out.append(pick)
            if len(out) >= k:
                return out
    return out


INTEREST_PREFIXES = ("interest:", "interest：", "兴趣:", "兴趣：")


def interest_names(
    categories: Iterable[str], category_names: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """Every way to name a category (its key, its label in each language), casefolded -> its key."""
    names: dict[str, str] = {}
    for c in categories:
        names.setdefault(c.casefold(), c)
        for label in category_names.get(c, {}).values():
            names.setdefault(label.strip().casefold(), c)
    return names


def interest_category(text: str, names: Mapping[str, str]) -> str | None:
    """The category key `text` names (any case, an optional "interest:" prefix), or None."""
    text = text.strip()
    for prefix in INTEREST_PREFIXES:
        if text.casefold().startswith(prefix):
            text = text[len(prefix) :].strip()
    return names.get(text.casefold())


def interests_from_tags(tags: Iterable[str], catalog: Catalog) -> list[str]:
    """The catalog categories a member's tags name (by key or by label in any language, any case, an
    optional "interest:" prefix), in the tags' order."""
    names = interest_names(catalog.categories, catalog.category_names)
    found: list[str] = []
    for tag in tags:
        category = interest_category(tag, names)
        if category is not None and category not in found:
            found.append(category)
    return found


FILL_CEILING = 0.3  # a popular fill scores below this, and below every one of the member's own suggestions
PERIODS = {
    30: {"en": "this month", "zh": "这个月"},
    90: {"en": "over the last three months", "zh": "近三个月"},
}


def _reason(pick: Pick, catalog: Catalog, lang: str, facts: dict[str, Fact]) -> str:
    r = pick.ranking
    scope = "store" if r.store_id is not None else "chain"
    category = catalog.category_label(pick.category, lang) if pick.category is not None else None
    suffix = "_in" if category is not None else ""
    extra = {"category": category} if category is not None else {}
    if pick.kind == "trending":
        recent, before = int(r.recent[pick.position]), int(r.before[pick.position])
        return say(f"trending_{scope}{suffix}", lang, recent=recent, before=before, **extra)
    period = PERIODS.get(r.window_days, {}).get(lang) or say("popular_days", lang, days=r.window_days)
    return say(f"popular_{scope}{suffix}", lang, period=period, **extra)


def popular_suggestions(
    member: MemberFacts,
    catalog: Catalog,
    popularity: Popularity,
    *,
    store_id: int | None,
    interests: Sequence[str] = (),
    k: int = 10,
    lang: str | None = None,
    exclude: Iterable[int] = (),
    ceiling: float = FILL_CEILING,
) -> list[Suggestion]:
    """Up to k best-sellers and trending items for the member (`popular_picks`), never one they bought or
    one in `exclude`, each with a reason the clerk can say; scores fall from just under `ceiling`."""
    lang = resolve_lang(lang, member.locale)
    bought = member.history.items.tolist()
    picks = popular_picks(popularity, catalog, store_id, interests, k, [*exclude, *bought])
    out = []
    for n, pick in enumerate(picks):
        r, pos = pick.ranking, pick.position
        row = int(r.rows[pos])
        facts: dict[str, Fact] = {
            "item_id": int(r.ids[pos]),
            "item_name": catalog.name_at(row, lang),
            "price": float(catalog.prices[row]),
            "scope": "store" if r.store_id is not None else "chain",
            "window_days": r.window_days,
            "sales": int(r.sales[pos]),
            "units": int(r.units[pos]),
            "sales_last_30_days": int(r.recent[pos]),
            "sales_30_days_before": int(r.before[pos]),
        }
        if r.store_id is not None:
            facts["store_id"] = r.store_id
        if popularity.as_of is not None:
            facts["as_of"] = popularity.as_of.isoformat()
        if pick.category is not None:
            facts["interest"] = pick.category
        score = round(ceiling * (len(picks) - n) / (len(picks) + 1), 6)
        out.append(Suggestion(int(r.ids[pos]), score, pick.kind, _reason(pick, catalog, lang, facts), facts))
    return out


def fill_popular(
    found: Sequence[Suggestion],
    member: MemberFacts,
    catalog: Catalog,
    popularity: Popularity | None,
    *,
    store_id: int | None,
    interests: Sequence[str] = (),
    k: int = 10,
    lang: str | None = None,
) -> list[Suggestion]:
    """The member's own suggestions, then (when fewer than k) popular ones after them: stated interests
    first, then the categories they buy most, then the store's overall best-sellers."""
    own = list(found)[:k]
    if len(own) >= k or popularity is None:
        return own
    wanted = list(interests)
    if len(member.history.items) > 0:
        wanted += [c for c, _ in top_categories(member, catalog)]
    floor = min((s.score for s in own), default=FILL_CEILING)
    more = popular_suggestions(
        member,
        catalog,
        popularity,
        store_id=store_id,
        interests=wanted,
        k=k - len(own),
        lang=lang,
        exclude=[s.item_id for s in own],
        ceiling=min(FILL_CEILING, floor),
    )
    return own + more
