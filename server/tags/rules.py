"""Tag rules as data: `all` / `any` / `not` over `{fact, op, value}` leaves, checked against a fact registry.

Validation happens when a rule is saved: a problem is reported with its path in the rule (`all[1].value`).
Evaluation (whether a rule matched and which leaves decided it) is in `server.tags.evaluation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError


class FactType(StrEnum):
    NUMBER = "number"
    STRING = "string"
    BOOL = "bool"
    DATE = "date"
    STRING_LIST = "list[string]"


# Which operators make sense for each type of fact, and what shape of value each operator takes.
OPS: dict[FactType, dict[str, str]] = {
    FactType.NUMBER: {
        "eq": "number",
        "ne": "number",
        "gt": "number",
        "gte": "number",
        "lt": "number",
        "lte": "number",
        "between": "[low, high] numbers",
    },
    FactType.STRING: {"eq": "string", "ne": "string", "in": "list of strings", "not_in": "list of strings"},
    FactType.BOOL: {"eq": "true or false"},
    FactType.DATE: {
        "before": "ISO date",
        "after": "ISO date",
        "on": "ISO date",
        "within_last_days": "whole number of days",
        "more_than_days_ago": "whole number of days",
    },
    FactType.STRING_LIST: {
        "contains": "string",
        "contains_any": "list of strings",
        "contains_all": "list of strings",
        "is_empty": "true or false",
    },
}


@dataclass(frozen=True)
class FactSpec:
    """A fact a rule may name: its type, what it means, and the operators it accepts."""

    name: str
    type: FactType
    description: str

    @property
    def ops(self) -> list[str]:
        """The operators this fact accepts."""
        return list(OPS[self.type])


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Leaf(_Node):
    fact: str
    op: str
    value: Any


class All(_Node):
    all: list[Rule] = Field(min_length=1)


class AnyOf(_Node):
    any: list[Rule] = Field(min_length=1)


class Not(_Node):
    not_: Rule = Field(alias="not")


def _kind(raw: Any) -> str | None:
    if isinstance(raw, dict):
        for key in ("all", "any", "not", "fact"):
            if key in raw:
                return "leaf" if key == "fact" else key
        return None
    kinds: dict[type, str] = {Leaf: "leaf", All: "all", AnyOf: "any", Not: "not"}
    return kinds.get(type(raw))


Rule = Annotated[
    Annotated[All, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[Not, Tag("not")]
    | Annotated[Leaf, Tag("leaf")],
    Discriminator(_kind, custom_error_type="rule_shape", custom_error_message=""),
]


class _Holder(BaseModel):
    rule: Rule


for _model in (All, AnyOf, Not, _Holder):
    _model.model_rebuild()


class RuleError(ValueError):
    """A rule that cannot be saved; `path` says where in the rule (`all[1].any[0].value`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc[1:]:  # loc[0] is the holder's field name
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("all", "any", "leaf", "not"):
            if part != "leaf" and not out.endswith(part):
                out += ("." if out else "") + part
        else:
            out += ("." if out else "") + ("not" if part == "not_" else part)
    return out


def parse_rule(raw: Any, facts: Mapping[str, FactSpec]) -> Rule:
    """Parse and check a rule: shape, known facts, fitting operators and value types (RuleError if not)."""
    try:
        rule = _Holder.model_validate({"rule": raw}).rule
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _path(tuple(first["loc"]))
        if first["type"] == "rule_shape":
            raise RuleError(
                where, "expected {all: [...]}, {any: [...]}, {not: {...}} or {fact, op, value}"
            ) from None
        raise RuleError(where, first["msg"]) from None
    _check(rule, facts, "")
    return rule


def _check(rule: Rule, facts: Mapping[str, FactSpec], path: str) -> None:
    if isinstance(rule, All | AnyOf):
        key, children = ("all", rule.all) if isinstance(rule, All) else ("any", rule.any)
        for i, child in enumerate(children):
            _check(child, facts, f"{path}{'.' if path else ''}{key}[{i}]")
        return
    if isinstance(rule, Not):
        _check(rule.not_, facts, f"{path}{'.' if path else ''}not")
        return
    here = f"{path}." if path else ""
    spec = facts.get(rule.fact)
    if spec is None:
        raise RuleError(f"{here}fact", f"unknown fact {rule.fact!r}; known facts: {', '.join(sorted(facts))}")
    allowed = OPS[spec.type]
    if rule.op not in allowed:
        raise RuleError(
            f"{here}op",
            f"operator {rule.op!r} does not apply to {spec.name} ({spec.type}); "
            f"use one of {', '.join(allowed)}",
        )
    problem = _value_problem(spec.type, rule.op, rule.value)
    if problem:
        raise RuleError(f"{here}value", f"{spec.name} {rule.op} expects {allowed[rule.op]}: {problem}")


def is_number(value: Any) -> bool:
    """A JSON number (not a boolean)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _value_problem(kind: FactType, op: str, value: Any) -> str | None:
    if kind is FactType.NUMBER:
        if op == "between":
            if not (isinstance(value, list) and len(value) == 2 and all(is_number(v) for v in value)):
                return f"got {value!r}"
            return None if value[0] <= value[1] else f"low {value[0]} is above high {value[1]}"
        return None if is_number(value) else f"got {value!r}"
    if kind in (FactType.STRING, FactType.STRING_LIST) and op in (
        "in",
        "not_in",
        "contains_any",
        "contains_all",
    ):
        ok = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        return None if ok else f"got {value!r}"
    if op == "is_empty" or kind is FactType.BOOL:
        return None if isinstance(value, bool) else f"got {value!r}"
    if kind in (FactType.STRING, FactType.STRING_LIST):
        return None if isinstance(value, str) else f"got {value!r}"
    # Dates: either a day count or an ISO date.
    if op in ("within_last_days", "more_than_days_ago"):
        return (
            None
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0
            else f"got {value!r}"
        )
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return f"got {value!r}"
    return None


def dump_rule(rule: Rule) -> dict[str, Any]:
    """The rule as the JSON stored in the database (the same shape it was written in)."""
    return _Holder(rule=rule).model_dump(by_alias=True, mode="json")["rule"]  # type: ignore[no-any-return]
