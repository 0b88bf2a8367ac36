"""The chain's own words for what it sells, so a request is matched against the catalogue itself.

Built from the catalogue's category keys and labels and its product names in every language on file
(plus any translations the caller holds, e.g. the database's). A word names:
- categories, when it is in a category's key or label ("tea", "陶瓷" in "陶瓷餐具");
- else the categories of the products it names: English words only as the head of a name ("tea" names
  "Green Tea" but not "Tea Towel"), Chinese words as the end of a name or, for longer words, anywhere in
  it, as long as most of those products share a category (a scent sold as candles and lotions names none);
- else, through the glossary, what its translations name.
A glossary word that names nothing is a kind of product the chain does not carry. A colour is matched
in names and the "colour" attribute (`colour_mask`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from models.catalog import Catalog
from models.glossary import is_kind, translations
from models.lexicon import COLOURS, NOT_COLOUR_AFTER
from models.segment import STOP_WORDS, add_words, phrase_key

DOMINANT_SHARE = 0.6  # a word names the categories of its products when one category holds this share
_SIZE_NOTE = re.compile(r"[（(].*?[）)]|,.*$|\bof \d+.*$|\d+\s*(?:g|ml|克|毫升)\b|\s+gift (?:set|box)$")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Match:
    """What a word names in the catalogue: categories, and the rows of the products it names (if any)."""

    categories: tuple[str, ...]
    rows: tuple[int, ...] = ()  # empty when the word names whole categories


def _name_key(name: str) -> str:
    """A name's words as `phrase_key` gives them, its size or variant note dropped ("Earl Grey, 50 g")."""
    return phrase_key(_SIZE_NOTE.sub("", name.lower()))


# How many looked-up words a vocabulary remembers before it starts again.
MEMO_WORDS = 50_000


class CatalogVocabulary:
    """Words of one catalogue: which categories or products each names."""

    def __init__(
        self,
        catalog: Catalog,
        names: Mapping[int, Sequence[str]] | None = None,
        category_labels: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.categories = catalog.categories
        self._category_terms: dict[str, set[str]] = {}
        self._zh_labels: list[tuple[str, str]] = []
        for category in catalog.categories:
            labels = [category.replace("_", " ").replace("-", " ")]
            labels += [v for v in catalog.category_names.get(category, {}).values() if v]
            labels += list((category_labels or {}).get(category, ()))
            for label in labels:
                self._add_label(category, label)
        code_of = catalog.category_codes
        self._row_category = [catalog.categories[int(code_of[r])] for r in range(len(catalog))]
        self._en_heads: dict[str, set[int]] = {}
        self._en_keys: list[tuple[str, int]] = []  # " words of a name ", searched for a word anywhere
        # Word -> positions in _en_keys, and character -> positions in _zh_names: a request's word is
        # checked against the names that can hold it, not against every name of a 100,000-item catalogue.
        self._en_word_keys: dict[str, list[int]] = {}
        self._zh_names: list[tuple[str, int]] = []
        self._zh_char_names: dict[str, list[int]] = {}
        self._direct_memo: dict[str, Match | None] = {}
        keys: dict[str, str] = {}  # names repeat across rows and languages: each read once
        for r in range(len(catalog)):
            item_names = {catalog.names[lang][r] for lang in catalog.names}
            item_names |= set((names or {}).get(int(catalog.ids[r]), ()))
            for name in item_names:
                if name not in keys:
                    keys[name] = _name_key(name)
                self._add_name(name, keys[name], r)
        self._memo: dict[str, Match | None] = {}
        add_words([label for label, _ in self._zh_labels])
        add_words({n for n, _ in self._zh_names if len(n) <= 8}, whole=True)

    @classmethod
    def for_catalog(cls, catalog: Catalog) -> CatalogVocabulary:
        """The vocabulary of the catalog's own names and labels, built once and kept on the catalog."""
        cached = catalog.memo.get("vocabulary")
        if cached is None:
            cached = catalog.memo["vocabulary"] = cls(catalog)
        return cached  # type: ignore[no-any-return]

    def _add_label(self, category: str, label: str) -> None:
        if _HAN.search(label):
            for run in re.findall(r"[\u4e00-\u9fff]+", label):
                self._zh_labels.append((run, category))
        key = phrase_key(label)
        words = key.split()
        for n in (1, 2, 3):
            for i in range(len(words) - n + 1):
                self._category_terms.setdefault(" ".join(words[i : i + n]), set()).add(category)

    def _add_name(self, name: str, key: str, row: int) -> None:
        if _HAN.search(name):
            base = _SIZE_NOTE.sub("", name).strip()
            for run in re.findall(r"[\u4e00-\u9fff]+", base):
                for char in set(run):
                    self._zh_char_names.setdefault(char, []).append(len(self._zh_names))
                self._zh_names.append((run, row))
        words = key.split()
        for n in (1, 2, 3):
            if len(words) >= n:
                self._en_heads.setdefault(" ".join(words[-n:]), set()).add(row)
        if words:
            for word in set(words):
                self._en_word_keys.setdefault(word, []).append(len(self._en_keys))
            self._en_keys.append((f" {key} ", row))

    def knows(self, word: str) -> bool:
        """True when the word names something in this catalogue (directly, not through translations)."""
        return self._direct(word) is not None

    def match(self, word: str) -> Match | None:
        """What the word names in this catalogue, else what its translations name; None for nothing."""
        if word not in self._memo:
            found = self._direct(word)
            if found is None:
                others = [o if _HAN.search(o) else phrase_key(o) for o in translations(word)]
                matches = [m for o in others if (m := self._direct(o)) is not None]
                # A translation naming a whole category ("灯具": "lights") outranks one naming a few items.
                found = next((m for m in matches if not m.rows), matches[0] if matches else None)
                heads = (o.split()[-1] for o in others if " " in o)  # else "black tea" is at least a tea
                found = found or next((m for o in heads if (m := self._direct(o)) is not None), None)
            if len(self._memo) >= MEMO_WORDS:
                self._memo.clear()
            self._memo[word] = found
        return self._memo[word]

    def _direct(self, word: str) -> Match | None:
        if word not in self._direct_memo:
            if len(self._direct_memo) >= MEMO_WORDS:  # words typed by clerks: bounded, not a leak
                self._direct_memo.clear()
            self._direct_memo[word] = self._look_up(word)
        return self._direct_memo[word]

    def _names_holding(self, word: str) -> list[tuple[str, int]]:
        """The Chinese names that hold every character of the word (a superset of those holding it)."""
        lists = [self._zh_char_names.get(char, []) for char in set(word)]
        if not lists:
            return []
        rarest = min(lists, key=len)
        return [self._zh_names[i] for i in rarest]

    def _en_keys_holding(self, word: str) -> list[tuple[str, int]]:
        """The English name keys that hold every word of the phrase (a superset of those holding it)."""
        lists = [self._en_word_keys.get(w, []) for w in set(word.split())]
        if not lists:
            return []
        rarest = min(lists, key=len)
        return [self._en_keys[i] for i in rarest]

    def _look_up(self, word: str) -> Match | None:
        if not word or word in STOP_WORDS or (word.isascii() and len(word) < 3):
            return None
        if _HAN.search(word):
            labels = [c for label, c in self._zh_labels if word in label]
            if labels:
                return Match(tuple(dict.fromkeys(labels)))
            holding = self._names_holding(word)
            ends = [r for name, r in holding if name.endswith(word)]
            anywhere = [r for name, r in holding if word in name] if len(word) >= 2 else []
            return self._dominant(ends) or self._dominant(anywhere)
        if word in self._category_terms:
            return Match(tuple(c for c in self.categories if c in self._category_terms[word]))
        heads = self._en_heads.get(word, set())
        found = self._dominant(sorted(heads))
        if found is None and (" " in word or not is_kind(word)):
            padded = f" {word} "  # "christmas", "silk": a theme or material anywhere in a name
            found = self._dominant(r for key, r in self._en_keys_holding(word) if padded in key)
        return found

    def _dominant(self, rows: Iterable[int]) -> Match | None:
        unique = sorted(set(rows))
        if not unique:
            return None
        counts = Counter(self._row_category[r] for r in unique)
        top = counts.most_common(1)[0][1]
        if top < DOMINANT_SHARE * len(unique):
            return None  # a scent or a colour shared by several categories, not a kind of product
        chosen = tuple(c for c in self.categories if counts.get(c, 0) >= DOMINANT_SHARE * top)
        return Match(chosen, tuple(r for r in unique if self._row_category[r] in chosen))


def colour_mask(catalog: Catalog, colour: str) -> np.ndarray:
    """Which catalog rows are in a colour: by the "colour" attribute or a colour word in a name."""
    key = ("colour", colour)
    if key not in catalog.memo:
        en, zh = COLOURS.get(colour, ((colour,), ()))
        en_words = {phrase_key(w) for w in en}
        zh_words = sorted(zh, key=len, reverse=True)
        mask = np.zeros(len(catalog), dtype=bool)
        for r in range(len(catalog)):
            attribute = str(catalog.attributes[r].get("colour", "")).lower()
            names = {catalog.names[lang][r] for lang in catalog.names}
            mask[r] = attribute in en_words or any(_has_colour(n, en_words, zh_words) for n in names)
        catalog.memo[key] = mask
    return np.asarray(catalog.memo[key])


def _has_colour(name: str, en_words: set[str], zh_words: list[str]) -> bool:
    key = f" {phrase_key(name)} "
    if any(f" {w} " in key for w in en_words):
        return True
    for word in zh_words:
        start = name.find(word)
        while start >= 0:
            if not name.startswith(NOT_COLOUR_AFTER, start + len(word)):
                return True
            start = name.find(word, start + 1)
    return False
