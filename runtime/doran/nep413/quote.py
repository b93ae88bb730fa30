"""A solver's quote, signed: token_diff message + versioned nonce + NEP-413 signature."""

from __future__ import annotations

import secrets

from doran.nep413.intent import TokenDiffIntent
from doran.nep413.keys import SigningKey
from doran.nep413.nonce import NonceV1
from doran.nep413.payload import Nep413Payload, SignedData, sign_payload

__all__ = ["INTENTS_CONTRACT", "quote_payload", "sign_quote"]

INTENTS_CONTRACT = "intents.near"


def quote_payload(
    intent: TokenDiffIntent, *, salt: bytes, random15: bytes, recipient: str = INTENTS_CONTRACT
) -> Nep413Payload:
    """The payload of a quote; its nonce expires with the intent (as the docs' market-maker example does).

    `salt` is intents.near's `current_salt()`; `random15` the nonce's 15 random bytes.
    """
    nonce = NonceV1.create(salt, intent.deadline, random15)
    return Nep413Payload(message=intent.to_message(), nonce=nonce.to_bytes(), recipient=recipient)


def sign_quote(
    key: SigningKey,
    intent: TokenDiffIntent,
    *,
    salt: bytes,
    recipient: str = INTENTS_CONTRACT,
    random15: bytes | None = None,
) -> SignedData:
    """Sign `intent` as a quote: the `signed_data` of a quote_response. Draws `random15` if not given."""
    if random15 is None:
        random15 = secrets.token_bytes(15)
    return sign_payload(key, quote_payload(intent, salt=salt, random15=random15, recipient=recipient))
