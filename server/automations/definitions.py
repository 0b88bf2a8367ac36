"""A journey as validated data: an entry trigger, who may enter and how often, a goal, and a graph of steps.

Pure: parsing and checking a definition reads nothing from the database. What needs the database (a
coupon template or a manual tag that must exist) is checked by the service when the journey is saved.
Errors name the place in the definition (`nodes[2].rule.all[0].fact: ...`) so a screen can show them
beside the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from server.messaging.purposes import CHANNELS, PURPOSES, purpose_of
from server.tags.facts import FACTS
from server.tags.rules import Rule, RuleError, parse_rule

EventName = Literal[
    "registered",
    "purchased",
    "tier_changed",
    "tag_added",
    "tag_removed",
    "heat_alert",
    "replenishment_due",
]
MAX_VISITS = 20  # a loop through a wait may come round this often before the member leaves the journey


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Triggers -------------------------------------------------------------------------------------------


class EventTrigger(_Strict):
    """Enter when something happens to the member."""

    type: Literal["event"]
    event: EventName
    tag: str | None = Field(None, description="tag_added / tag_removed: only this tag")
    direction: Literal["up", "down"] | None = Field(None, description="tier_changed: only this way")
    min_amount: float | None = Field(None, ge=0, description="purchased: only sales of at least this much")


class DayTrigger(_Strict):
    """Enter N days before a date of the member's (birthday, join anniversary) or the store's member day."""

    type: Literal["birthday", "anniversary", "member_day"]
    days_before: int = Field(0, ge=0, le=60)


class LapsedTrigger(_Strict):
    """Enter when exactly `days` days have passed since the member's last purchase."""

    type: Literal["lapsed"]
    days: int = Field(ge=1, le=3650)


class ExpiryTrigger(_Strict):
    """Enter N days before an open coupon, a benefit or a lot of points expires."""

    type: Literal["coupon_expiring", "benefit_expiring", "points_expiring"]
    days_before: int = Field(ge=0, le=365)


class AudienceTrigger(_Strict):
    """A one-off campaign: everyone the rule selects (in the journey's stores) enters when it is published."""

    type: Literal["audience"]
    rule: dict[str, Any]
    start_at: datetime | None = Field(None, description="when the campaign goes out; at once if empty")


class SegmentTrigger(_Strict):
    """Enter on coming into a segment (a rule over facts), judged once a day; those already in it when
    the journey is published do not enter, only those who come in later (again after leaving)."""

    type: Literal["segment_entered"]
    rule: dict[str, Any]


Trigger = Annotated[
    EventTrigger | DayTrigger | LapsedTrigger | ExpiryTrigger | AudienceTrigger | SegmentTrigger,
    Field(discriminator="type"),
]

# Steps ----------------------------------------------------------------------------------------------


class WaitNode(_Strict):
    """Wait a while, then (optionally) until a time of day in the store's time zone."""

    id: str
    type: Literal["wait"]
    days: int = Field(0, ge=0, le=365)
    hours: int = Field(0, ge=0, le=720)
    minutes: int = Field(0, ge=0, le=59)
    until_time: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    next: str | None = None


class ConditionNode(_Strict):
    """Branch on the member's facts now (the tag rules' language)."""

    id: str
    type: Literal["condition"]
    rule: dict[str, Any]
    yes: str | None = None
    no: str | None = None


class Branch(_Strict):
    """One arm of a random split."""

    label: str = Field(min_length=1, max_length=40)
    percent: float = Field(gt=0, le=100)
    next: str | None = None


class SplitNode(_Strict):
    """Send members down arms at random (a stable hash of member and node), by the given shares."""

    id: str
    type: Literal["split"]
    branches: list[Branch] = Field(min_length=2, max_length=10)


class SendNode(_Strict):
    """Queue a message of a purpose through the outbox (its template in the member's language)."""

    id: str
    type: Literal["send"]
    purpose: str
    channel: str | None = Field(None, description="empty: the member's usual channel for the purpose")
    values: dict[str, str] = Field(default_factory=dict, description="fixed values of template variables")
    # The same, in the member's language (a campaign's own words); they win over `values`.
    values_zh: dict[str, str] = Field(default_factory=dict)
    values_en: dict[str, str] = Field(default_factory=dict)
    next: str | None = None

    def given(self) -> set[str]:
        """Variables the step gives for every member (in both languages, or language-free)."""
        return set(self.values) | (set(self.values_zh) & set(self.values_en))


class CouponNode(_Strict):
    """Issue the member a coupon of a template; its code and value are then known to later messages."""

    id: str
    type: Literal["coupon"]
    template_id: int = Field(ge=1)
    announce: bool = Field(True, description="also send the usual 'coupon issued' message")
    next: str | None = None


class TagNode(_Strict):
    """Add or remove a manual tag."""

    id: str
    type: Literal["tag"]
    action: Literal["add", "remove"]
    tag: str = Field(min_length=1, max_length=80)
    next: str | None = None


class TaskNode(_Strict):
    """A task on the consultant's list (the store manager's when the member has none), with a script."""

    id: str
    type: Literal["task"]
    kind: Literal["call", "wechat", "invite", "visit"]
    script_zh: str = Field(min_length=1, max_length=1000)
    script_en: str = Field(min_length=1, max_length=1000)
    due_days: int = Field(1, ge=0, le=60)
    next: str | None = None


class NotifyNode(_Strict):
    """Tell the consultant (or the store manager) something about the member, without a task to do."""

    id: str
    type: Literal["notify"]
    text_zh: str = Field(min_length=1, max_length=500)
    text_en: str = Field(min_length=1, max_length=500)
    next: str | None = None


class ExitNode(_Strict):
    """Leave the journey here."""

    id: str
    type: Literal["exit"]


Node = Annotated[
    WaitNode | ConditionNode | SplitNode | SendNode | CouponNode | TagNode | TaskNode | NotifyNode | ExitNode,
    Field(discriminator="type"),
]
MEMBER_FACING = ("send", "coupon", "task", "notify")  # what a control-group member is spared


class Goal(_Strict):
    """What counts as converting: a purchase within `within_days` of entering."""

    event: Literal["purchased"] = "purchased"
    within_days: int = Field(14, ge=1, le=365)
    exit_on_goal: bool = True


class Definition(_Strict):
    """A whole journey."""

    trigger: Trigger
    when: dict[str, Any] | None = Field(None, description="who may enter: a rule over the member's facts")
    reentry: Literal["once", "after_exit", "every_time"] = "after_exit"
    goal: Goal | None = None
    holdout_percent: float = Field(10, ge=0, le=50)
    start: str
    nodes: list[Node] = Field(min_length=1, max_length=100)

    @field_validator("nodes")
    @classmethod
    def _unique_ids(cls, nodes: list[Any]) -> list[Any]:
        seen: set[str] = set()
        for i, node in enumerate(nodes):
            if not node.id or len(node.id) > 40:
                raise ValueError(f"nodes[{i}].id: 1 to 40 characters")
            if node.id in seen:
                raise ValueError(f"nodes[{i}].id: {node.id!r} is used twice")
            seen.add(node.id)
        return nodes

    def node(self, node_id: str) -> Any:
        """The node with this id (KeyError if none)."""
        return self.by_id()[node_id]

    def by_id(self) -> dict[str, Any]:
        """Nodes by id."""
        return {n.id: n for n in self.nodes}


class DefinitionError(ValueError):
    """A definition that cannot be saved; `path` says where."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def successors(node: Any) -> list[tuple[str, str]]:
    """(label, next id) for every way out of a node; labels are '' for plain steps."""
    if isinstance(node, ConditionNode):
        return [(label, nxt) for label, nxt in (("yes", node.yes), ("no", node.no)) if nxt]
    if isinstance(node, SplitNode):
        return [(b.label, b.next) for b in node.branches if b.next]
    if isinstance(node, ExitNode):
        return []
    return [("", node.next)] if node.next else []


def _loc(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a path, without the discriminator's tag (`nodes[2].days`)."""
    out, parts = "", list(loc)
    for i, part in enumerate(parts):
        tagged = i > 0 and (
            parts[i - 1] == "trigger" or (parts[i - 1] != "branches" and isinstance(parts[i - 1], int))
        )
        if tagged and isinstance(part, str) and i == (1 if parts[0] == "trigger" else 2):
            continue  # the union member pydantic tried, named by its `type`
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def parse_definition(raw: Any) -> Definition:
    """Parse and check a definition (DefinitionError naming the place if it cannot run)."""
    try:
        definition = Definition.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = str(first["msg"]).removeprefix("Value error, ")
        if ": " in msg and msg.startswith("nodes["):
            path, _, msg = msg.partition(": ")
            raise DefinitionError(path, msg) from None
        raise DefinitionError(_loc(tuple(first["loc"])), msg) from None
    _check(definition)
    return definition


def rules_of(definition: Definition) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, raw rule) for every rule in the definition."""
    if isinstance(definition.trigger, AudienceTrigger | SegmentTrigger):
        yield "trigger.rule", definition.trigger.rule
    if definition.when is not None:
        yield "when", definition.when
    for i, node in enumerate(definition.nodes):
        if isinstance(node, ConditionNode):
            yield f"nodes[{i}].rule", node.rule


def parsed_rule(raw: dict[str, Any], path: str) -> Rule:
    """A rule of the definition, parsed (DefinitionError at `path`)."""
    try:
        return parse_rule(raw, FACTS)
    except RuleError as exc:
        raise DefinitionError(f"{path}.{exc.path}" if exc.path else path, exc.message) from None


# Variables a message may take from the journey: the trigger's event, or a coupon issued on the way.
TRIGGER_VALUES: dict[str, set[str]] = {
    "birthday": set(),
    "member_day": {"event_date"},
    "points_expiring": {"points", "expires_on"},
    "benefit_expiring": {"benefit_name", "expires_on"},
    "coupon_expiring": {"coupon_name", "coupon_value", "coupon_code", "expires_on"},
    "replenishment_due": {"product_name"},
    "tier_changed": {"old_tier", "new_tier"},
}
COUPON_VALUES = {"coupon_name", "coupon_value", "coupon_code", "coupon_amount", "expires_on"}


def trigger_name(definition: Definition) -> str:
    """The trigger's event or date kind ('purchased', 'birthday' ...)."""
    trigger = definition.trigger
    return trigger.event if isinstance(trigger, EventTrigger) else trigger.type


def _check(definition: Definition) -> None:
    nodes = definition.by_id()
    index = {n.id: i for i, n in enumerate(definition.nodes)}
    if definition.start not in nodes:
        raise DefinitionError("start", f"no node has the id {definition.start!r}")
    for i, node in enumerate(definition.nodes):
        for label, nxt in successors(node):
            if nxt not in nodes:
                where = f"nodes[{i}].{label or 'next'}" if not isinstance(node, SplitNode) else f"nodes[{i}]"
                raise DefinitionError(where, f"no node has the id {nxt!r}")
        _check_node(node, f"nodes[{i}]")
    for path, raw in rules_of(definition):
        parsed_rule(raw, path)
    trigger = definition.trigger
    if isinstance(trigger, EventTrigger):
        if trigger.event in ("tag_added", "tag_removed") and not trigger.tag:
            raise DefinitionError("trigger.tag", "name the tag whose change starts the journey")
        if trigger.tag and trigger.event not in ("tag_added", "tag_removed"):
            raise DefinitionError("trigger.tag", "only a tag event takes a tag")
        if trigger.direction and trigger.event != "tier_changed":
            raise DefinitionError("trigger.direction", "only tier_changed takes a direction")
        if trigger.min_amount is not None and trigger.event != "purchased":
            raise DefinitionError("trigger.min_amount", "only purchased takes a minimum amount")
    if isinstance(trigger, AudienceTrigger) and definition.reentry == "every_time":
        raise DefinitionError("reentry", "a campaign's audience enters once")
    reachable = _reachable(definition.start, nodes)
    for node in definition.nodes:
        if node.id not in reachable:
            raise DefinitionError(
                f"nodes[{index[node.id]}]", f"node {node.id!r} cannot be reached from the start"
            )
    _check_loops(definition, nodes, index)
    _check_values(definition, nodes, index)


def _check_node(node: Any, where: str) -> None:
    if isinstance(node, SplitNode):
        total = sum(b.percent for b in node.branches)
        if abs(total - 100) > 1e-6:
            raise DefinitionError(f"{where}.branches", f"the shares add up to {total:g}%, not 100%")
        labels = [b.label for b in node.branches]
        if len(set(labels)) != len(labels):
            raise DefinitionError(f"{where}.branches", "two branches have the same label")
    elif isinstance(node, SendNode):
        if node.purpose not in PURPOSES or node.purpose == "otp":
            names = ", ".join(p for p in PURPOSES if p != "otp")
            raise DefinitionError(f"{where}.purpose", f"one of {names}; got {node.purpose!r}")
        if node.channel is not None and node.channel not in CHANNELS:
            raise DefinitionError(f"{where}.channel", f"one of {', '.join(CHANNELS)}; got {node.channel!r}")
        spec = purpose_of(node.purpose)
        if node.channel == "wechat" and spec.purpose_class == "marketing":
            raise DefinitionError(
                f"{where}.channel", "WeChat carries service notices only; a marketing message cannot go there"
            )
        for field_name in ("values", "values_zh", "values_en"):
            for name in getattr(node, field_name):
                if name not in spec.variables:
                    raise DefinitionError(
                        f"{where}.{field_name}.{name}", f"the {node.purpose} template has no {name}"
                    )
    elif isinstance(node, WaitNode):
        if node.days == node.hours == node.minutes == 0 and node.until_time is None:
            raise DefinitionError(where, "a wait needs a duration or a time of day")


def _reachable(start: str, nodes: dict[str, Any]) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        todo.extend(nxt for _, nxt in successors(nodes[node_id]))
    return seen


def _check_loops(definition: Definition, nodes: dict[str, Any], index: dict[str, int]) -> None:
    """A loop must pass through a wait, or a member would spin through it in one go."""
    without_wait = {i: n for i, n in nodes.items() if not isinstance(n, WaitNode)}
    state: dict[str, int] = {}

    def visit(node_id: str) -> None:
        state[node_id] = 1
        for _, nxt in successors(without_wait[node_id]):
            if nxt not in without_wait:
                continue
            if state.get(nxt) == 1:
                raise DefinitionError(f"nodes[{index[nxt]}]", f"the loop through {nxt!r} has no wait in it")
            if nxt not in state:
                visit(nxt)
        state[node_id] = 2

    for node_id in without_wait:
        if node_id not in state:
            visit(node_id)


def _check_values(definition: Definition, nodes: dict[str, Any], index: dict[str, int]) -> None:
    """Every variable a message needs is given: by the step, the trigger, or a coupon issued before it."""
    given = TRIGGER_VALUES.get(trigger_name(definition), set())
    before: dict[str, set[str]] = {}  # values known on every path to the node (intersection over paths)
    order = _topological(definition.start, nodes)
    before[definition.start] = set(given)
    for node_id in order:
        known = before.get(node_id, set(given))
        node = nodes[node_id]
        out = known | COUPON_VALUES if isinstance(node, CouponNode) else known
        if isinstance(node, SendNode):
            spec = purpose_of(node.purpose)
            missing = sorted(set(spec.variables) - out - node.given())
            if missing:
                raise DefinitionError(
                    f"nodes[{index[node_id]}].values",
                    f"the {node.purpose} message needs {', '.join(missing)}: give it here, or issue a coupon "
                    "before this step",
                )
        for _, nxt in successors(node):
            before[nxt] = out if nxt not in before else before[nxt] & out


def _topological(start: str, nodes: dict[str, Any]) -> list[str]:
    """Nodes from the start in an order where (leaving loops aside) a node comes after its predecessors."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(node_id: str) -> None:
        seen.add(node_id)
        for _, nxt in successors(nodes[node_id]):
            if nxt not in seen:
                visit(nxt)
        order.append(node_id)

    visit(start)
    return order[::-1]
