"""Settings give clear errors; phone numbers are normalised, masked, hashed and encrypted."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from server.config import Settings
from server.core.crypto import Keys
from server.core.errors import ConfigurationError, InvalidInput
from server.core.phone import mask_phone, normalise_phone
from server.db.session import check_connection, make_engine


def _settings(tmp_path: Path, **kwargs: object) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **kwargs)  # type: ignore[call-arg, arg-type]


def test_database_url_that_is_not_a_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="is not a database URL"):
        _settings(tmp_path, database_url="aisle.db")


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    assert _settings(tmp_path).resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'aisle.db'}"


def test_libpq_urls_use_the_psycopg_driver(tmp_path: Path) -> None:
    s = _settings(tmp_path, database_url="postgresql://u:p@db/aisle")
    assert s.resolved_database_url == "postgresql+psycopg://u:p@db/aisle"


def test_unknown_driver_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="cannot be used"):
        make_engine("mysql+nosuchdriver://u:p@localhost/aisle")


def test_unreachable_database_names_the_url_without_the_password() -> None:
    engine = make_engine("postgresql+psycopg://aisle:hunter2@127.0.0.1:9/aisle?connect_timeout=2")
    with pytest.raises(ConfigurationError) as info:
        check_connection(engine)
    assert "cannot connect to the database at postgresql+psycopg://aisle:***@127.0.0.1:9/aisle" in str(
        info.value
    )
    assert "hunter2" not in str(info.value)


def test_master_secret_file_is_created_once_and_private(tmp_path: Path) -> None:
    first = _settings(tmp_path).master_secret()
    assert _settings(tmp_path).master_secret() == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


def test_short_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="at least 16"):
        _settings(tmp_path, secret_key=SecretStr("short")).master_secret()


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("(+44) 7911-123 456", "+447911123456"),
        ("+1 415 555 0100", "+14155550100"),
    ],
)
def test_phone_numbers_normalise_to_e164(raw: str, e164: str) -> None:
    assert normalise_phone(raw, "CN") == e164


@pytest.mark.parametrize("raw", ["", "12345", "call me", "+86 138"])
def test_bad_phone_numbers_are_refused_with_the_reason(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_phone(raw, "CN")


def test_mask_shows_only_the_last_four_digits() -> None:
    assert mask_phone("+8613800138000") == "*******8000"
    assert mask_phone("+447911123456") == "******3456"
    assert mask_phone("+352261234") == "****34"  # a short number keeps only two


def test_phone_encryption_round_trip_and_keyed_hash() -> None:
    keys = Keys.from_master(b"0123456789abcdef0123456789abcdef")
    other = Keys.from_master(b"another-master-secret-0123456789")
    blob = keys.encrypt("+8613800138000")
    assert b"13800138000" not in blob
    assert keys.decrypt(blob) == "+8613800138000"
    assert keys.encrypt("+8613800138000") != blob  # random nonce
    assert keys.phone_hash("+8613800138000") == keys.phone_hash("+8613800138000")
    assert keys.phone_hash("+8613800138000") != other.phone_hash("+8613800138000")
    assert len({keys.jwt, keys.lookup, keys.encryption}) == 3
