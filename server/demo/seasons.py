"""The retail calendar of the demo chain: gift seasons and how much busier they make a store."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

# Chinese New Year and Mid-Autumn move with the lunar calendar.
CNY = {2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29),
       2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23),
       2032: (2, 11), 2033: (1, 31), 2034: (2, 19), 2035: (2, 8)}  # fmt: skip
MID_AUTUMN = {2020: (10, 1), 2021: (9, 21), 2022: (9, 10), 2023: (9, 29), 2024: (9, 17), 2025: (10, 6),
              2026: (9, 25), 2027: (9, 15), 2028: (10, 3), 2029: (9, 22), 2030: (9, 12), 2031: (10, 1),
              2032: (9, 19), 2033: (9, 8), 2034: (9, 27), 2035: (9, 16)}  # fmt: skip


def _lunar(table: dict[int, tuple[int, int]], year: int, fallback: tuple[int, int]) -> date:
    month, day = table.get(year, fallback)
    return date(year, month, day)


@lru_cache(maxsize=4096)
def seasons_on(day: date) -> frozenset[str]:
    """The gift seasons whose seasonal products sell on `day`: cny, mid_autumn, christmas."""
    found: set[str] = set()
    for year in (day.year, day.year + 1):
        if timedelta(days=-5) <= _lunar(CNY, year, (2, 5)) - day <= timedelta(days=25):
            found.add("cny")
    if timedelta(0) <= _lunar(MID_AUTUMN, day.year, (9, 20)) - day <= timedelta(days=21):
        found.add("mid_autumn")
    if (day.month == 11 and day.day >= 15) or (day.month == 12 and day.day <= 24):
        found.add("christmas")
    return frozenset(found)


@lru_cache(maxsize=8192)
def visit_boost(day: date, country: str) -> float:
    """How much busier than usual a store is on `day`: festivals, 11.11, weekends, the summer lull."""
    china = country == "China"
    seasons = seasons_on(day)
    boost = 1.0
    if "cny" in seasons:
        boost = 2.2 if china else 1.2
    if "mid_autumn" in seasons and china:
        boost = max(boost, 1.8)
    if day.month == 12 and day.day <= 24:
        boost = max(boost, 1.4 if china else 2.8)
    if china and day.month == 11 and day.day <= 11:
        boost = max(boost, 2.0)
    if day.month in (7, 8):
        boost *= 0.85
    if day.weekday() >= 5:
        boost *= 1.3
    return boost
