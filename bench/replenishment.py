"""Do replenishment reminders come when members rebuy? A time split on the Online Retail development data.

Run: python bench/replenishment.py [PATH] [--test-days 91] [--valid-days 91] [--sweep-members 0].
Reads purchase lines with `models.data.load_transactions` (cancellations and non-merchandise left out).
The last `--test-days` days are the test window; the `--valid-days` before them are the validation
window. For each window the product cycles are fitted on the purchases before it, then the window is
walked day by day exactly as the daily sweep would run (`server.automations.replenishment.reminder`
before the day's purchases, which then start new cycles). A reminder is followed when the member buys
the product within ±7 days of it; a repurchase (a product the member had bought before) is reminded when
a reminder for the pair came within ±7 days. Only reminders and repurchases whose ±7 days lie inside the
window are counted. Parameters are chosen on the validation window (the best F1 of the two shares), then
measured once on the test window beside two baselines with the same lead and grace: each member's own
median gap with no shrinkage, and the product's typical cycle alone. `--sweep-members N` also times
`sweep_replenishment` on a synthetic SQLite chain of N members. Ends with one JSON line of figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.data import load_transactions  # noqa: E402
from server.automations.replenishment import (  # noqa: E402
    History,
    ReplenishParams,
    cycle_days,
    due_day,
    history,
    product_cycles,
    reminder,
)

DEFAULT_PATH = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
WINDOW = 7  # ± days that link a reminder and a purchase
# The cycle's knobs are searched together; the grace only matters for cycles overdue when the sweep
# starts, so it is searched on its own afterwards, at the best of the rest.
GRID = {
    "merge_days": (0, 3),
    "min_own_gaps": (0, 1),
    "prior_strength": (0.0, 0.5, 1.0, 2.0, 4.0),
    "lead_days": (0, 2, 4, 7),  # more than a week early is not "before they run out"
}
GRACE_DAYS = (3, 7, 14, 30)
SEARCH_GRACE = 14  # the grace while the rest is searched
MODES = ("shrunk", "member_only", "product_only")


@dataclass(frozen=True)
class Pair:
    """One member's purchase days of one product, and the product."""

    key: int
    product: int
    days: np.ndarray  # sorted distinct date ordinals


def read_pairs(path: Path) -> list[Pair]:
    """Distinct purchase days per (member, product) from the file."""
    tx = load_transactions(path)
    n_items = max(len(tx.item_ids), 1)
    keys = tx.user.astype(np.int64) * n_items + tx.item.astype(np.int64)
    packed = np.unique(np.stack([keys, tx.day.astype(np.int64)]), axis=1)
    starts = np.flatnonzero(np.concatenate([[True], packed[0, 1:] != packed[0, :-1]]))
    ends = np.append(starts[1:], packed.shape[1])
    return [
        Pair(int(packed[0, s]), int(packed[0, s]) % n_items, packed[1, s:e])
        for s, e in zip(starts, ends, strict=True)
    ]


@dataclass(frozen=True)
class Window:
    """A window's purchase histories, worked out once per merge setting and shared by the grid."""

    start: int
    end: int
    before: dict[int, History]  # pair index -> its history before the window
    buys: dict[int, list[tuple[int, History]]]  # day -> (pair index, its history through that day)
    fitted: list[tuple[int, History]]  # (product, history before the window): what priors are fitted on
    bought: set[tuple[int, int]]  # (pair index, day) of every purchase in the window
    rebought: list[tuple[int, int]]  # the ones of a product the member had bought before


def window(pairs: list[Pair], start: int, end: int, params: ReplenishParams) -> Window:
    """Histories before the window and after each of its purchase days, merged as `params` says."""
    before: dict[int, History] = {}
    buys: dict[int, list[tuple[int, History]]] = defaultdict(list)
    bought: set[tuple[int, int]] = set()
    rebought: list[tuple[int, int]] = []
    for i, pair in enumerate(pairs):
        old = pair.days[pair.days < start].tolist()
        if old:
            before[i] = history(old, params)
        inside = pair.days[(pair.days >= start) & (pair.days < end)].tolist()
        for n, day in enumerate(inside, start=1):
            buys[day].append((i, history(old + inside[:n], params)))
            bought.add((i, day))
            if old or n > 1:
                rebought.append((i, day))
    fitted = [(pairs[i].product, seen) for i, seen in before.items()]
    return Window(start, end, before, dict(buys), fitted, bought, rebought)


def _mode_params(params: ReplenishParams, mode: str) -> ReplenishParams:
    """The product-only baseline reminds one-time buyers too: it never looks at anyone's gaps."""
    return replace(params, min_own_gaps=0) if mode == "product_only" else params


def _as_mode(seen: History, mode: str) -> History:
    """The product-only baseline forgets the member's gaps."""
    return History(seen.last_day, ()) if mode == "product_only" else seen


def simulate(pairs: list[Pair], w: Window, params: ReplenishParams, mode: str) -> dict[str, float | int]:
    """Walk the window day by day as the sweep would and score its reminders against purchases."""
    params = _mode_params(params, mode)
    prior = {} if mode == "member_only" else product_cycles(w.fitted, params)
    state = {i: _as_mode(seen, mode) for i, seen in w.before.items()}
    check: dict[int, list[int]] = defaultdict(list)  # day -> pairs whose reminder may come that day
    check[w.start] = list(state)
    fired: dict[int, list[int]] = defaultdict(list)
    sent: set[str] = set()
    for day in range(w.start, w.end):
        for i in check.pop(day, []):
            product = pairs[i].product
            found = reminder(i, product, state[i], prior.get(product), day, params)
            if found is not None and found.key not in sent:
                sent.add(found.key)
                fired[i].append(day)
            elif found is None:
                _schedule(check, i, state[i], prior.get(product), day, params)
        for i, seen in w.buys.get(day, []):
            state[i] = _as_mode(seen, mode)
            _schedule(check, i, state[i], prior.get(pairs[i].product), day, params)
    return _score(pairs, fired, w)


def _schedule(
    check: dict[int, list[int]],
    i: int,
    seen: History,
    product_cycle: float | None,
    today: int,
    params: ReplenishParams,
) -> None:
    """Look at the pair again on its due day, if that is still to come (a stale cycle is never looked at)."""
    cycle = cycle_days(seen, product_cycle, params)
    if cycle is not None:
        due = due_day(seen.last_day, cycle, params)
        if due > today:
            check[due].append(i)


def _score(pairs: list[Pair], fired: dict[int, list[int]], w: Window) -> dict[str, float | int]:
    last_counted = w.end - 1 - WINDOW  # a reminder or purchase counts when its ±7 days are all observed
    near = range(-WINDOW, WINDOW + 1)
    came = {(i, day) for i, days in fired.items() for day in days}
    counted = [(i, day) for i, day in came if day <= last_counted]
    followed = sum(any((i, day + o) in w.bought for o in near) for i, day in counted)
    again = [(i, day) for i, day in w.rebought if w.start + WINDOW <= day <= last_counted]
    reminded = sum(any((i, day + o) in came for o in near) for i, day in again)
    share_f = followed / len(counted) if counted else 0.0
    share_r = reminded / len(again) if again else 0.0
    f1 = 2 * share_f * share_r / (share_f + share_r) if share_f + share_r else 0.0
    return {
        "reminders": len(counted),
        "followed_within_7d": round(share_f, 4),
        "repurchases": len(again),
        "reminded_share": round(share_r, 4),
        "f1": round(f1, 4),
    }


def choose(pairs: list[Pair], start: int, end: int, base: ReplenishParams) -> tuple[ReplenishParams, float]:
    """The grid point with the best F1 on the validation window [start, end)."""
    best, best_f1 = base, -1.0
    names = list(GRID)
    windows: dict[int, Window] = {}
    grid = [
        replace(base, grace_days=SEARCH_GRACE, **dict(zip(names, values, strict=True)))
        for values in itertools.product(*GRID.values())
    ]
    for params in grid:
        if params.merge_days not in windows:
            windows[params.merge_days] = window(pairs, start, end, params)
        figures = simulate(pairs, windows[params.merge_days], params, "shrunk")
        print(f"  validation {params.as_dict()}: {figures}", file=sys.stderr)
        if float(figures["f1"]) > best_f1:
            best, best_f1 = params, float(figures["f1"])
    for grace in GRACE_DAYS:
        params = replace(best, grace_days=grace)
        figures = simulate(pairs, windows[params.merge_days], params, "shrunk")
        print(f"  validation {params.as_dict()}: {figures}", file=sys.stderr)
        if float(figures["f1"]) > best_f1:
            best, best_f1 = params, float(figures["f1"])
    return best, best_f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--test-days", type=int, default=91)
    parser.add_argument("--valid-days", type=int, default=91)
    parser.add_argument("--sweep-members", type=int, default=0, help="also time the SQL sweep on N members")
    args = parser.parse_args()
    started = time.perf_counter()
    pairs = read_pairs(args.path)
    if not pairs:
        raise SystemExit(f"{args.path}: no member purchases")
    end = max(int(p.days[-1]) for p in pairs) + 1
    test_start = end - args.test_days
    valid_start = test_start - args.valid_days
    day = date.fromordinal
    print(
        f"{len(pairs)} member-product pairs; validation {day(valid_start)} to {day(test_start - 1)}, "
        f"test {day(test_start)} to {day(end - 1)}"
    )
    params, valid_f1 = choose(pairs, valid_start, test_start, ReplenishParams())
    print(f"chosen on validation (F1 {valid_f1}): {params.as_dict()}")
    test = window(pairs, test_start, end, params)
    results = {mode: simulate(pairs, test, params, mode) for mode in MODES}
    for mode, figures in results.items():
        print(f"test, {mode}: {figures}")
    shrunk, member, product = (results[m] for m in MODES)
    out: dict[str, Any] = {
        "reminders": shrunk["reminders"],
        "followed_within_7d": shrunk["followed_within_7d"],
        "repurchases": shrunk["repurchases"],
        "reminded_share": shrunk["reminded_share"],
        "baseline": "member's own median gap, no product prior",
        "baseline_reminders": member["reminders"],
        "baseline_followed_within_7d": member["followed_within_7d"],
        "baseline_reminded_share": member["reminded_share"],
        "product_only_reminders": product["reminders"],
        "product_only_followed_within_7d": product["followed_within_7d"],
        "product_only_reminded_share": product["reminded_share"],
        "validation_f1": valid_f1,
        "test_f1": shrunk["f1"],
        "test_window": [date.fromordinal(test_start).isoformat(), date.fromordinal(end - 1).isoformat()],
        "validation_window": [
            date.fromordinal(valid_start).isoformat(),
            date.fromordinal(test_start - 1).isoformat(),
        ],
        "params": params.as_dict(),
    }
    if args.sweep_members:
        from bench.replenishment_scale import time_sweep

        out["sweep"] = time_sweep(args.sweep_members, params)
    out["elapsed_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
