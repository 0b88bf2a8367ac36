"""Lift of a journey against its control group: conversion and revenue per member, with 95% intervals.

Pure arithmetic over counts and sums. The conversion interval is Newcombe's hybrid score interval for a
difference of two proportions (it stays inside [-1, 1] and behaves with few conversions, unlike Wald's);
the revenue interval is Welch's normal approximation. Below `MIN_PER_ARM` members in either arm, or
fewer than `MIN_CONVERSIONS` conversions in all, the report says there is not enough data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054
MIN_PER_ARM = 30
MIN_CONVERSIONS = 5


@dataclass(frozen=True)
class Arm:
    """One arm's members whose goal window has closed (or who converted), conversions and revenue."""

    members: int
    converted: int
    revenue: float = 0.0
    revenue_sq: float = 0.0  # the sum of each member's revenue squared, for its variance

    @property
    def rate(self) -> float:
        """Conversion rate."""
        return self.converted / self.members if self.members else 0.0

    @property
    def revenue_per_member(self) -> float:
        """Mean revenue per member (non-buyers count as zero)."""
        return self.revenue / self.members if self.members else 0.0

    def revenue_var(self) -> float:
        """Sample variance of revenue per member."""
        n = self.members
        if n < 2:
            return 0.0
        mean = self.revenue / n
        return max(0.0, (self.revenue_sq - n * mean * mean) / (n - 1))


@dataclass(frozen=True)
class Lift:
    """Treatment minus control, with 95% intervals; `enough` is False below the minimums."""

    enough: bool
    reason: str
    conversion_lift: float | None = None  # in rate points (0.031 = 3.1 points)
    conversion_low: float | None = None
    conversion_high: float | None = None
    relative_lift: float | None = None
    revenue_lift: float | None = None
    revenue_low: float | None = None
    revenue_high: float | None = None


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def lift(treated: Arm, control: Arm) -> Lift:
    """The lift of `treated` over `control` (see the module docstring)."""
    if min(treated.members, control.members) < MIN_PER_ARM:
        return Lift(
            False, f"not enough data: each group needs at least {MIN_PER_ARM} members whose window closed"
        )
    if treated.converted + control.converted < MIN_CONVERSIONS:
        return Lift(False, f"not enough data: fewer than {MIN_CONVERSIONS} conversions so far")
    p1, p2 = treated.rate, control.rate
    l1, u1 = wilson(treated.converted, treated.members)
    l2, u2 = wilson(control.converted, control.members)
    diff = p1 - p2
    low = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    rev = treated.revenue_per_member - control.revenue_per_member
    se = math.sqrt(treated.revenue_var() / treated.members + control.revenue_var() / control.members)
    return Lift(
        True,
        "",
        conversion_lift=diff,
        conversion_low=low,
        conversion_high=high,
        relative_lift=diff / p2 if p2 > 0 else None,
        revenue_lift=rev,
        revenue_low=rev - Z95 * se,
        revenue_high=rev + Z95 * se,
    )
