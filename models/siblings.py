"""Product siblings for the explore-only ranker: variants of one product ("PINK PAPER PARASOL",
"BLUE PAPER PARASOL") are items whose descriptions differ in one word.

It reads no word lists, so any language that separates words with spaces works; a catalogue without
text (or in a script without spaces) has no siblings and the signal is zero throughout. A member who
bought the pink parasol is told about the blue one: on the development data 7.9% of the never-bought
items members went on to buy were siblings of one they had bought (docs/model-quality.md, sixth pass).
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import scipy.sparse as sp

MAX_SIBLINGS = 30  # a description pattern shared by more items is a category, not one product's variants
MIN_SHARED_WORDS = 2  # "RED BAG" and "BLUE BAG" share one word: too little to be one product


def sibling_items(texts: list[str]) -> sp.csr_matrix:
    """(items, items) float32 0/1: items whose descriptions share every word but one, in the same
    number of words (at least MIN_SHARED_WORDS shared); empty rows for items without text."""
    n = len(texts)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        words = re.findall(r"\w+", str(text).casefold())
        if len(words) < MIN_SHARED_WORDS + 1:
            continue
        for p in range(len(words)):
            groups[" ".join(sorted(words[:p] + words[p + 1 :]))].append(i)
    rows: list[int] = []
    cols: list[int] = []
    for members in groups.values():
        unique = sorted(set(members))
        if 1 < len(unique) <= MAX_SIBLINGS:
            for a in unique:
                rows += [a] * (len(unique) - 1)
                cols += [b for b in unique if b != a]
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))
    m.data[:] = 1.0  # a pair found through two different words counts once
    return m


def sibling_weight(
    decayed: sp.csr_matrix, siblings: sp.csr_matrix, member: np.ndarray, item: np.ndarray
) -> np.ndarray:
    """float32 per (member, item) pair: the member's decayed weight summed over the item's siblings,
    over the member's largest decayed weight (so long and short histories compare)."""
    out = np.zeros(len(item), dtype=np.float32)
    if siblings.nnz == 0 or len(item) == 0:
        return out
    # sparse throughout: a member's siblings' weights over a large catalogue stay a few hundred entries
    near = sp.csr_matrix(decayed.astype(np.float32) @ siblings)
    near.sort_indices()
    out[:] = np.asarray(near[member, item], dtype=np.float32).ravel()
    top = np.zeros(decayed.shape[0])
    filled = np.diff(decayed.indptr) > 0
    if filled.any():
        top[filled] = np.maximum.reduceat(decayed.data, decayed.indptr[:-1][filled])
    return out / np.where(top > 0, top, 1.0).astype(np.float32)[member]
