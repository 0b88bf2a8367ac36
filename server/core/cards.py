"""Member card numbers carry a Luhn check digit, so a mistyped card is caught at the till."""

from __future__ import annotations


def luhn_digit(digits: str) -> str:
    """The Luhn check digit for a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def is_valid_card(card: str) -> bool:
    """True when `card` is all digits and its last digit is the Luhn check digit of the rest."""
    return len(card) >= 2 and card.isdigit() and luhn_digit(card[:-1]) == card[-1]
