"""Shopping persona: price-sensitive, quality-seeking or novelty-seeking, with the evidence that says so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from server.core.words import counted

Label = Literal["price-sensitive", "quality-seeking", "novelty-seeking", "balanced", "not enough history"]


@dataclass(frozen=True)
class PersonaInputs:
    """Behaviour over the last year, as computed from the member's purchases."""

    purchases: int
    coupon_rate: float  # share of purchases paid with a coupon or a discount
    price_index: float | None  # paid unit price / the median list price of the same categories
    new_product_share: float  # share of spend on products in their first 60 days on sale
    categories: int  # distinct categories bought


@dataclass(frozen=True)
class Evidence:
    """One fact behind a persona as data, so a phone can say it in its own language.

    `code` is one of EVIDENCE; `value` is its figure (a share 0-1, a price index, a count, a score; None
    where there is none, as for a price index without list prices); `threshold` is what the figure is
    held against (purchases needed, the score a persona needs); `persona` names the candidate a weak
    signal is about.
    """

    code: str
    value: float | None
    threshold: float | None = None
    persona: str | None = None

    @property
    def text(self) -> str:
        """The evidence as an English sentence."""
        v = self.value
        if self.code == "purchases":
            n = int(v or 0)
            return f"{counted(n, 'purchase')} in the last year; {int(self.threshold or 0)} needed"
        if self.code == "coupon_or_discount_share":
            return f"{v or 0:.0%} of purchases used a coupon or discount"
        if self.code == "coupon_share":
            return f"{v or 0:.0%} of purchases used a coupon"
        if self.code == "price_index":
            return (
                "no list prices to compare with"
                if v is None
                else f"pays {v:.2f}x the usual price of what they buy"
            )
        if self.code == "new_product_share":
            return f"{v or 0:.0%} of spend went on products in their first 60 days"
        if self.code == "categories":
            return f"bought from {counted(int(v or 0), 'category', 'categories')}"
        return f"strongest signal {self.persona} at {v or 0:.2f}, below {self.threshold}"


EVIDENCE = (
    "purchases",
    "coupon_or_discount_share",
    "coupon_share",
    "price_index",
    "new_product_share",
    "categories",
    "weak_signal",
)


@dataclass(frozen=True)
class Persona:
    """The persona, a score per candidate (0-1), the evidence and the sentences that explain it."""

    label: Label
    scores: dict[str, float]
    evidence: tuple[Evidence, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """The evidence as English sentences."""
        return tuple(e.text for e in self.evidence)


def _clamp(x: float) -> float:
    return min(max(x, 0.0), 1.0)


MIN_PURCHASES = 3
THRESHOLD = 0.5


def persona(x: PersonaInputs) -> Persona:
    """Score each persona from behaviour and pick the strongest one above 0.5 (else "balanced")."""
    if x.purchases < MIN_PURCHASES:
        return Persona("not enough history", {}, (Evidence("purchases", x.purchases, MIN_PURCHASES),))
    index = x.price_index if x.price_index is not None else 1.0
    scores = {
        "price-sensitive": round(0.6 * x.coupon_rate + 0.4 * _clamp((1 - index) / 0.4), 2),
        "quality-seeking": round(_clamp((index - 1) / 0.5) * (1 - 0.5 * x.coupon_rate), 2),
        # Breadth alone is not novelty (a café owner buys across the shop): it only adds a little.
        "novelty-seeking": round(
            0.8 * _clamp(x.new_product_share / 0.4) + 0.2 * _clamp((x.categories - 4) / 8), 2
        ),
    }
    price = Evidence("price_index", x.price_index)
    evidence = {
        "price-sensitive": (Evidence("coupon_or_discount_share", x.coupon_rate), price),
        "quality-seeking": (price, Evidence("coupon_share", x.coupon_rate)),
        "novelty-seeking": (
            Evidence("new_product_share", x.new_product_share),
            Evidence("categories", x.categories),
        ),
    }
    best = max(scores, key=lambda k: scores[k])
    if scores[best] < THRESHOLD:
        top = Evidence("weak_signal", scores[best], THRESHOLD, best)
        return Persona("balanced", scores, (top, *evidence[best]))
    label: Label = best  # type: ignore[assignment]
    return Persona(label, scores, evidence[best])
