"""Offer codes a cashier can type: AISLE-XXXX-XXXX from letters and digits that cannot be misread."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from server.core.errors import Conflict
from server.offers import repository as repo

# No 0/O, 1/I/L, or U (which spells words): 30 symbols, 8 of them give 6.5e11 codes.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "AISLE"
ATTEMPTS = 5


def new_code() -> str:
    """A random code such as AISLE-7KQ2-9XTM."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(2))
    return "-".join((PREFIX, *groups))


def unused_code(session: Session) -> str:
    """A fresh code no stored offer has (a clash is astronomically rare; a few tries settle it)."""
    for _ in range(ATTEMPTS):
        code = new_code()
        if not repo.code_taken(session, code):
            return code
    raise Conflict("could not find an unused offer code; try again")
