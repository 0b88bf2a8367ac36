"""The next-basket protocol of Li et al., "A Next Basket Recommendation Reality Check" (TOIS 2023).

1. A basket is a member's distinct items on one date: invoices of the same day are merged.
2. Members with 3 to 50 baskets are kept. Their last basket is the target, the earlier ones history.
3. Items found in fewer than 3 history baskets (over all members) are dropped from histories and
   targets. History baskets left empty are dropped; then members whose target is empty or whose
   history is under 2 baskets are dropped. The item filter is applied once, not repeated until stable.
4. Test members are the listed ids, or else a seeded 20% of members; the others train.
5. Recommenders fit on the train members' full sequences plus the test members' histories; the test
   members' targets are held out for scoring. The target's date is known (a clerk serves the member
   on the day they are in the store): time-aware methods may use it, never its items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.data import Transactions, normalize_user_id
from models.dataset import Baskets, Dataset

MIN_BASKETS = 3
MAX_BASKETS = 50
MIN_ITEM_BASKETS = 3
MIN_HISTORY_BASKETS = 2
TEST_SHARE = 0.2


class ProtocolError(ValueError):
    """The data or the test member list leaves nothing to evaluate."""


@dataclass(frozen=True)
class ProtocolSummary:
    """How many members, items and baskets each protocol step kept or dropped."""

    members_in: int
    members_out_of_range: int  # fewer than MIN_BASKETS or more than MAX_BASKETS dated baskets
    rare_items: int  # items in fewer than MIN_ITEM_BASKETS history baskets
    members_emptied: int  # dropped after the item filter (empty target or short history)
    members: int
    items: int
    baskets: int  # kept baskets, targets included


@dataclass(frozen=True)
class Split:
    """A dataset to fit on, the members to score, and their held-out target baskets."""

    dataset: Dataset
    train_users: np.ndarray
    test_users: np.ndarray
    targets: list[np.ndarray]  # target items of each test user, aligned with test_users
    target_days: np.ndarray  # date ordinal of each test user's target basket: the visit day to predict
    summary: ProtocolSummary
    unknown_test_ids: tuple[str, ...] = ()  # listed test ids absent from the file
    excluded_test_ids: tuple[str, ...] = ()  # listed test ids the protocol filtered out

    def test_histories(self) -> list[np.ndarray]:
        """The distinct items each test user bought before the target basket."""
        m = self.dataset.user_items
        return [m.indices[m.indptr[u] : m.indptr[u + 1]] for u in self.test_users]


def _dated_baskets(tx: Transactions) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (user, day, item) lines grouped into baskets sorted by user then day."""
    order = np.lexsort((tx.item, tx.day, tx.user))
    u, d, i = tx.user[order], tx.day[order], tx.item[order]
    same_basket = (u[1:] == u[:-1]) & (d[1:] == d[:-1])
    distinct = np.concatenate([[True], ~(same_basket & (i[1:] == i[:-1]))])
    u, d, i = u[distinct], d[distinct], i[distinct]
    starts = np.flatnonzero(np.concatenate([[True], (u[1:] != u[:-1]) | (d[1:] != d[:-1])]))
    indptr = np.append(starts, len(i)).astype(np.int64)
    return indptr, u[starts], d[starts], i


def _select_test(
    n_users: int, user_codes: np.ndarray, tx: Transactions, test_ids: Sequence[str] | None, seed: int
) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    if n_users < 2:
        raise ProtocolError(f"only {n_users} member passes the protocol: nobody to train on or to test")
    if test_ids is None:
        n_test = int(round(TEST_SHARE * n_users))
        n_test = min(max(n_test, 1), n_users - 1)
        return np.sort(np.random.default_rng(seed).permutation(n_users)[:n_test]), (), ()
    wanted = list(dict.fromkeys(normalize_user_id(x) for x in test_ids))
    code_of = {str(name): code for code, name in enumerate(tx.user_ids)}
    new_of = {int(code): new for new, code in enumerate(user_codes)}
    unknown = tuple(x for x in wanted if x not in code_of)
    excluded = tuple(x for x in wanted if x in code_of and code_of[x] not in new_of)
    chosen = [new_of[code_of[x]] for x in wanted if x in code_of and code_of[x] in new_of]
    if not chosen:
        raise ProtocolError(
            f"none of the {len(wanted)} listed test members is usable "
            f"({len(unknown)} not in the file, {len(excluded)} filtered out by the protocol)"
        )
    if len(chosen) == n_users:
        raise ProtocolError("every member is listed as a test member: nobody is left to train on")
    return np.sort(np.asarray(chosen, dtype=np.int64)), unknown, excluded


def split_next_basket(tx: Transactions, test_user_ids: Sequence[str] | None = None, seed: int = 0) -> Split:
    """Apply the next-basket protocol to purchase lines and split members into train and test."""
    if len(tx.user) == 0:
        raise ProtocolError("the file holds no member purchase lines: nothing to evaluate")
    indptr, basket_user, basket_day, items = _dated_baskets(tx)
    n_all_users = len(tx.user_ids)
    n_baskets = len(basket_user)
    per_user = np.bincount(basket_user, minlength=n_all_users)
    in_range = (per_user >= MIN_BASKETS) & (per_user <= MAX_BASKETS)
    is_target = np.append(basket_user[1:] != basket_user[:-1], True)
    line_basket = np.repeat(np.arange(n_baskets), np.diff(indptr))
    kept_basket = in_range[basket_user]

    history_line = (kept_basket & ~is_target)[line_basket]
    item_baskets = np.bincount(items[history_line], minlength=len(tx.item_ids))
    frequent = item_baskets >= MIN_ITEM_BASKETS
    line_ok = kept_basket[line_basket] & frequent[items]
    basket_ok = np.bincount(line_basket[line_ok], minlength=n_baskets) > 0
    history_count = np.bincount(basket_user[basket_ok & ~is_target], minlength=n_all_users)
    target_ok = np.bincount(basket_user[basket_ok & is_target], minlength=n_all_users) > 0
    user_ok = in_range & target_ok & (history_count >= MIN_HISTORY_BASKETS)
    if not user_ok.any():
        raise ProtocolError(
            f"no member has {MIN_BASKETS}..{MAX_BASKETS} dated baskets with items bought "
            f"at least {MIN_ITEM_BASKETS} times: nothing to evaluate"
        )

    basket_final = basket_ok & user_ok[basket_user]
    line_final = line_ok & basket_final[line_basket]
    user_codes = np.flatnonzero(user_ok)
    item_codes = np.unique(items[line_final])
    user_new = np.cumsum(user_ok) - 1
    item_new = np.full(len(tx.item_ids), -1, dtype=np.int64)
    item_new[item_codes] = np.arange(len(item_codes))
    f_user = user_new[basket_user[basket_final]]
    sizes = np.bincount(line_basket[line_final], minlength=n_baskets)
    full = Baskets(
        user_indptr=np.concatenate([[0], np.cumsum(np.bincount(f_user, minlength=len(user_codes)))]),
        basket_indptr=np.concatenate([[0], np.cumsum(sizes[basket_final])]),
        items=item_new[items[line_final]].astype(np.int32),
        days=basket_day[basket_final].astype(np.int32),
    )
    n_users = len(user_codes)
    test_users, unknown, excluded = _select_test(n_users, user_codes, tx, test_user_ids, seed)
    is_test = np.zeros(n_users, dtype=bool)
    is_test[test_users] = True
    target_final = np.append(f_user[1:] != f_user[:-1], True)
    last = full.user_indptr[test_users + 1] - 1
    targets = [full.items[full.basket_indptr[b] : full.basket_indptr[b + 1]] for b in last]
    dataset = Dataset(
        baskets=full.select(~(target_final & is_test[f_user])),
        user_ids=tx.user_ids[user_codes],
        item_ids=tx.item_ids[item_codes],
        item_texts=tx.item_texts[item_codes],
    )
    summary = ProtocolSummary(
        members_in=int((per_user > 0).sum()),
        members_out_of_range=int(((per_user > 0) & ~in_range).sum()),
        rare_items=int((~frequent).sum()),
        members_emptied=int((in_range & ~user_ok).sum()),
        members=n_users,
        items=len(item_codes),
        baskets=full.n_baskets,
    )
    return Split(
        dataset=dataset,
        train_users=np.flatnonzero(~is_test),
        test_users=test_users,
        targets=targets,
        target_days=full.days[last].astype(np.int64),
        summary=summary,
        unknown_test_ids=unknown,
        excluded_test_ids=excluded,
    )
