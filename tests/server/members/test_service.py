"""Member service helpers the demo and importer reuse."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from server.core.cards import luhn_digit
from server.core.context import AppContext
from server.core.errors import Conflict, InvalidInput
from server.members.service import create_member, phone_fields
from tests.fixtures.factories import make_store


def test_phone_fields_encrypt_and_hash_the_normalised_number(context: AppContext) -> None:
    keys = context.keys
    blob, digest = phone_fields(keys, "138 0013 8000", "CN")
    again, same_digest = phone_fields(keys, "+86-138-0013-8000", "GB")
    assert keys.decrypt(blob) == keys.decrypt(again) == "+8613800138000"
    assert blob != again  # a fresh nonce each time
    assert digest == same_digest == keys.phone_hash("+8613800138000")
    with pytest.raises(InvalidInput):
        phone_fields(keys, "0000", "CN")


def test_luhn_digit() -> None:
    assert luhn_digit("7992739871") == "3"
    assert luhn_digit("0") == "0"


def test_create_member_without_phone_and_with_duplicates(session: Session, context: AppContext) -> None:
    store = make_store(session, timezone="Asia/Shanghai")
    keys = context.keys
    plain = create_member(session, keys, region="CN", name=" Imported ", phone=None, home_store_id=store.id)
    assert plain.name == "Imported" and plain.phone_hash is None and plain.card_number and plain.qr_token
    create_member(session, keys, region="CN", name="A", phone="13800138000", home_store_id=store.id)
    with pytest.raises(Conflict, match="^phone"):
        create_member(session, keys, region="CN", name="B", phone="+8613800138000", home_store_id=None)
    with pytest.raises(InvalidInput, match="store 777777"):
        create_member(session, keys, region="CN", name="C", phone=None, home_store_id=777777)
