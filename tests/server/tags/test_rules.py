"""Tag rules: refused with the path and reason when wrong, and explained when they match."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from server.tags.evaluation import compile_rule, evaluate, facts_used
from server.tags.facts import FACTS
from server.tags.rules import RuleError, dump_rule, parse_rule

NOW = datetime(2024, 6, 30, 22, tzinfo=UTC)
HIGH_VALUE = {
    "all": [
        {"fact": "spend_90d", "op": "gt", "value": 5000},
        {"fact": "visits_90d", "op": "gt", "value": 3},
    ]
}


@pytest.mark.parametrize(
    ("rule", "path", "reason"),
    [
        ({"fact": "spend_91d", "op": "gt", "value": 1}, "fact", "unknown fact 'spend_91d'"),
        (
            {"all": [{"fact": "tier", "op": "gt", "value": "VIP"}]},
            "all[0].op",
            "'gt' does not apply to tier (string)",
        ),
        (
            {"any": [HIGH_VALUE, {"fact": "tier", "op": "eq", "value": 3}]},
            "any[1].value",
            "tier eq expects string",
        ),
        (
            {"not": {"fact": "spend_90d", "op": "gt", "value": "5000"}},
            "not.value",
            "spend_90d gt expects number",
        ),
        ({"fact": "visits_90d", "op": "between", "value": [9, 3]}, "value", "low 9 is above high 3"),
        ({"fact": "is_birthday_month", "op": "eq", "value": "yes"}, "value", "expects true or false"),
        ({"fact": "favourite_categories", "op": "contains_any", "value": []}, "value", "list of strings"),
        ({"fact": "last_purchase_date", "op": "before", "value": "last week"}, "value", "expects ISO date"),
        ({"fact": "joined_on", "op": "within_last_days", "value": -3}, "value", "whole number of days"),
        ({"all": []}, "all", "at least 1 item"),
        ({"all": [{"fact": "tier", "op": "eq"}]}, "all[0].value", "Field required"),
        (
            {"any": [{"fact": "tier", "op": "eq", "value": "VIP", "weight": 2}]},
            "any[0].weight",
            "Extra inputs",
        ),
        ({"some": []}, "", "expected {all: [...]}"),
        ("VIP", "", "expected {all: [...]}"),
    ],
)
def test_a_bad_rule_is_refused_with_where_and_why(rule: Any, path: str, reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(rule, FACTS)
    assert caught.value.path == path
    assert reason in caught.value.message


def test_a_rule_round_trips_through_its_stored_json() -> None:
    rule = {"not": {"any": [HIGH_VALUE, {"fact": "dormancy", "op": "in", "value": ["dormant", "at_risk"]}]}}
    assert dump_rule(parse_rule(rule, FACTS)) == rule


FACTS_ANN = {
    "spend_90d": Decimal("6200.00"),
    "visits_90d": 5,
    "days_since_last_purchase": 12,
    "tier": "VIP",
    "favourite_categories": ["jewellery", "home"],
    "is_birthday_month": False,
    "last_purchase_date": date(2024, 6, 18),
    "coupon_redemption_rate": 0.25,
    "price_index": None,
}


@pytest.mark.parametrize(
    ("rule", "matched", "why"),
    [
        (HIGH_VALUE, True, ["spend_90d is 6200 (> 5000)", "visits_90d is 5 (> 3)"]),
        (
            {
                "all": [
                    {"fact": "spend_90d", "op": "gt", "value": 5000},
                    {"fact": "visits_90d", "op": "gt", "value": 8},
                ]
            },
            False,
            ["visits_90d is 5, not > 8"],
        ),
        (
            {
                "any": [
                    {"fact": "tier", "op": "eq", "value": "VIP"},
                    {"fact": "coupon_redemption_rate", "op": "gt", "value": 0.8},
                ]
            },
            True,
            ["tier is VIP (= VIP)"],
        ),
        (
            {"fact": "days_since_last_purchase", "op": "gt", "value": 180},
            False,
            ["days_since_last_purchase is 12, not > 180"],
        ),
        (
            {"not": {"fact": "days_since_last_purchase", "op": "gt", "value": 180}},
            True,
            ["days_since_last_purchase is 12, not > 180"],
        ),
        (
            {"fact": "favourite_categories", "op": "contains", "value": "jewellery"},
            True,
            ["favourite_categories is [jewellery, home] (contains jewellery)"],
        ),
        (
            {"fact": "last_purchase_date", "op": "within_last_days", "value": 14},
            True,
            ["last_purchase_date is 2024-06-18 (within last days 14)"],
        ),
        (
            {"fact": "last_purchase_date", "op": "more_than_days_ago", "value": 14},
            False,
            ["last_purchase_date is 2024-06-18, not more than days ago 14"],
        ),
        (
            {"fact": "visits_90d", "op": "between", "value": [5, 9]},
            True,
            ["visits_90d is 5 (between [5, 9])"],
        ),
        ({"fact": "price_index", "op": "lt", "value": 0.85}, False, ["price_index is unknown, not < 0.85"]),
        (
            {"not": {"fact": "price_index", "op": "lt", "value": 0.85}},
            True,
            ["price_index is unknown, not < 0.85"],
        ),
    ],
)
def test_evaluation_says_which_leaves_decided(rule: Any, matched: bool, why: list[str]) -> None:
    parsed = parse_rule(rule, FACTS)
    verdict = evaluate(parsed, FACTS_ANN, NOW)
    assert verdict.matched is matched
    assert verdict.explain() == why
    assert compile_rule(parsed)(FACTS_ANN, NOW.date()) is matched


def test_float_facts_compare_by_their_decimal_text() -> None:
    rule = parse_rule({"fact": "coupon_redemption_rate", "op": "gt", "value": 0.8}, FACTS)
    for rate, matched in ((0.8, False), (0.801, True), (Decimal("0.8"), False), (1, True)):
        facts = {"coupon_redemption_rate": rate}
        assert evaluate(rule, facts, NOW).matched is matched
        assert compile_rule(rule)(facts, NOW.date()) is matched


def test_the_facts_a_rule_names() -> None:
    rule = parse_rule({"any": [HIGH_VALUE, {"not": {"fact": "tier", "op": "eq", "value": "VIP"}}]}, FACTS)
    assert facts_used(rule) == {"spend_90d", "visits_90d", "tier"}


def test_every_fact_names_its_operators() -> None:
    assert FACTS["spend_90d"].ops[:3] == ["eq", "ne", "gt"]
    assert "contains_any" in FACTS["favourite_categories"].ops
    assert all(spec.description for spec in FACTS.values())
