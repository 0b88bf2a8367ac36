"""Keys derived from the master secret, and the protection of phone numbers at rest."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"aisle-v1", info=purpose.encode()).derive(master)


@dataclass(frozen=True)
class Keys:
    """Separate keys per purpose, so a leaked JWT key reveals no phone number and vice versa."""

    jwt: bytes
    lookup: bytes
    encryption: bytes

    @classmethod
    def from_master(cls, master: bytes) -> Keys:
        return cls(
            jwt=_derive(master, "jwt-signing"),
            lookup=_derive(master, "phone-lookup-hmac"),
            encryption=_derive(master, "phone-encryption"),
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
