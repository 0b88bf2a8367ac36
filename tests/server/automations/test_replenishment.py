"""The replenishment estimate: own cycles, the product's prior, shrinkage, once-per-cycle keys, staleness."""

from __future__ import annotations

import pytest

from server.automations.replenishment import (
    History,
    ReplenishParams,
    cycle_days,
    history,
    product_cycles,
    reminder,
)

P = ReplenishParams(
    prior_strength=2.0, lead_days=0, grace_days=14, merge_days=2, min_repeat_buyers=3, min_own_gaps=0
)
START = 738_000  # any date ordinal


def days(*offsets: int) -> list[int]:
    return [START + o for o in offsets]


def test_a_regular_buyer_is_reminded_on_their_own_cycle_when_the_product_has_no_prior() -> None:
    seen = history(days(0, 30, 60, 90), P)
    assert seen.gaps == (30, 30, 30) and cycle_days(seen, None, P) == 30
    assert reminder(1, 2, seen, None, START + 119, P) is None
    due = reminder(1, 2, seen, None, START + 120, P)
    assert due is not None and due.due_on == START + 120 and due.key == f"replenish:1:2:{START + 90}"


def test_a_one_purchase_member_falls_back_to_the_product_cycle() -> None:
    seen = history(days(0), P)
    assert cycle_days(seen, None, P) is None
    assert reminder(1, 2, seen, None, START + 40, P) is None
    assert cycle_days(seen, 40.0, P) == 40
    assert reminder(1, 2, seen, 40.0, START + 40, P) is not None


def test_one_gap_is_pulled_toward_the_prior_and_many_gaps_stay_near_the_member() -> None:
    one = cycle_days(history(days(0, 10), P), 40.0, P)
    many = cycle_days(history(days(0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100), P), 40.0, P)
    assert one is not None and many is not None
    assert 10 < one < 40 and abs(one - (10 * 40 * 40) ** (1 / 3)) < 1e-9  # (1·log 10 + 2·log 40) / 3
    assert 10 < many < one
    assert cycle_days(history(days(0, 10), P), 40.0, ReplenishParams(prior_strength=0)) == pytest.approx(10)


def test_noisy_gaps_give_the_median_and_near_duplicates_merge() -> None:
    seen = history(days(0, 28, 29, 60, 200, 230), P)  # a top-up the next day, one long break
    assert seen.gaps == (28, 32, 140, 30) and seen.median_gap == 31
    assert seen.last_day == START + 230
    assert history([START + 5, START + 5, START], P) == History(START + 5, (5,))
    with pytest.raises(ValueError):
        history([], P)


def test_a_product_needs_enough_repeat_buyers_for_a_typical_cycle() -> None:
    repeat = [(7, history(days(0, g), P)) for g in (20, 30, 40)] + [(7, history(days(0), P))]
    assert product_cycles(repeat, P) == {7: 30.0}
    assert product_cycles(repeat[:2] + repeat[3:], P) == {}


def test_a_rebuy_before_the_due_day_starts_a_new_cycle_with_a_new_key() -> None:
    before = history(days(0, 30), P)
    after = history(days(0, 30, 55), P)
    assert reminder(1, 2, before, None, START + 60, P) is not None
    assert reminder(1, 2, after, None, START + 60, P) is None  # the old cycle's reminder never comes
    again = reminder(1, 2, after, None, START + 83, P)
    assert again is not None and again.key == f"replenish:1:2:{START + 55}"


def test_a_stale_cycle_is_not_reminded_after_the_grace() -> None:
    seen = history(days(0, 30), P)
    assert reminder(1, 2, seen, None, START + 60 + 14, P) is not None
    assert reminder(1, 2, seen, None, START + 60 + 15, P) is None


def test_the_lead_reminds_earlier_and_short_cycles_are_floored() -> None:
    early = ReplenishParams(lead_days=5, merge_days=0, min_cycle_days=7)
    seen = history(days(0, 30), early)
    found = reminder(1, 2, seen, None, START + 55, early)
    assert found is not None and found.due_on == START + 55
    assert cycle_days(history(days(0, 1, 2, 3), early), None, early) == 7


def test_a_long_lead_never_reminds_in_the_first_half_of_a_cycle() -> None:
    eager = ReplenishParams(lead_days=10, merge_days=0)
    found = reminder(1, 2, history(days(0, 14), eager), None, START + 21, eager)
    assert found is not None and found.due_on == START + 14 + 7  # not the day after the purchase
