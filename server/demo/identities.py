"""Demo phone numbers, member card numbers and QR tokens: deterministic, valid and easy to type.

UK numbers use +44 7700 1xxxxx and +44 7700 3xxxxx: Ofcom's drama range (07700 900xxx) would be the
polite choice, but the phone library rejects it as unallocated, and every demo number must pass
`normalise_phone` so that look-ups can be tried.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import phonenumbers

from server.core.cards import luhn_digit

# Country names as the Online Retail source writes them, to the region whose mobile numbers we imitate.
_REGIONS = {
    "united kingdom": "GB", "channel islands": "GB", "eire": "IE", "ireland": "IE", "germany": "DE",
    "france": "FR", "spain": "ES", "netherlands": "NL", "belgium": "BE", "switzerland": "CH",
    "portugal": "PT", "australia": "AU", "norway": "NO", "italy": "IT", "finland": "FI", "cyprus": "CY",
    "sweden": "SE", "austria": "AT", "denmark": "DK", "japan": "JP", "poland": "PL", "israel": "IL",
    "usa": "US", "united states": "US", "hong kong": "HK", "singapore": "SG", "iceland": "IS",
    "canada": "CA", "greece": "GR", "malta": "MT", "united arab emirates": "AE", "rsa": "ZA",
    "south africa": "ZA", "lebanon": "LB", "lithuania": "LT", "brazil": "BR", "czech republic": "CZ",
    "bahrain": "BH", "saudi arabia": "SA", "china": "CN",
}  # fmt: skip


def card_number(serial: int) -> str:
    """A 12-digit member card number: '60', the 9-digit serial, and a Luhn check digit."""
    if not 0 <= serial < 10**9:
        raise ValueError(f"card serial {serial} does not fit in 9 digits")
    body = f"60{serial:09d}"
    return body + luhn_digit(body)


def uk_mobile(block: int, serial: int) -> str:
    """A UK demo mobile in E.164: +44 7700 <block> <serial as 5 digits>; block is 1 or 3."""
    if block not in (1, 3) or not 0 <= serial < 100_000:
        raise ValueError(f"no UK demo number for block {block}, serial {serial}")
    return f"+447700{block}{serial:05d}"


def cn_mobile(serial: int) -> str:
    """A Chinese demo mobile in E.164, +86 139 xxxx xxxx; distinct serials give distinct numbers."""
    if not 0 <= serial < 10**8:
        raise ValueError(f"no Chinese demo number for serial {serial}")
    # 7919 is coprime with 10**8, so this permutes the serials and the numbers do not look sequential.
    return f"+86139{(serial * 7919 + 20_240_101) % 10**8:08d}"


def region_for_country(country: str) -> str | None:
    """The phone region of a country as stores record it (a name such as 'EIRE', or an ISO code)."""
    text = country.strip()
    if len(text) == 2 and text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    return _REGIONS.get(text.lower())


def demo_phone(country: str, serial: int) -> str:
    """A valid mobile number for a member of a store in `country`, unique per serial below 100,000.

    Chinese members get 139 numbers; others the region's example mobile with the serial as its last
    five digits, falling back to a UK number where that would not be a valid number.
    """
    serial %= 100_000
    region = region_for_country(country)
    if region == "CN":
        return cn_mobile(serial)
    if region and region != "GB":
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is not None:
            national = str(example.national_number)
            if len(national) > 6:
                candidate = phonenumbers.parse(f"+{example.country_code}{national[:-5]}{serial:05d}")
                if phonenumbers.is_valid_number(candidate):
                    return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    return uk_mobile(1, serial)


def serial_from_ref(external_ref: str | None) -> int | None:
    """The customer number at the end of an imported member's reference ('online-retail:17850')."""
    match = re.search(r"(\d+)(?:\.0)?$", external_ref or "")
    return int(match.group(1)) if match else None


def qr_token(secret: bytes, member_key: str) -> str:
    """A member's QR token: keyed by the installation's secret, so nobody can compute another's."""
    return hmac.new(secret, f"aisle-demo-qr:{member_key}".encode(), hashlib.sha256).hexdigest()[:32]


def pretty_phone(e164: str) -> str:
    """A number as people write it, e.g. '+44 7700 117850' or '+86 139 1234 5678'."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
