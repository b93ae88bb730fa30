"""Errors of the NEP-413 signing package.

DoranError (doran.errors)
 └── Nep413Error (ValueError)
      ├── Base58Error            the text is not base58 (names the position, never the text)
      ├── KeyFormatError         a public key or signature is not `ed25519:<base58>` of the right length
      │    └── SecretKeyFormatError  a secret key is malformed; the message never quotes any of it
      ├── NonceError             a nonce is not 32 bytes of standard base64, or a V1 field is out of range
      ├── TimestampError         a deadline is naive, out of range or not RFC 3339
      ├── PayloadError           `signed_data` is not a NEP-413 object of the shape the relay expects
      └── IntentError            a token_diff message breaks the solver's rules (signs, range, assets)
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = [
    "Base58Error",
    "IntentError",
    "KeyFormatError",
    "Nep413Error",
    "NonceError",
    "PayloadError",
    "SecretKeyFormatError",
    "TimestampError",
]


class Nep413Error(DoranError, ValueError):
    """Root of the errors of doran.nep413."""


class Base58Error(Nep413Error):
    """The text holds a character outside the Bitcoin base58 alphabet."""


class KeyFormatError(Nep413Error):
    """A public key or a signature string is not `ed25519:<base58>` of 32 (key) or 64 (signature) bytes."""


class SecretKeyFormatError(KeyFormatError):
    """A secret key string is malformed. Its message says what is wrong, never what the key is."""


class NonceError(Nep413Error):
    """A nonce is not 32 bytes of standard padded base64, or a versioned nonce field is out of range."""


class TimestampError(Nep413Error):
    """A deadline is a naive datetime, outside the i64-nanosecond range, or not an RFC 3339 string."""


class PayloadError(Nep413Error):
    """A `signed_data` object does not have the NEP-413 shape: standard, payload, public_key, signature."""


class IntentError(Nep413Error):
    """A token_diff message breaks a rule: signs, i128 range, zero delta, equal assets, account ids."""
