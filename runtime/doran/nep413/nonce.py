"""Intent nonces: the versioned nonce V1 the contract checks, and legacy nonces it still accepts.

V1 layout (near/intents `contracts/defuse/core/src/nonce/versioned.rs`, `contracts/defuse/README.md`):
    56 28 f6 c6 | 00 | salt[4] | deadline: i64 little-endian nanoseconds [8] | random[15]
Any other 32 bytes are a legacy nonce: accepted today, "prohibited in the near future" (same README).
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from doran.nep413._time import unix_ns
from doran.nep413.errors import NonceError

__all__ = [
    "NONCE_LENGTH",
    "VERSIONED_MAGIC",
    "NonceV1",
    "decode_nonce",
    "nonce_from_base64",
    "nonce_to_base64",
    "parse_salt",
]

VERSIONED_MAGIC = bytes.fromhex("5628f6c6")
NONCE_LENGTH = 32
_V1 = 0
_SALT_LENGTH = 4
_RANDOM_LENGTH = 15
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
_V1_BODY = struct.Struct("<B4sq15s")  # version, salt, deadline, random: 28 bytes after the magic
_SALT_HEX = re.compile(r"[0-9a-fA-F]{8}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_salt(text: str) -> bytes:
    """The 4 bytes of a salt as intents.near's `current_salt` view returns it: 8 hex digits."""
    if not _SALT_HEX.fullmatch(text):
        raise NonceError(f"Salt {text!r} is not 8 hex digits (4 bytes) like '252812b3'")
    return bytes.fromhex(text)


@dataclass(frozen=True, slots=True)
class NonceV1:
    """A versioned nonce V1: valid while its salt is valid and its deadline has not passed."""

    salt: bytes
    deadline_ns: int
    random: bytes

    def __post_init__(self) -> None:
        if len(self.salt) != _SALT_LENGTH:
            raise NonceError(f"A nonce salt has {_SALT_LENGTH} bytes, got {len(self.salt)}")
        if len(self.random) != _RANDOM_LENGTH:
            raise NonceError(f"A nonce V1 needs {_RANDOM_LENGTH} random bytes, got {len(self.random)}")
        if not _I64_MIN <= self.deadline_ns <= _I64_MAX:
            raise NonceError(f"Nonce deadline {self.deadline_ns} ns does not fit the i64 the contract reads")

    @classmethod
    def create(cls, salt: bytes, deadline: datetime, random15: bytes) -> NonceV1:
        """A nonce expiring at `deadline` (aware); `random15` comes from the caller (`secrets`)."""
        return cls(bytes(salt), unix_ns(deadline), bytes(random15))

    @classmethod
    def from_bytes(cls, raw: bytes) -> NonceV1:
        """Decode 32 bytes that must be a V1 nonce."""
        nonce = decode_nonce(raw)
        if nonce is None:
            raise NonceError(f"Nonce {raw.hex()} is a legacy nonce, not a versioned nonce V1")
        return nonce

    @property
    def deadline(self) -> datetime:
        """The deadline as an aware UTC datetime (nanoseconds below the microsecond are dropped)."""
        return _EPOCH + timedelta(microseconds=self.deadline_ns // 1000)

    def to_bytes(self) -> bytes:
        """The 32 bytes the payload carries."""
        return VERSIONED_MAGIC + _V1_BODY.pack(_V1, self.salt, self.deadline_ns, self.random)

    def to_base64(self) -> str:
        """The nonce as `payload.nonce` carries it: standard base64 with padding."""
        return nonce_to_base64(self.to_bytes())


def decode_nonce(raw: bytes) -> NonceV1 | None:
    """The V1 nonce in `raw`, or None for a legacy nonce, judged as the contract judges it.

    `VersionedNonce::maybe_from` treats bytes with the magic prefix but an unknown version as
    legacy (their borsh decoding fails), so this does too.
    """
    if len(raw) != NONCE_LENGTH:
        raise NonceError(f"A nonce has {NONCE_LENGTH} bytes, got {len(raw)}")
    if raw[: len(VERSIONED_MAGIC)] != VERSIONED_MAGIC or raw[len(VERSIONED_MAGIC)] != _V1:
        return None
    _, salt, deadline_ns, random = _V1_BODY.unpack(raw[len(VERSIONED_MAGIC) :])
    return NonceV1(salt, deadline_ns, random)


def nonce_to_base64(raw: bytes) -> str:
    """Standard padded base64 of a 32-byte nonce."""
    if len(raw) != NONCE_LENGTH:
        raise NonceError(f"A nonce has {NONCE_LENGTH} bytes, got {len(raw)}")
    return base64.b64encode(raw).decode("ascii")


def nonce_from_base64(text: str) -> bytes:
    """The 32 bytes of a nonce in standard padded base64; other spellings of the same bytes are refused."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NonceError(f"Nonce {text!r} is not standard base64 with padding") from None
    # Canonical only: the contract's decoder refuses stray trailing bits, so a second spelling would
    # name the same nonce here and be refused there.
    if len(raw) != NONCE_LENGTH or base64.b64encode(raw).decode("ascii") != text:
        raise NonceError(f"Nonce {text!r} is not the base64 of exactly {NONCE_LENGTH} bytes")
    return raw
