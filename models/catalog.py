"""A plain product catalog: ids, names in each language, categories, prices and arrival dates as arrays.

Built from `CatalogItem`s or parallel arrays (no database). Row order is the order given; `rows()` maps
item ids to rows in bulk, which is what filtering search results needs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.i18n import LANGS

NO_DATE = -1  # first_seen ordinal of an item whose arrival date is unknown
_WORD = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u4e00-\u9fff]+")


class CatalogError(ValueError):
    """The catalog input is inconsistent (duplicate ids, mismatched lengths, unknown item)."""


@dataclass(frozen=True)
class CatalogItem:
    """One product as the recommender sees it."""

    item_id: int
    sku: str
    names: Mapping[str, str]  # {"en": "White lantern", "zh": "白色灯笼"}
    category: str
    price: float
    first_seen: dt.date | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def name(self, lang: str = "en") -> str:
        """The name in `lang`, else English, else any name on file."""
        return self.names.get(lang) or self.names.get("en") or next(iter(self.names.values()), self.sku)


def name_terms(text: str) -> list[str]:
    """Lower-case words (a trailing plural "s" dropped) and Chinese character pairs of a name or query."""
    lowered = text.lower()
    terms = [
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
        for w in _WORD.findall(lowered)
    ]
    for run in _HAN.findall(lowered):
        terms.extend(run[i : i + 2] for i in range(len(run) - 1))
        if len(run) == 1:
            terms.append(run)
    return terms


class Catalog:
    """Items as parallel arrays, with look-ups by id and per-category facts."""

    def __init__(
        self,
        items: Sequence[CatalogItem],
        *,
        category_names: Mapping[str, Mapping[str, str]] | None = None,
        currency: str = "£",
    ) -> None:
        ids = np.array([it.item_id for it in items], dtype=np.int64)
        if len(np.unique(ids)) != len(ids):
            raise CatalogError("item ids must be unique")
        self.ids = ids
        self.skus = [it.sku for it in items]
        self.names: dict[str, list[str]] = {lang: [it.name(lang) for it in items] for lang in LANGS}
        self.categories: tuple[str, ...] = tuple(sorted({it.category for it in items}))
        code = {c: i for i, c in enumerate(self.categories)}
        self.category_codes = np.array([code[it.category] for it in items], dtype=np.int32)
        self.prices = np.array([float(it.price) for it in items], dtype=np.float64)
        if (self.prices < 0).any() or not np.isfinite(self.prices).all():
            raise CatalogError("prices must be finite and non-negative")
        self.first_seen = np.array(
            [it.first_seen.toordinal() if it.first_seen else NO_DATE for it in items], dtype=np.int64
        )
        self.attributes = [dict(it.attributes) for it in items]
        self.category_names = (
            {c: dict(category_names.get(c, {})) for c in self.categories} if category_names else {}
        )
        self.currency = currency
        self._order = np.argsort(ids, kind="stable")
        self._sorted_ids = ids[self._order]
        self._terms: dict[str, np.ndarray] | None = None
        self.memo: dict[object, Any] = {}  # derived data other modules cache per catalog

    @classmethod
    def from_arrays(
        cls,
        *,
        item_ids: Sequence[int] | np.ndarray,
        skus: Sequence[str],
        names_en: Sequence[str],
        categories: Sequence[str],
        prices: Sequence[float] | np.ndarray,
        names_zh: Sequence[str] | None = None,
        first_seen: Sequence[dt.date | None] | None = None,
        attributes: Sequence[Mapping[str, Any]] | None = None,
        category_names: Mapping[str, Mapping[str, str]] | None = None,
        currency: str = "£",
    ) -> Catalog:
        """A catalog from parallel columns (names_zh, first_seen and attributes optional)."""
        n = len(item_ids)
        columns: dict[str, Sized] = {
            "skus": skus,
            "names_en": names_en,
            "categories": categories,
            "prices": prices,
        }
        columns.update(
            {k: v for k, v in (("names_zh", names_zh), ("first_seen", first_seen)) if v is not None}
        )
        if attributes is not None:
            columns["attributes"] = attributes
        for name, column in columns.items():
            if len(column) != n:
                raise CatalogError(f"{name} has {len(column)} values for {n} item ids")
        items = []
        for i in range(n):
            names = {"en": str(names_en[i])}
            if names_zh is not None and names_zh[i]:
                names["zh"] = str(names_zh[i])
            items.append(
                CatalogItem(
                    item_id=int(item_ids[i]),
                    sku=str(skus[i]),
                    names=names,
                    category=str(categories[i]),
                    price=float(prices[i]),
                    first_seen=first_seen[i] if first_seen is not None else None,
                    attributes=dict(attributes[i]) if attributes is not None else {},
                )
            )
        return cls(items, category_names=category_names, currency=currency)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, item_id: object) -> bool:
        return isinstance(item_id, int | np.integer) and self.rows(np.array([item_id]))[0] >= 0

    def rows(self, item_ids: np.ndarray | Sequence[int]) -> np.ndarray:
        """Row of each item id, -1 for ids not in the catalog."""
        ids = np.asarray(item_ids, dtype=np.int64)
        if len(self._sorted_ids) == 0:
            return np.full(ids.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._sorted_ids, ids), len(self._sorted_ids) - 1)
        return np.where(self._sorted_ids[pos] == ids, self._order[pos], -1)

    def row(self, item_id: int) -> int:
        """Row of one item id; CatalogError when it is not in the catalog."""
        found = int(self.rows(np.array([item_id]))[0])
        if found < 0:
            raise CatalogError(f"item {item_id} is not in the catalog")
        return found

    def item(self, item_id: int) -> CatalogItem:
        """The full record of one item."""
        r = self.row(item_id)
        names = {lang: self.names[lang][r] for lang in LANGS}
        seen = int(self.first_seen[r])
        return CatalogItem(
            item_id=int(self.ids[r]),
            sku=self.skus[r],
            names=names,
            category=self.categories[self.category_codes[r]],
            price=float(self.prices[r]),
            first_seen=dt.date.fromordinal(seen) if seen != NO_DATE else None,
            attributes=self.attributes[r],
        )

    def name(self, item_id: int, lang: str = "en") -> str:
        """The item's name in `lang` (English when no translation is on file)."""
        return self.name_at(self.row(item_id), lang)

    def name_at(self, row: int, lang: str = "en") -> str:
        """The name of the item in `row`, in `lang`."""
        return self.names.get(lang, self.names["en"])[int(row)]

    def category(self, item_id: int) -> str:
        """The item's category."""
        return self.categories[self.category_codes[self.row(item_id)]]

    def price(self, item_id: int) -> float:
        """The item's current price."""
        return float(self.prices[self.row(item_id)])

    def category_label(self, category: str, lang: str = "en") -> str:
        """The category's display name in `lang` (the category key itself when none is on file)."""
        return self.category_names.get(category, {}).get(lang) or category

    def texts(self) -> list[str]:
        """One text per row to embed: English name, Chinese name (when different) and category."""
        out = []
        for r in range(len(self.ids)):
            en, zh = self.names["en"][r], self.names["zh"][r]
            label = self.categories[self.category_codes[r]]
            out.append(f"{en} ({zh}) - {label}" if zh != en else f"{en} - {label}")
        return out

    def category_median_prices(self) -> np.ndarray:
        """Median price of each category, aligned with `categories`."""
        if "median_prices" not in self.memo:
            med = np.zeros(len(self.categories))
            for c in range(len(self.categories)):
                med[c] = float(np.median(self.prices[self.category_codes == c]))
            self.memo["median_prices"] = med
        return np.asarray(self.memo["median_prices"])

    def arrivals_since(self, day: dt.date, categories: Sequence[str] | None = None) -> np.ndarray:
        """Rows of items first seen on or after `day` (optionally only in these categories), newest first."""
        mask = self.first_seen >= day.toordinal()
        if categories is not None:
            codes = [self.categories.index(c) for c in categories if c in self.categories]
            mask &= np.isin(self.category_codes, codes)
        rows = np.flatnonzero(mask)
        return rows[np.lexsort((self.ids[rows], -self.first_seen[rows]))]

    def match_name(self, text: str, prefer: Sequence[int] = ()) -> int | None:
        """The item whose name best matches `text` (English or Chinese), preferring ids in `prefer`."""
        terms = set(name_terms(text))
        if not terms:
            return None
        index = self._term_index()
        hits = [index[t] for t in terms if t in index]
        if not hits:
            return None
        rows, counts = np.unique(np.concatenate(hits), return_counts=True)
        preferred = np.isin(self.ids[rows], np.asarray(list(prefer), dtype=np.int64))
        # Most query terms matched, then the ones just shown, then the shortest (most specific) name.
        lengths = np.array([len(self.names["en"][r]) for r in rows])
        best = np.lexsort((self.ids[rows], lengths, ~preferred, -counts))[0]
        return int(self.ids[rows[best]])

    def _term_index(self) -> dict[str, np.ndarray]:
        if self._terms is None:
            postings: dict[str, list[int]] = {}
            for r in range(len(self.ids)):
                names = {self.names[lang][r] for lang in LANGS}
                for term in {t for name in names for t in name_terms(name)}:
                    postings.setdefault(term, []).append(r)
            self._terms = {t: np.array(rs, dtype=np.int64) for t, rs in postings.items()}
        return self._terms
