"""Confidence intervals for the difference between an experiment's arms (B - A), at 95 %.

Rates per shown recommendation: Newcombe's hybrid score interval (his method 10, from two Wilson
intervals), which keeps its coverage with small counts and rates near 0 or 1 where Wald's does not.
Revenue per shown recommendation: Welch's difference of means with a normal approximation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


@dataclass(frozen=True)
class Interval:
    """A difference B - A and its 95 % confidence interval."""

    difference: float
    low: float
    high: float


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion (n > 0)."""
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return centre - half, centre + half


def newcombe(successes_a: int, n_a: int, successes_b: int, n_b: int, z: float = Z95) -> Interval | None:
    """p_B - p_A with Newcombe's hybrid score interval; None when an arm has nothing shown."""
    if n_a <= 0 or n_b <= 0:
        return None
    p_a, p_b = successes_a / n_a, successes_b / n_b
    low_a, high_a = wilson(successes_a, n_a, z)
    low_b, high_b = wilson(successes_b, n_b, z)
    d = p_b - p_a
    low = d - math.sqrt((p_b - low_b) ** 2 + (high_a - p_a) ** 2)
    high = d + math.sqrt((high_b - p_b) ** 2 + (p_a - low_a) ** 2)
    return Interval(d, low, high)


def welch(
    mean_a: float, variance_a: float, n_a: int, mean_b: float, variance_b: float, n_b: int, z: float = Z95
) -> Interval | None:
    """mean_B - mean_A with a normal interval on Welch's standard error; None below two per arm."""
    if n_a < 2 or n_b < 2:
        return None
    d = mean_b - mean_a
    se = math.sqrt(variance_a / n_a + variance_b / n_b)
    return Interval(d, d - z * se, d + z * se)


def sample_variance(total: float, squares: float, n: int) -> float:
    """The sample variance (n - 1) of n values from their sum and their sum of squares."""
    if n < 2:
        return 0.0
    return max(0.0, (squares - total * total / n) / (n - 1))
