"""The NEP-413 payload, its prehash and signature, and the `signed_data` object the relay expects.

prehash = sha256(borsh((2**31 + 413, message, nonce[32], recipient, Option<callback_url>)))
(near/NEPs `neps/nep-0413.md`; near/intents `crates/signatures/nep413/src/lib.rs` `Nep413::prehash`).
The signature is pure Ed25519 over those 32 bytes, and the quote hash is their base58.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from doran.nep413.base58 import b58encode
from doran.nep413.errors import KeyFormatError, NonceError, PayloadError
from doran.nep413.keys import PublicKey, SigningKey, format_signature, parse_signature
from doran.nep413.nonce import NONCE_LENGTH, nonce_from_base64, nonce_to_base64

__all__ = ["NEP413_TAG", "Nep413Payload", "SignedData", "sign_payload"]

# NEP-461 prefix tag: 2**31 + NEP number, so a signed message can never be a valid transaction.
NEP413_TAG = 2**31 + 413
_U32 = struct.Struct("<I")


def _borsh_string(text: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) > 0xFFFFFFFF:
        raise PayloadError(f"A borsh string holds at most 2**32 - 1 bytes, got {len(data)}")
    return _U32.pack(len(data)) + data


@dataclass(frozen=True, slots=True)
class Nep413Payload:
    """What a NEP-413 signature covers; field order is the borsh order."""

    message: str
    nonce: bytes
    recipient: str
    callback_url: str | None = None

    def __post_init__(self) -> None:
        if len(self.nonce) != NONCE_LENGTH:
            raise NonceError(f"A NEP-413 nonce has {NONCE_LENGTH} bytes, got {len(self.nonce)}")

    def borsh(self) -> bytes:
        """The borsh bytes of (tag, payload): a fixed-size nonce has no length prefix."""
        callback = b"\0" if self.callback_url is None else b"\1" + _borsh_string(self.callback_url)
        return b"".join(
            (
                _U32.pack(NEP413_TAG),
                _borsh_string(self.message),
                bytes(self.nonce),
                _borsh_string(self.recipient),
                callback,
            )
        )

    def prehash(self) -> bytes:
        """SHA-256 of `borsh()`: the 32 bytes that are signed, and the contract's intent hash."""
        return hashlib.sha256(self.borsh()).digest()

    def to_json(self) -> dict[str, str]:
        """The `payload` member of `signed_data`; `callbackUrl` only when set (serde camelCase)."""
        body = {"message": self.message, "nonce": nonce_to_base64(self.nonce), "recipient": self.recipient}
        if self.callback_url is not None:
            body["callbackUrl"] = self.callback_url
        return body


def _string(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise PayloadError(f"{where}.{key} must be a string, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class SignedData:
    """A signed NEP-413 payload: the `signed_data` of a quote_response (the contract's MultiPayload)."""

    payload: Nep413Payload
    public_key: PublicKey
    signature: bytes

    def __post_init__(self) -> None:
        if len(self.signature) != 64:
            raise KeyFormatError(f"An ed25519 signature has 64 bytes, got {len(self.signature)}")

    @property
    def quote_hash(self) -> str:
        """base58 of the prehash: the `quote_hash` a quote_status event names."""
        return b58encode(self.payload.prehash())

    def verify(self) -> bool:
        """Whether `signature` is `public_key`'s signature of the payload's prehash."""
        return self.public_key.verify(self.signature, self.payload.prehash())

    def to_json(self) -> dict[str, Any]:
        """The JSON object for `signed_data`."""
        return {
            "standard": "nep413",
            "payload": self.payload.to_json(),
            "signature": format_signature(self.signature),
            "public_key": str(self.public_key),
        }

    @classmethod
    def from_json(cls, obj: Any) -> SignedData:
        """Parse a `signed_data` object; unknown members are ignored, as serde ignores them."""
        if not isinstance(obj, Mapping):
            raise PayloadError(f"signed_data must be a JSON object, got {type(obj).__name__}")
        if obj.get("standard") != "nep413":
            raise PayloadError(f"signed_data.standard must be 'nep413', got {obj.get('standard')!r}")
        body = obj.get("payload")
        if not isinstance(body, Mapping):
            raise PayloadError(f"signed_data.payload must be a JSON object, got {type(body).__name__}")
        callback = body.get("callbackUrl")
        if callback is not None and not isinstance(callback, str):
            raise PayloadError(f"signed_data.payload.callbackUrl must be a string, got {callback!r}")
        try:
            payload = Nep413Payload(
                message=_string(body, "message", "signed_data.payload"),
                nonce=nonce_from_base64(_string(body, "nonce", "signed_data.payload")),
                recipient=_string(body, "recipient", "signed_data.payload"),
                callback_url=callback,
            )
            public_key = PublicKey.parse(_string(obj, "public_key", "signed_data"))
            signature = parse_signature(_string(obj, "signature", "signed_data"))
        except (NonceError, KeyFormatError) as exc:
            raise PayloadError(f"signed_data: {exc}") from exc
        return cls(payload, public_key, signature)


def sign_payload(key: SigningKey, payload: Nep413Payload) -> SignedData:
    """Sign `payload` with `key`: pure Ed25519 over its 32-byte prehash."""
    return SignedData(payload, key.public_key, key.sign(payload.prehash()))
