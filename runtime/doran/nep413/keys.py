"""NEAR ed25519 keys: `ed25519:<base58>` strings parsed into a signing key and a public key.

A NEAR secret key is base58 of 64 bytes, seed ‖ public key (near-api-js `KeyPairEd25519`); a bare
32-byte seed is accepted too. Secret text never appears in a message, a repr or an exception chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from doran.nep413.base58 import b58decode, b58encode
from doran.nep413.errors import Base58Error, KeyFormatError, SecretKeyFormatError

if TYPE_CHECKING:
    from pydantic import SecretStr

__all__ = [
    "ED25519_PREFIX",
    "PublicKey",
    "SigningKey",
    "format_signature",
    "parse_signature",
]

ED25519_PREFIX = "ed25519:"
_KEY_LENGTH = 32
_SIGNATURE_LENGTH = 64


def _decode_prefixed(text: str, what: str, length: int) -> bytes:
    if not text.startswith(ED25519_PREFIX):
        raise KeyFormatError(f"{what} {text!r} must start with {ED25519_PREFIX!r}")
    try:
        raw = b58decode(text[len(ED25519_PREFIX) :])
    except Base58Error as exc:
        raise KeyFormatError(f"{what} {text!r}: {exc}") from None
    if len(raw) != length:
        raise KeyFormatError(f"{what} {text!r} decodes to {len(raw)} bytes, expected {length}")
    return raw


def parse_signature(text: str) -> bytes:
    """The 64 raw bytes of an `ed25519:<base58>` signature string."""
    return _decode_prefixed(text, "Signature", _SIGNATURE_LENGTH)


def format_signature(signature: bytes) -> str:
    """`ed25519:<base58>` of a 64-byte signature, as `signed_data.signature` carries it."""
    if len(signature) != _SIGNATURE_LENGTH:
        raise KeyFormatError(f"An ed25519 signature has {_SIGNATURE_LENGTH} bytes, got {len(signature)}")
    return ED25519_PREFIX + b58encode(signature)


@dataclass(frozen=True, slots=True, repr=False)
class PublicKey:
    """A 32-byte ed25519 public key; `str()` is its NEAR form `ed25519:<base58>`."""

    raw: bytes
    _key: Ed25519PublicKey = field(init=False, compare=False)
    _text: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "raw", bytes(self.raw))  # a bytearray would make the key unhashable
        if len(self.raw) != _KEY_LENGTH:
            raise KeyFormatError(f"An ed25519 public key has {_KEY_LENGTH} bytes, got {len(self.raw)}")
        # Built once: verifying is then only the curve arithmetic, and every signed quote names the key.
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.raw))
        object.__setattr__(self, "_text", ED25519_PREFIX + b58encode(self.raw))

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """Parse `ed25519:<base58 of 32 bytes>`."""
        return cls(_decode_prefixed(text, "Public key", _KEY_LENGTH))

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether `signature` is this key's pure-Ed25519 signature of `data`."""
        if len(signature) != _SIGNATURE_LENGTH:
            return False
        try:
            self._key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"PublicKey({str(self)!r})"


class SigningKey:
    """An ed25519 private key that signs; its repr and str show the public key only."""

    __slots__ = ("_private", "public_key")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public_key = PublicKey(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """The key of a 32-byte RFC 8032 seed."""
        if len(seed) != _KEY_LENGTH:
            raise SecretKeyFormatError(f"An ed25519 seed has {_KEY_LENGTH} bytes, got {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def parse(cls, text: str) -> SigningKey:
        """Parse a NEAR secret key `ed25519:<base58 of seed ‖ public key, or of the seed alone>`."""
        if not isinstance(text, str):
            raise SecretKeyFormatError(f"A NEAR secret key is a string, got {type(text).__name__}")
        text = text.strip()  # keys read from files and env vars often end in a newline
        if not text.startswith(ED25519_PREFIX):
            raise SecretKeyFormatError(f"A NEAR secret key must start with {ED25519_PREFIX!r}")
        try:
            raw = b58decode(text[len(ED25519_PREFIX) :])
        except Base58Error as exc:
            # `from None`: the chained error must not carry any part of the key either.
            raise SecretKeyFormatError(f"The NEAR secret key is not valid base58: {exc}") from None
        if len(raw) not in (_KEY_LENGTH, 2 * _KEY_LENGTH):
            raise SecretKeyFormatError(
                f"The NEAR secret key decodes to {len(raw)} bytes, expected 64 (seed and public key) or 32"
            )
        key = cls.from_seed(raw[:_KEY_LENGTH])
        if len(raw) == 2 * _KEY_LENGTH and raw[_KEY_LENGTH:] != key.public_key.raw:
            raise SecretKeyFormatError(
                "The NEAR secret key is corrupt: its last 32 bytes are not the public key of its seed"
            )
        return key

    @classmethod
    def from_secret(cls, secret: SecretStr) -> SigningKey:
        """Parse a secret key held in a pydantic `SecretStr`, revealing it only to this parser."""
        return cls.parse(secret.get_secret_value())

    def sign(self, data: bytes) -> bytes:
        """The 64-byte pure-Ed25519 (RFC 8032) signature of `data`."""
        return self._private.sign(data)

    def __repr__(self) -> str:
        return f"SigningKey(public_key={str(self.public_key)!r})"

    __str__ = __repr__
