"""The tier ladder as data, growth over a rolling window, and the upgrade / downgrade decision.

A member's growth is their net spend and their visits (distinct days with a purchase) over the last
`window_days`. A tier is reached when the growth meets its thresholds (either of them or both, per the
ladder's `qualify`). A purchase can only upgrade; a return can downgrade at once (it undoes what qualified);
the nightly review downgrades once the tier has been held for `downgrade_grace_days`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.core.words import counted
from server.db.base import money

Trigger = Literal["purchase", "return", "review"]


class TierDefinition(BaseModel):
    """One rung: its name and the growth needed to reach it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=40)
    min_spend: Decimal = Field(ge=0, decimal_places=2)
    min_visits: int = Field(ge=0)
    # What members read (messages, their page); the name stays the key rules and reports use.
    name_zh: str | None = Field(None, min_length=1, max_length=40)
    name_en: str | None = Field(None, min_length=1, max_length=40)


class TierLadder(BaseModel):
    """The configured tiers, lowest first; the first has zero thresholds so every member has a tier."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tiers: list[TierDefinition] = Field(min_length=1)
    window_days: int = Field(365, ge=1, le=3 * 366)
    qualify: Literal["spend_or_visits", "spend_and_visits"] = "spend_or_visits"
    downgrade_grace_days: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _ascending(self) -> TierLadder:
        names = [t.name.casefold() for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must be unique, got {[t.name for t in self.tiers]}")
        first = self.tiers[0]
        if first.min_spend != 0 or first.min_visits != 0:
            raise ValueError(f"the first tier ({first.name}) must need no spend and no visits")
        for low, high in zip(self.tiers, self.tiers[1:], strict=False):
            if high.min_spend < low.min_spend or high.min_visits < low.min_visits:
                raise ValueError(f"tier {high.name} must need at least as much as {low.name}")
            if (high.min_spend, high.min_visits) == (low.min_spend, low.min_visits):
                raise ValueError(f"tier {high.name} needs exactly what {low.name} needs")
        return self

    def index(self, name: str) -> int:
        """The rank of a tier by name (0 is the lowest); an unknown name (a removed tier) ranks lowest."""
        for i, tier in enumerate(self.tiers):
            if tier.name == name:
                return i
        return 0

    def label(self, name: str, lang: str) -> str:
        """The tier's name as a member reads it in `lang` (its own name when none is set)."""
        for tier in self.tiers:
            if tier.name == name:
                return (tier.name_zh if lang == "zh" else tier.name_en) or tier.name
        return name

    @property
    def lowest(self) -> str:
        """The tier every member starts in."""
        return self.tiers[0].name


DEFAULT_LADDER = TierLadder(
    tiers=[
        TierDefinition(
            name="new", min_spend=Decimal("0"), min_visits=0, name_zh="新会员", name_en="New member"
        ),
        TierDefinition(
            name="growing", min_spend=Decimal("500"), min_visits=4, name_zh="成长会员", name_en="Growing"
        ),
        TierDefinition(
            name="loyal", min_spend=Decimal("2000"), min_visits=10, name_zh="忠实会员", name_en="Loyal"
        ),
        TierDefinition(
            name="VIP", min_spend=Decimal("5000"), min_visits=24, name_zh="贵宾会员", name_en="VIP"
        ),
    ]
)


@dataclass(frozen=True)
class Activity:
    """A dated purchase (+amount, a visit) or return (-amount, counted on the day of the sale it undoes)."""

    on: date
    amount: Decimal
    visit: bool


@dataclass(frozen=True)
class Growth:
    """Net spend and visits over the ladder's window ending on `as_of`."""

    spend: Decimal
    visits: int
    as_of: date


def growth(activities: Iterable[Activity], window_days: int, today: date) -> Growth:
    """Net spend (never below zero) and distinct visit days within the `window_days` ending today."""
    start = today - timedelta(days=window_days - 1)
    spend = Decimal("0")
    days: set[date] = set()
    for act in activities:
        if start <= act.on <= today:
            spend += act.amount
            if act.visit:
                days.add(act.on)
    return Growth(spend=money(max(spend, Decimal("0"))), visits=len(days), as_of=today)


def _meets(ladder: TierLadder, tier: TierDefinition, g: Growth) -> bool:
    spend_ok, visits_ok = g.spend >= tier.min_spend, g.visits >= tier.min_visits
    return (spend_ok or visits_ok) if ladder.qualify == "spend_or_visits" else (spend_ok and visits_ok)


def qualified_tier(ladder: TierLadder, g: Growth) -> TierDefinition:
    """The highest tier the growth reaches."""
    best = ladder.tiers[0]
    for tier in ladder.tiers[1:]:
        if _meets(ladder, tier, g):
            best = tier
    return best


@dataclass(frozen=True)
class TierDecision:
    """The tier after an event, and why; `direction` is "same" when it stays."""

    current: str
    new: str
    direction: Literal["up", "down", "same"]
    reason: str

    @property
    def changed(self) -> bool:
        """Whether the tier moves."""
        return self.direction != "same"


def _describe(ladder: TierLadder, g: Growth) -> str:
    visits, window = counted(g.visits, "visit"), counted(ladder.window_days, "day")
    return f"spend {g.spend:.2f} and {visits} over the last {window}"


def decide(
    ladder: TierLadder, current: str, since: datetime, g: Growth, trigger: Trigger, now: datetime
) -> TierDecision:
    """Decide the member's tier after a purchase, a return or the nightly review, with the reason."""
    target = qualified_tier(ladder, g)
    have, want = ladder.index(current), ladder.index(target.name)
    if current not in {t.name for t in ladder.tiers}:
        # The tier was removed from the ladder: move the member to where they qualify now.
        reason = f"moved to {target.name}: tier {current} no longer exists; {_describe(ladder, g)}"
        return TierDecision(current, target.name, "down" if want == 0 else "up", reason)
    if want > have:
        reason = f"upgraded to {target.name} by {trigger}: {_describe(ladder, g)} {_needs(ladder, target)}"
        return TierDecision(current, target.name, "up", reason)
    if want < have and trigger != "purchase":
        held = (now - since).days
        if trigger == "review" and held < ladder.downgrade_grace_days:
            reason = f"kept {current}: held for {held} of {ladder.downgrade_grace_days} grace days"
            return TierDecision(current, current, "same", reason)
        reason = (
            f"downgraded to {target.name} by {trigger}: {_describe(ladder, g)} "
            f"is below {_needs(ladder, ladder.tiers[have])}"
        )
        return TierDecision(current, target.name, "down", reason)
    return TierDecision(current, current, "same", f"stays {current}: {_describe(ladder, g)}")


def _needs(ladder: TierLadder, tier: TierDefinition) -> str:
    joiner = " or " if ladder.qualify == "spend_or_visits" else " and "
    return f"({tier.name} needs spend {tier.min_spend:.2f}{joiner}{counted(tier.min_visits, 'visit')})"


@dataclass(frozen=True)
class Progress:
    """How far a member is from the next tier; `next_tier` is None at the top."""

    tier: str
    next_tier: str | None
    spend_needed: Decimal
    visits_needed: int
    text: str


def progress(ladder: TierLadder, current: str, g: Growth) -> Progress:
    """What the member still needs for the tier above the current one ("200.00 more to VIP")."""
    i = ladder.index(current)
    if i + 1 >= len(ladder.tiers):
        return Progress(current, None, Decimal("0.00"), 0, f"{current} is the top tier")
    nxt = ladder.tiers[i + 1]
    spend = money(max(nxt.min_spend - g.spend, Decimal("0")))
    visits = max(nxt.min_visits - g.visits, 0)
    spend_text = f"{spend:.2f} more"
    visit_text = f"{visits} more visit{'' if visits == 1 else 's'}"
    parts = [text for text, needed in ((spend_text, spend > 0), (visit_text, visits > 0)) if needed]
    joiner = " or " if ladder.qualify == "spend_or_visits" else " and "
    text = f"{joiner.join(parts) or 'nothing more'} to {nxt.name}"
    return Progress(current, nxt.name, spend, visits, text)
