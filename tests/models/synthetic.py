"""A small shop with known answers, for the recommender contract tests.

Items: 0 is rebought on every visit by the rebuyers (who take the best seller every other visit),
1 and 2 are a pair always bought together, 3 is in nearly every basket (the best seller), 4..11 are
fillers and 12 is never bought.
"""

from __future__ import annotations

import numpy as np

from models.dataset import Dataset

REBOUGHT, PAIR_LEFT, PAIR_RIGHT, BEST_SELLER, NEVER_BOUGHT = 0, 1, 2, 3, 12
N_ITEMS = 13
REBUYERS = range(0, 8)
PAIR_BUYERS = range(8, 16)
HALF_PAIR = 16  # bought the left item of the pair, never the right one
NEWCOMER = 17  # no baskets at all


def synthetic_sequences(seed: int = 7) -> list[list[list[int]]]:
    """Every user's baskets, oldest first."""
    rng = np.random.default_rng(seed)
    users: list[list[list[int]]] = []
    for _ in REBUYERS:
        users.append([[REBOUGHT, int(rng.integers(4, 12))] + [BEST_SELLER] * (day % 2) for day in range(6)])
    for _ in PAIR_BUYERS:
        users.append([[PAIR_LEFT, PAIR_RIGHT, BEST_SELLER, int(rng.integers(4, 12))] for _ in range(4)])
    users.append([[PAIR_LEFT, 4], [PAIR_LEFT, 5], [BEST_SELLER, 6]])
    users.append([])
    return users


def synthetic_dataset() -> Dataset:
    """The synthetic shop as a Dataset."""
    return Dataset.from_baskets(synthetic_sequences(), n_items=N_ITEMS)
