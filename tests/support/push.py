"""A browser's side of Web Push in the tests: its subscription keys, and the decryption of what
the push service received (RFC 8291, aes128gcm)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

import http_ece
import orjson
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass
class Browser:
    """A browser's push subscription: its keys decrypt what the push service receives."""
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    @property
    def p256dh(self) -> str:
        return b64(self.key.public_key().public_bytes(Encoding.X962,
                                                      PublicFormat.UncompressedPoint))

    def read(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                 version="aes128gcm")
        found: dict[str, Any] = orjson.loads(plain)
        return found
