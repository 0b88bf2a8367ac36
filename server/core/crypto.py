"""Keys derived from the master secret, and the protection of phone numbers and free text at rest."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12
# Marks sealed free text in a text column: a value with it is never sealed again, one without it is a
# row written before encryption (kept readable until the start-up pass seals it).
SEALED = "sealed1:"
# What each kind of sealed text is bound to (AES-GCM's associated data): a note pasted into a chat
# column does not open.
NOTE = "interaction-note"
CHAT = "chat-text"


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"aisle-v1", info=purpose.encode()).derive(master)


@dataclass(frozen=True)
class Keys:
    """Separate keys per purpose, so a leaked JWT key reveals no phone number and vice versa."""

    jwt: bytes
    lookup: bytes
    encryption: bytes
    text: bytes  # interaction notes and chat text

    @classmethod
    def from_master(cls, master: bytes) -> Keys:
        return cls(
            jwt=_derive(master, "jwt-signing"),
            lookup=_derive(master, "phone-lookup-hmac"),
            encryption=_derive(master, "phone-encryption"),
            text=_derive(master, "free-text-encryption"),
        )

    def phone_hash(self, normalised_phone: str) -> str:
        """The keyed hash stored beside the ciphertext and used to find a member by phone."""
        return hmac.new(self.lookup, normalised_phone.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str) -> bytes:
        """AES-256-GCM with a random nonce; the nonce is stored in front of the ciphertext."""
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(self.encryption).encrypt(nonce, plaintext.encode(), b"aisle-phone")

    def decrypt(self, blob: bytes) -> str:
        return AESGCM(self.encryption).decrypt(blob[:_NONCE], blob[_NONCE:], b"aisle-phone").decode()

    def seal(self, text: str, purpose: str) -> str:
        """Free text as AES-256-GCM, base64 behind the SEALED mark; an empty text stays empty."""
        if not text:
            return text
        nonce = os.urandom(_NONCE)
        blob = nonce + AESGCM(self.text).encrypt(nonce, text.encode(), purpose.encode())
        return SEALED + base64.b64encode(blob).decode("ascii")

    def unseal(self, value: str, purpose: str) -> str:
        """The text `seal` sealed; a value without the SEALED mark (written before encryption) as it is."""
        if not is_sealed(value):
            return value
        try:
            blob = base64.b64decode(value[len(SEALED) :], validate=True)
        except binascii.Error as exc:
            raise ValueError("a sealed text that is not base64") from exc
        return AESGCM(self.text).decrypt(blob[:_NONCE], blob[_NONCE:], purpose.encode()).decode()


def is_sealed(value: str | None) -> bool:
    """Whether a stored text value is sealed (so must not be sealed again)."""
    return value is not None and value.startswith(SEALED)
