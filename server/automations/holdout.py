"""Control groups by a stable hash: the same member lands in the same arm on every worker, every day.

A chain-wide holdout (`global`) never gets a journey's member-facing steps, whatever the journey; each
journey also holds back its own share (`holdout`). Both walk the journey with those steps suppressed,
so their conversion is measured the same way as the treated members'.
"""

from __future__ import annotations

import hashlib

BUCKETS = 10_000


def bucket(salt: str, scope: str, member_id: int) -> int:
    """The member's bucket (0..9999) for a scope ('global', 'journey:12', 'split:12:a')."""
    digest = hashlib.sha256(f"{salt}:{scope}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def arm(salt: str, journey_id: int, member_id: int, holdout_percent: float, global_percent: float) -> str:
    """treatment, holdout (the journey's control group) or global (the chain's)."""
    if bucket(salt, "global", member_id) < global_percent * BUCKETS / 100:
        return "global"
    if bucket(salt, f"journey:{journey_id}", member_id) < holdout_percent * BUCKETS / 100:
        return "holdout"
    return "treatment"


def branch(salt: str, journey_id: int, node_id: str, member_id: int, shares: list[float]) -> int:
    """Which arm of a random split (by index) the member takes: stable, proportional to `shares`."""
    point = bucket(salt, f"split:{journey_id}:{node_id}", member_id) / BUCKETS * sum(shares)
    edge = 0.0
    for i, share in enumerate(shares):
        edge += share
        if point < edge:
            return i
    return len(shares) - 1
