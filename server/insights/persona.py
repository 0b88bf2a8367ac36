"""Shopping persona: price-sensitive, quality-seeking or novelty-seeking, with the evidence that says so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
class Persona:
    """The persona, a score per candidate (0-1) and the sentences that explain it."""

    label: Label
    scores: dict[str, float]
    reasons: tuple[str, ...]


def _clamp(x: float) -> float:
    return min(max(x, 0.0), 1.0)


MIN_PURCHASES = 3
THRESHOLD = 0.5


def persona(x: PersonaInputs) -> Persona:
    """Score each persona from behaviour and pick the strongest one above 0.5 (else "balanced")."""
    if x.purchases < MIN_PURCHASES:
        plural = "" if x.purchases == 1 else "s"
        return Persona(
            "not enough history",
            {},
            (f"{x.purchases} purchase{plural} in the last year; {MIN_PURCHASES} needed",),
        )
    index = x.price_index if x.price_index is not None else 1.0
    scores = {
        "price-sensitive": round(0.6 * x.coupon_rate + 0.4 * _clamp((1 - index) / 0.4), 2),
        "quality-seeking": round(_clamp((index - 1) / 0.5) * (1 - 0.5 * x.coupon_rate), 2),
        # Breadth alone is not novelty (a café owner buys across the shop): it only adds a little.
        "novelty-seeking": round(
            0.8 * _clamp(x.new_product_share / 0.4) + 0.2 * _clamp((x.categories - 4) / 8), 2
        ),
    }
    evidence = {
        "price-sensitive": [
            f"{x.coupon_rate:.0%} of purchases used a coupon or discount",
            _price_sentence(x.price_index),
        ],
        "quality-seeking": [
            _price_sentence(x.price_index),
            f"{x.coupon_rate:.0%} of purchases used a coupon",
        ],
        "novelty-seeking": [
            f"{x.new_product_share:.0%} of spend went on products in their first 60 days",
            f"bought from {x.categories} categories",
        ],
    }
    best = max(scores, key=lambda k: scores[k])
    if scores[best] < THRESHOLD:
        top = f"strongest signal {best} at {scores[best]:.2f}, below {THRESHOLD}"
        return Persona("balanced", scores, (top, *evidence[best]))
    label: Label = best  # type: ignore[assignment]
    return Persona(label, scores, tuple(evidence[best]))


def _price_sentence(index: float | None) -> str:
    if index is None:
        return "no list prices to compare with"
    return f"pays {index:.2f}x the usual price of what they buy"
