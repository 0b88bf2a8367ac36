"""Demo phone numbers, cards and logins: valid, distinct and stable."""

from __future__ import annotations

import pytest

from server.core.cards import luhn_digit
from server.core.errors import InvalidInput
from server.core.phone import normalise_phone
from server.demo.identities import (
    _REGIONS,
    card_number,
    cn_mobile,
    demo_phone,
    pretty_phone,
    qr_token,
    serial_from_ref,
    uk_mobile,
)
from server.demo.team import TeamStore, demo_accounts, demo_password, store_slug


@pytest.mark.parametrize("country", sorted(set(_REGIONS) | {"Unspecified", "European Community", "DE", ""}))
def test_every_country_gets_valid_distinct_numbers(country: str) -> None:
    numbers = [demo_phone(country, serial) for serial in (0, 12346, 12347, 17850, 18287, 99999)]
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert normalise_phone(number) == number  # valid, already E.164


def test_uk_members_get_07700_numbers_from_their_customer_number() -> None:
    assert demo_phone("United Kingdom", 17850) == "+447700117850"
    assert pretty_phone("+447700117850") == "+44 7700 117850"
    assert demo_phone("Unspecified", 17850) == "+447700117850"  # no country: a UK number
    assert demo_phone("EIRE", 17850).startswith("+353")
    assert demo_phone("China", 5).startswith("+86139")


def test_the_drama_range_would_not_pass_validation() -> None:
    # Why the demo does not use Ofcom's 07700 900xxx: the phone library rejects it.
    with pytest.raises(InvalidInput):
        normalise_phone("+447700900123")


def test_chinese_numbers_are_a_permutation() -> None:
    numbers = {cn_mobile(serial) for serial in range(5000)}
    assert len(numbers) == 5000
    assert all(normalise_phone(n) == n for n in list(numbers)[:200])
    assert pretty_phone(cn_mobile(1)).startswith("+86 139 ")


def test_out_of_range_serials_are_refused() -> None:
    with pytest.raises(ValueError):
        uk_mobile(9, 1)
    with pytest.raises(ValueError):
        uk_mobile(1, 100_000)
    with pytest.raises(ValueError):
        card_number(10**9)


def test_card_numbers_carry_a_luhn_check_digit() -> None:
    card = card_number(17850)
    assert card == "600000178506"
    assert luhn_digit(card[:-1]) == card[-1]
    assert luhn_digit("7992739871") == "3"  # the textbook example
    wrong = card[:-2] + str((int(card[-2]) + 1) % 10) + card[-1]
    assert luhn_digit(wrong[:-1]) != wrong[-1]


def test_customer_numbers_from_references() -> None:
    assert serial_from_ref("online-retail:17850") == 17850
    assert serial_from_ref("online-retail:17850.0") == 17850
    assert serial_from_ref("pos:abc") is None
    assert serial_from_ref(None) is None


def test_qr_tokens_depend_on_the_secret() -> None:
    assert qr_token(b"k" * 32, "online-retail:1") == qr_token(b"k" * 32, "online-retail:1")
    assert qr_token(b"k" * 32, "online-retail:1") != qr_token(b"k" * 32, "online-retail:2")
    assert qr_token(b"k" * 32, "online-retail:1") != qr_token(b"j" * 32, "online-retail:1")


def test_store_slugs_for_logins() -> None:
    assert store_slug("SH-JINGAN") == "sh"
    assert store_slug("LDN-COVENT-GARDEN") == "ldn"
    assert store_slug("OR-UNITED-KINGDOM") == "uk"
    assert store_slug("OR-EIRE") == "eire"
    assert store_slug("OR-GERMANY") == "germany"


def test_demo_accounts_cover_every_role_per_store() -> None:
    stores = [
        TeamStore(1, "SH-JINGAN", "上海静安店", "zh"),
        TeamStore(2, "OR-FRANCE", "Online Retail France", "en"),
    ]
    accounts = demo_accounts(stores)
    assert [a.login for a in accounts[:2]] == ["admin", "analyst"]
    assert accounts[0].store_id is None and accounts[1].store_id is None
    by_login = {a.login: a for a in accounts}
    assert len(by_login) == len(accounts) == 10
    assert by_login["sh.vip"].display_name == "刘婷" and by_login["sh.vip"].locale == "zh"
    assert by_login["france.manager"].store_id == 2 and by_login["france.manager"].locale == "en"
    assert all(a.password == demo_password(a.login) and len(a.password) >= 8 for a in accounts)
