"""Codes a cashier can type: AISLE-XXXX-XXXX from letters and digits that cannot be misread."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L, or U (which spells words): 30 symbols, 8 of them give 6.5e11 codes.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "AISLE"


def new_code() -> str:
    """A random code such as AISLE-7KQ2-9XTM."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(2))
    return "-".join((PREFIX, *groups))
