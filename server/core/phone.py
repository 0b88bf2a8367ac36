"""Phone numbers: normalised to E.164 so "138 0013 8000", "+86 138-0013-8000" and "008613800138000" match."""

from __future__ import annotations

import re

import phonenumbers

from server.core.errors import InvalidInput


def normalise_phone(raw: str, default_region: str = "CN") -> str:
    """The E.164 form of `raw` (e.g. '+8613800138000'), or InvalidInput saying why it is not a number."""
    # Separators people type: spaces, dashes, dots, brackets ("(+44) 7700-900 123").
    text = re.sub(r"[\s\-().\u3000]", "", raw or "")
    if not text:
        raise InvalidInput("phone number is empty")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"{raw!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        hint = "" if text.startswith("+") else f" (read as a {default_region} number: add +country code)"
        raise InvalidInput(f"{raw!r} is not a valid phone number{hint}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """A phone as a clerk may see it: every national digit hidden but the last four, e.g. *******8000."""
    try:
        number = phonenumbers.parse(e164, None)
        national = str(number.national_number)
    except phonenumbers.NumberParseException:
        national = "".join(ch for ch in e164 if ch.isdigit())
    # The last four tell two members apart at the till; any more and the rest can be guessed in a few
    # hundred look-ups (a short number keeps only two).
    shown = 4 if len(national) >= 8 else 2
    return "*" * max(len(national) - shown, 0) + national[-shown:]
