"""Evaluating validated tag rules: pure, from a member's facts and today's date.

`evaluate` says whether a rule matched and which leaves decided it (the explanation staff see).
`compile_rule` gives a plain predicate with the same semantics for full passes over many members,
where only the matches need explaining. A fact that is unknown (None) never satisfies a leaf.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from server.tags.rules import All, AnyOf, Leaf, Not, Rule, is_number

Test = Callable[[Any, date], bool]
Predicate = Callable[[Mapping[str, Any], date], bool]
_COMPARE = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge}
_COMPARE |= {"lt": operator.lt, "lte": operator.le}
_SYMBOLS = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _number(value: Any) -> Any:
    # Floats compare by their shortest text (0.8 is 0.8), ints and Decimals exactly.
    return Decimal(repr(value)) if isinstance(value, float) else value


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def leaf_test(op: str, value: Any) -> Test:
    """The check one leaf makes on a (known) fact value, with the rule's value prepared once."""
    if op in ("gt", "gte", "lt", "lte") or (op in ("eq", "ne") and is_number(value)):
        compare, bound = _COMPARE[op], Decimal(str(value))
        return lambda actual, _: bool(compare(_number(actual), bound))
    if op == "between":
        low, high = Decimal(str(value[0])), Decimal(str(value[1]))
        return lambda actual, _: bool(low <= _number(actual) <= high)
    simple: dict[str, Test] = {
        "eq": lambda actual, _: bool(actual == value),
        "ne": lambda actual, _: bool(actual != value),
        "in": lambda actual, _: actual in value,
        "not_in": lambda actual, _: actual not in value,
        "contains": lambda actual, _: value in actual,
        "contains_any": lambda actual, _: any(v in actual for v in value),
        "contains_all": lambda actual, _: all(v in actual for v in value),
        "is_empty": lambda actual, _: (len(actual) == 0) == value,
        "within_last_days": lambda actual, today: today - timedelta(days=value) <= _day(actual) <= today,
        "more_than_days_ago": lambda actual, today: _day(actual) < today - timedelta(days=value),
    }
    if op in simple:
        return simple[op]
    other = date.fromisoformat(value)
    compare = {"before": operator.lt, "after": operator.gt, "on": operator.eq}[op]
    return lambda actual, _: bool(compare(_day(actual), other))


def compile_rule(rule: Rule) -> Predicate:
    """A fast predicate (facts, today) -> matched, for evaluating one rule over many members."""
    if isinstance(rule, All):
        parts = [compile_rule(c) for c in rule.all]
        return lambda facts, today: all(p(facts, today) for p in parts)
    if isinstance(rule, AnyOf):
        parts = [compile_rule(c) for c in rule.any]
        return lambda facts, today: any(p(facts, today) for p in parts)
    if isinstance(rule, Not):
        inner = compile_rule(rule.not_)
        return lambda facts, today: not inner(facts, today)
    fact, test = rule.fact, leaf_test(rule.op, rule.value)

    def leaf(facts: Mapping[str, Any], today: date) -> bool:
        actual = facts.get(fact)
        return actual is not None and test(actual, today)

    return leaf


def facts_used(rule: Rule) -> set[str]:
    """The facts a rule names (so a full pass computes only those)."""
    if isinstance(rule, All | AnyOf):
        return set().union(*(facts_used(c) for c in (rule.all if isinstance(rule, All) else rule.any)))
    if isinstance(rule, Not):
        return facts_used(rule.not_)
    return {rule.fact}


@dataclass(frozen=True)
class LeafResult:
    """One leaf as evaluated: what the member's fact was and whether the condition held."""

    path: str
    fact: str
    op: str
    value: Any
    actual: Any
    matched: bool

    @property
    def text(self) -> str:
        """The leaf as a sentence: "spend_90d is 6200 (> 5000)"."""
        shown = "unknown" if self.actual is None else _show(self.actual)
        condition = f"{_SYMBOLS.get(self.op, self.op.replace('_', ' '))} {_show(self.value)}"
        if self.matched:
            return f"{self.fact} is {shown} ({condition})"
        return f"{self.fact} is {shown}, not {condition}"


@dataclass(frozen=True)
class Verdict:
    """Whether a rule matched, and the leaves that decided it (the explanation shown to staff)."""

    matched: bool
    reasons: tuple[LeafResult, ...]

    def explain(self) -> list[str]:
        """The deciding leaves as short sentences."""
        return [r.text for r in self.reasons]


def _show(value: Any) -> str:
    if isinstance(value, Decimal | float):
        return f"{Decimal(str(value)).normalize():f}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, date | datetime):
        return value.isoformat()[:10]
    return str(value)


def evaluate(rule: Rule, facts: Mapping[str, Any], now: datetime) -> Verdict:
    """Evaluate a validated rule against one member's facts, with the leaves that decided the outcome."""
    return _eval(rule, facts, now.date(), "")


def _eval(rule: Rule, facts: Mapping[str, Any], today: date, path: str) -> Verdict:
    sep = "." if path else ""
    if isinstance(rule, All | AnyOf):
        key, children = ("all", rule.all) if isinstance(rule, All) else ("any", rule.any)
        results = [_eval(c, facts, today, f"{path}{sep}{key}[{i}]") for i, c in enumerate(children)]
        want = isinstance(rule, All)  # all: a failing child decides; any: a matching child decides
        deciding = [r for r in results if r.matched != want]
        matched = not deciding if want else bool(deciding)
        chosen = results if matched == want else deciding
        return Verdict(matched, tuple(reason for r in chosen for reason in r.reasons))
    if isinstance(rule, Not):
        inner = _eval(rule.not_, facts, today, f"{path}{sep}not")
        return Verdict(not inner.matched, inner.reasons)
    assert isinstance(rule, Leaf)
    actual = facts.get(rule.fact)
    matched = actual is not None and leaf_test(rule.op, rule.value)(actual, today)
    return Verdict(matched, (LeafResult(path, rule.fact, rule.op, rule.value, actual, matched),))
