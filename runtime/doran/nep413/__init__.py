"""NEP-413 signing for NEAR Intents quotes: keys, nonces, payloads, token_diff messages, a verifier.

Pure: no I/O and no clock; time is a parameter and randomness is drawn only by `sign_quote`
when the caller gives none. Follows near/NEPs `nep-0413.md` and the intents.near contract (near/intents).
"""

from __future__ import annotations

from doran.nep413.errors import (
    Base58Error,
    IntentError,
    KeyFormatError,
    Nep413Error,
    NonceError,
    PayloadError,
    SecretKeyFormatError,
    TimestampError,
)
from doran.nep413.intent import TokenDiffIntent
from doran.nep413.keys import PublicKey, SigningKey
from doran.nep413.nonce import NonceV1, decode_nonce, parse_salt
from doran.nep413.payload import Nep413Payload, SignedData, sign_payload
from doran.nep413.quote import INTENTS_CONTRACT, quote_payload, sign_quote
from doran.nep413.verify import Accepted, Refusal, Refused, Verdict, judge_signed_data

__all__ = [
    "INTENTS_CONTRACT",
    "Accepted",
    "Base58Error",
    "IntentError",
    "KeyFormatError",
    "Nep413Error",
    "Nep413Payload",
    "NonceError",
    "NonceV1",
    "PayloadError",
    "PublicKey",
    "Refusal",
    "Refused",
    "SecretKeyFormatError",
    "SignedData",
    "SigningKey",
    "TimestampError",
    "TokenDiffIntent",
    "Verdict",
    "decode_nonce",
    "judge_signed_data",
    "parse_salt",
    "quote_payload",
    "sign_payload",
    "sign_quote",
]
