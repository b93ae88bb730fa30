"""Judge a received quote's `signed_data` as intents.near would before executing it (relay simulator).

The checks run in the contract's order (near/intents `contracts/defuse/core/src/engine/mod.rs`,
`Engine::execute_signed_intent`), so the first failing one is the error the chain would return.
Error texts are the contract's (`contracts/defuse/core/src/error.rs`, `DefuseError`), except the detail
after "JSON: ", which is serde's there and ours here. Not modelled: balances, fees, the batch-wide
`invariant violated` check, intents other than token_diff, and removed implicit keys.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from doran.nep413._time import parse_rfc3339_ns, unix_ns
from doran.nep413.errors import IntentError, TimestampError
from doran.nep413.intent import check_token_id, is_account_id, parse_delta
from doran.nep413.keys import PublicKey
from doran.nep413.nonce import decode_nonce
from doran.nep413.payload import SignedData
from doran.nep413.quote import INTENTS_CONTRACT

__all__ = ["Accepted", "Refusal", "Refused", "Verdict", "judge_signed_data"]

# The variants of `Intent` (contracts/defuse/core/src/intents/mod.rs); only token_diff is simulated.
_INTENT_KINDS = frozenset(
    {
        "add_public_key", "remove_public_key", "transfer", "ft_withdraw", "nft_withdraw", "mt_withdraw",
        "native_withdraw", "storage_deposit", "token_diff", "set_auth_by_predecessor_id", "auth_call",
        "imt_mint", "imt_burn",
    }
)  # fmt: skip


class Refusal(StrEnum):
    """Why a quote was refused; each names the `DefuseError` variant it stands for."""

    INVALID_SIGNATURE = "InvalidSignature"
    MALFORMED = "JSON"
    WRONG_VERIFYING_CONTRACT = "WrongVerifyingContract"
    DEADLINE_EXPIRED = "DeadlineExpired"
    PUBLIC_KEY_NOT_EXIST = "PublicKeyNotExist"
    INVALID_SALT = "InvalidSalt"
    DEADLINE_GREATER_THAN_NONCE = "DeadlineGreaterThanNonce"
    NONCE_EXPIRED = "NonceExpired"
    NONCE_USED = "NonceUsed"
    INVALID_INTENT = "InvalidIntent"
    UNSUPPORTED_INTENT = "Unsupported"  # the simulator's own: the contract would go on executing


@dataclass(frozen=True, slots=True)
class Accepted:
    """The contract would execute the intent (balances and batch invariant aside)."""

    quote_hash: str
    signer_id: str
    nonce: bytes
    ok: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Refused:
    """The contract would refuse; `error` is its error string."""

    reason: Refusal
    error: str
    ok: ClassVar[bool] = False


Verdict = Accepted | Refused


class _Malformed(Exception):
    """The message does not deserialize the way the contract's serde would read it."""


def judge_signed_data(
    signed: SignedData,
    *,
    public_keys: Mapping[str, Collection[PublicKey]],
    now: datetime,
    used_nonces: Mapping[str, Collection[bytes]],
    valid_salts: Collection[bytes],
    verifying_contract: str = INTENTS_CONTRACT,
) -> Verdict:
    """Judge `signed` at `now`. `public_keys` and `used_nonces` are per account, as the contract keeps them;
    `valid_salts` are 4-byte salts (see `parse_salt`).
    """
    now_ns = unix_ns(now)
    if not signed.verify():
        return Refused(Refusal.INVALID_SIGNATURE, "invalid signature")
    try:
        signer_id, deadline_ns, intents = _read_message(signed.payload.message)
        if not is_account_id(signed.payload.recipient):
            raise _Malformed(f"invalid value: string {signed.payload.recipient!r}, expected AccountId")
    except _Malformed as exc:
        return Refused(Refusal.MALFORMED, f"JSON: {exc}")
    if signed.payload.recipient != verifying_contract:
        return Refused(Refusal.WRONG_VERIFYING_CONTRACT, "wrong verifying_contract")
    if deadline_ns < now_ns:
        return Refused(Refusal.DEADLINE_EXPIRED, "deadline has expired")
    key = signed.public_key
    # An implicit account (hex of its key) owns that key unless removed (account/mod.rs `has_public_key`).
    if key not in public_keys.get(signer_id, ()) and signer_id != key.raw.hex():
        error = f"public key '{key}' doesn't exist for account '{signer_id}'"
        return Refused(Refusal.PUBLIC_KEY_NOT_EXIST, error)
    nonce = signed.payload.nonce
    versioned = decode_nonce(nonce)  # engine/mod.rs `verify_intent_nonce`; legacy nonces pass
    if versioned is not None:
        if versioned.salt not in valid_salts:
            return Refused(Refusal.INVALID_SALT, "invalid salt")
        if deadline_ns > versioned.deadline_ns:
            return Refused(Refusal.DEADLINE_GREATER_THAN_NONCE, "deadline is greater than nonce")
        # Unreachable after the deadline checks above (deadline >= now, nonce >= deadline); kept as in
        # the contract, so a reordering there or here cannot silently drop it.
        if versioned.deadline_ns < now_ns:  # pragma: no cover
            return Refused(Refusal.NONCE_EXPIRED, "nonce was already expired")
    if nonce in used_nonces.get(signer_id, ()):  # nonce/mod.rs `Nonces::commit`
        return Refused(Refusal.NONCE_USED, "nonce was already used")
    for intent in intents:
        kind = intent["intent"]
        if kind != "token_diff":
            return Refused(Refusal.UNSUPPORTED_INTENT, f"simulator: intent '{kind}' is not modelled")
        # intents/token_diff.rs `execute_intent`: an empty diff or a zero delta is invalid.
        if not intent["diff"] or 0 in intent["diff"].values():
            return Refused(Refusal.INVALID_INTENT, "invalid intent")
    return Accepted(signed.quote_hash, signer_id, nonce)


def _read_message(text: str) -> tuple[str, int, list[dict[str, Any]]]:
    """signer_id, deadline (ns) and intents, as `Nep413DefuseMessage<DefuseIntents>` deserializes."""
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise _Malformed(str(exc)) from None
    if not isinstance(body, dict):
        raise _Malformed(f"invalid type: expected struct Nep413DefuseMessage, got {type(body).__name__}")
    signer_id, deadline = body.get("signer_id"), body.get("deadline")
    if not isinstance(signer_id, str) or not is_account_id(signer_id):
        raise _Malformed(f"invalid value: signer_id {signer_id!r}, expected AccountId")
    if not isinstance(deadline, str):
        raise _Malformed(f"invalid type: deadline {deadline!r}, expected an RFC 3339 string")
    try:
        deadline_ns = parse_rfc3339_ns(deadline)
    except TimestampError as exc:
        raise _Malformed(str(exc)) from None
    intents = body.get("intents", [])  # serde(default): no intents still burns the nonce
    if not isinstance(intents, list):
        raise _Malformed("invalid type: intents, expected a sequence")
    return signer_id, deadline_ns, [_read_intent(intent) for intent in intents]


def _read_intent(intent: Any) -> dict[str, Any]:
    kind = intent.get("intent") if isinstance(intent, dict) else None
    if kind not in _INTENT_KINDS:
        raise _Malformed(f"unknown variant {kind!r}, expected one of {sorted(_INTENT_KINDS)}")
    if kind != "token_diff":
        return {"intent": kind}
    diff = intent.get("diff")
    if not isinstance(diff, dict) or not all(isinstance(v, str) for v in diff.values()):
        raise _Malformed("invalid type: diff, expected a map of token ids to amount strings")
    try:
        for token in diff:
            check_token_id(token)
        return {"intent": kind, "diff": {token: parse_delta(amount) for token, amount in diff.items()}}
    except IntentError as exc:
        raise _Malformed(str(exc)) from None
