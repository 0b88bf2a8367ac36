"""The validation inside training (models.quality): several held-out visits per member."""

from __future__ import annotations

import numpy as np
import pytest

from models.dataset import Dataset
from models.protocol import Split
from models.quality import validation_folds, validation_split


def split_of(sequences: list[list[list[int]]]) -> Split:
    data = Dataset.from_baskets(sequences, n_items=10)
    every = np.arange(len(sequences))
    return Split(data, every, np.zeros(0, np.int64), [], np.zeros(0), None)  # type: ignore[arg-type]


def test_each_members_last_visits_become_points_fitted_without_them() -> None:
    # member m has m + 2 visits; visit v of member m buys item (m + v) % 10
    sequences = [[[(m + v) % 10] for v in range(m + 2)] for m in range(6)]
    split = split_of(sequences)
    folds = validation_folds(split, seed=0, share=1.0, visits=3)
    assert len(folds) == 3
    for k, (data, members, targets, days) in enumerate(folds, start=1):
        assert members.tolist() == [m for m in range(6) if m + 2 >= k + 2]  # two visits left to fit on
        for member, target, day in zip(members, targets, days, strict=True):
            visit = len(sequences[member]) - k
            assert target.tolist() == sequences[member][visit] and day == visit + 1
            # the fit sees neither the visit nor any later one of the member
            assert [b.tolist() for b in data.baskets.user_baskets(member)] == sequences[member][:visit]
        for m in set(range(6)) - set(members.tolist()):  # too short for point k: fitted on in full
            assert len(data.baskets.user_baskets(m)) == len(sequences[m])
    # one visit and the default share: the single split the tool always used
    default = validation_split(split, seed=0)
    first = validation_folds(split, seed=0)[0]
    assert default[1].tolist() == first[1].tolist() and len(default[1]) == round(0.25 * 5)
    with pytest.raises(ValueError):
        validation_folds(split, seed=0, visits=0)
