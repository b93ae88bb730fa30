"""The relay simulator's judge: every refusal intents.near would give, in the contract's order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doran.nep413 import (
    Accepted,
    Nep413Payload,
    NonceV1,
    PublicKey,
    Refusal,
    Refused,
    SignedData,
    SigningKey,
    TimestampError,
    TokenDiffIntent,
    Verdict,
    judge_signed_data,
    parse_salt,
    sign_payload,
)
from doran.nep413.nonce import VERSIONED_MAGIC

KEY = SigningKey.from_seed(bytes(range(32)))
OTHER_KEY = SigningKey.from_seed(bytes(32))
SALT = parse_salt("252812b3")
NOW = datetime(2024, 10, 14, 12, 52, 30, tzinfo=UTC)
DEADLINE = NOW + timedelta(seconds=70)
INTENT = TokenDiffIntent("solver.near", DEADLINE, "nep141:ft1.near", 1000, "nep141:ft2.near", 1992)
MS = timedelta(milliseconds=1)


def _nonce(deadline: datetime = DEADLINE, salt: bytes = SALT) -> bytes:
    return NonceV1.create(salt, deadline, bytes(15)).to_bytes()


def _signed(
    message: str | None = None,
    *,
    nonce: bytes | None = None,
    recipient: str = "intents.near",
    key: SigningKey = KEY,
) -> SignedData:
    payload = Nep413Payload(message or INTENT.to_message(), nonce or _nonce(), recipient)
    return sign_payload(key, payload)


def _message(**changes: Any) -> str:
    body = json.loads(INTENT.to_message()) | changes
    return json.dumps({k: v for k, v in body.items() if v is not _DROP}, separators=(",", ":"))


_DROP = object()


def _judge(signed: SignedData, **overrides: Any) -> Verdict:
    inputs: dict[str, Any] = {
        "public_keys": {"solver.near": {KEY.public_key}},
        "now": NOW,
        "used_nonces": {},
        "valid_salts": {SALT},
    } | overrides
    return judge_signed_data(signed, **inputs)


def _refusal(verdict: Verdict) -> tuple[Refusal, str]:
    assert isinstance(verdict, Refused), verdict
    assert not verdict.ok
    return verdict.reason, verdict.error


def test_a_good_quote_is_accepted() -> None:
    signed = _signed()
    verdict = _judge(signed)
    assert verdict == Accepted(signed.quote_hash, "solver.near", signed.payload.nonce)
    assert verdict.ok


def test_the_docs_quote_response_is_accepted_before_its_deadline() -> None:
    # defuse-protocol/docs integration/market-makers/message-bus/websocket.mdx, quote_response example.
    signed = SignedData.from_json(
        {
            "standard": "nep413",
            "payload": {
                "recipient": "intents.near",
                "nonce": "Vij2xgAlKBKzAEiS6N1S/hcQLaHzX2s1fNKhBDblXT4=",
                "message": '{"deadline":"2024-10-14T12:53:40.000Z","intents":[{"intent":"token_diff","diff":'
                '{"nep141:ft2.near":"-300","nep141:ft1.near":"500"}}],"signer_id":"solver.near"}',
            },
            "public_key": "ed25519:C3jXhkGhEx88Gj7XKtUziJKXEBMRaJ67bWFkxJikVxZ2",
            "signature": "ed25519:WQXG37prMyT4f1vp6JSvamsjqDR5fSnDiinSPaCoq9sPcDg"
            "FGPRiMWX7csqqudDbzc8i6wrfpemgpVX2wQDmwww",
        }
    )
    verdict = _judge(signed, public_keys={"solver.near": [signed.public_key]})
    assert isinstance(verdict, Accepted)
    assert verdict.quote_hash == "BeHFFMdrGwSefrVUgVccuo2L2yaf2cftcwMn8if43qZa"


def test_a_tampered_signature_is_invalid() -> None:
    signed = _signed()
    forged = SignedData(signed.payload, signed.public_key, bytes(64))
    assert _refusal(_judge(forged)) == (Refusal.INVALID_SIGNATURE, "invalid signature")


def test_a_signature_by_another_key_is_invalid() -> None:
    signed = _signed(key=OTHER_KEY)
    claimed = SignedData(signed.payload, KEY.public_key, signed.signature)
    assert _refusal(_judge(claimed)) == (Refusal.INVALID_SIGNATURE, "invalid signature")


def test_the_signature_is_checked_before_anything_else() -> None:
    signed = _signed("not json", recipient="intents.far")
    forged = SignedData(signed.payload, signed.public_key, bytes(64))
    assert _refusal(_judge(forged))[0] is Refusal.INVALID_SIGNATURE


MALFORMED = {
    "not json": ("{", "Expecting property name"),
    "not an object": ("[1]", "expected struct Nep413DefuseMessage"),
    "no signer": (_message(signer_id=_DROP), "expected AccountId"),
    "bad signer": (_message(signer_id="Solver.near"), "expected AccountId"),
    "no deadline": (_message(deadline=_DROP), "expected an RFC 3339 string"),
    "bad deadline": (_message(deadline="2024-10-14 12:53:40"), "not an RFC 3339 timestamp"),
    "intents not a list": (_message(intents={}), "expected a sequence"),
    "unknown intent": (_message(intents=[{"intent": "swap"}]), "unknown variant 'swap'"),
    "intent not an object": (_message(intents=["token_diff"]), "unknown variant None"),
    "no diff": (_message(intents=[{"intent": "token_diff"}]), "expected a map"),  # no serde default
    "diff not a map": (_message(intents=[{"intent": "token_diff", "diff": []}]), "expected a map"),
    "number amount": (
        _message(intents=[{"intent": "token_diff", "diff": {"nep141:a.near": 1}}]),
        "expected a map of token ids to amount strings",
    ),
    "amount beyond i128": (
        _message(intents=[{"intent": "token_diff", "diff": {"nep141:a.near": str(2**127)}}]),
        "outside the contract's i128 range",
    ),
    "bad token id": (
        _message(intents=[{"intent": "token_diff", "diff": {"ft.near": "1"}}]),
        "not a token id",
    ),
}


@pytest.mark.parametrize(("message", "detail"), MALFORMED.values(), ids=list(MALFORMED))
def test_a_message_the_contract_cannot_deserialize_is_a_json_error(message: str, detail: str) -> None:
    reason, error = _refusal(_judge(_signed(message)))
    assert reason is Refusal.MALFORMED
    assert error.startswith("JSON: ") and detail in error


def test_a_recipient_that_is_no_account_id_is_a_json_error() -> None:
    reason, error = _refusal(_judge(_signed(recipient="Intents.Near")))
    assert reason is Refusal.MALFORMED and "expected AccountId" in error


def test_another_verifying_contract_is_refused() -> None:
    signed = _signed(recipient="intents.far")
    assert _refusal(_judge(signed)) == (Refusal.WRONG_VERIFYING_CONTRACT, "wrong verifying_contract")
    assert _judge(signed, verifying_contract="intents.far").ok


def test_the_verifying_contract_is_checked_before_the_deadline() -> None:
    signed = _signed(recipient="intents.far")
    assert _refusal(_judge(signed, now=DEADLINE + MS))[0] is Refusal.WRONG_VERIFYING_CONTRACT


def test_an_expired_deadline_is_refused_and_the_deadline_itself_is_still_valid() -> None:
    signed = _signed()
    assert _refusal(_judge(signed, now=DEADLINE + timedelta(microseconds=1))) == (
        Refusal.DEADLINE_EXPIRED,
        "deadline has expired",
    )
    assert _judge(signed, now=DEADLINE).ok


def test_a_deadline_with_an_offset_and_nanoseconds_is_compared_exactly() -> None:
    message = _message(deadline="2024-10-14T14:53:40.000000001+02:00")
    signed = _signed(message, nonce=_nonce(DEADLINE + MS))
    assert _judge(signed, now=DEADLINE).ok
    assert _refusal(_judge(signed, now=DEADLINE + timedelta(microseconds=1)))[0] is Refusal.DEADLINE_EXPIRED


def test_a_key_not_registered_for_the_signer_is_refused_with_the_contracts_text() -> None:
    expected = (
        Refusal.PUBLIC_KEY_NOT_EXIST,
        f"public key '{KEY.public_key}' doesn't exist for account 'solver.near'",
    )
    assert _refusal(_judge(_signed(), public_keys={})) == expected
    assert _refusal(_judge(_signed(), public_keys={"other.near": {KEY.public_key}})) == expected
    assert _refusal(_judge(_signed(), public_keys={"solver.near": {OTHER_KEY.public_key}})) == expected


def test_an_implicit_account_owns_its_own_key() -> None:
    implicit = KEY.public_key.raw.hex()
    signed = _signed(_message(signer_id=implicit))
    assert _judge(signed, public_keys={}).ok
    other = _signed(_message(signer_id=OTHER_KEY.public_key.raw.hex()))
    assert _refusal(_judge(other, public_keys={}))[0] is Refusal.PUBLIC_KEY_NOT_EXIST


def test_a_salt_the_contract_does_not_know_is_refused() -> None:
    signed = _signed()
    assert _refusal(_judge(signed, valid_salts={parse_salt("00000000")})) == (
        Refusal.INVALID_SALT,
        "invalid salt",
    )
    assert _refusal(_judge(signed, valid_salts=set()))[0] is Refusal.INVALID_SALT


def test_an_intent_outliving_its_nonce_is_refused() -> None:
    signed = _signed(nonce=_nonce(DEADLINE - MS))
    assert _refusal(_judge(signed)) == (Refusal.DEADLINE_GREATER_THAN_NONCE, "deadline is greater than nonce")
    assert _judge(_signed(nonce=_nonce(DEADLINE + timedelta(days=1)))).ok


@given(
    deadline_s=st.integers(-100, 100),
    nonce_s=st.integers(-100, 100),
    now_s=st.integers(-100, 100),
)
def test_an_expired_nonce_is_caught_by_an_earlier_check_as_in_the_contract(
    deadline_s: int, nonce_s: int, now_s: int
) -> None:
    # engine/mod.rs checks the intent deadline against now, then against the nonce's deadline, so by the
    # time it asks whether the nonce expired the answer is always no: "nonce was already expired" is
    # unreachable through `execute_signed_intent`, here as there.
    deadline = DEADLINE + timedelta(seconds=deadline_s)
    signed = _signed(
        _message(deadline=deadline.strftime("%Y-%m-%dT%H:%M:%S.000Z")),
        nonce=_nonce(DEADLINE + timedelta(seconds=nonce_s)),
    )
    verdict = _judge(signed, now=DEADLINE + timedelta(seconds=now_s))
    assert not isinstance(verdict, Refused) or verdict.reason is not Refusal.NONCE_EXPIRED
    if nonce_s < now_s:
        assert not verdict.ok


def test_a_legacy_nonce_skips_the_versioned_checks() -> None:
    assert _judge(_signed(nonce=bytes(32)), valid_salts=set()).ok
    unknown_version = VERSIONED_MAGIC + b"\x01" + bytes(27)
    assert _judge(_signed(nonce=unknown_version), valid_salts=set()).ok


def test_a_nonce_the_signer_already_used_is_refused() -> None:
    signed = _signed()
    used = {"solver.near": {signed.payload.nonce}}
    assert _refusal(_judge(signed, used_nonces=used)) == (Refusal.NONCE_USED, "nonce was already used")
    # Nonces are per account in the contract: another solver's use does not count.
    assert _judge(signed, used_nonces={"other.near": {signed.payload.nonce}}).ok


@pytest.mark.parametrize(
    "intents",
    [
        [{"intent": "token_diff", "diff": {"nep141:a.near": "0", "nep141:b.near": "-1"}}],
        [{"intent": "token_diff", "diff": {}}],
        [
            {"intent": "token_diff", "diff": {"nep141:a.near": "1", "nep141:b.near": "-1"}},
            {"intent": "token_diff", "diff": {"nep141:a.near": "-0"}},
        ],
    ],
    ids=["zero delta", "empty diff", "second intent zero"],
)
def test_an_empty_diff_or_a_zero_delta_is_an_invalid_intent(intents: list[dict[str, Any]]) -> None:
    assert _refusal(_judge(_signed(_message(intents=intents)))) == (Refusal.INVALID_INTENT, "invalid intent")


def test_no_intents_at_all_is_valid_and_only_burns_the_nonce() -> None:
    assert _judge(_signed(_message(intents=_DROP))).ok
    assert _judge(_signed(_message(intents=[]))).ok


def test_intents_other_than_token_diff_are_not_simulated() -> None:
    transfer = {"intent": "transfer", "receiver_id": "bob.near", "tokens": {"nep141:a.near": "1"}}
    reason, error = _refusal(_judge(_signed(_message(intents=[transfer]))))
    assert reason is Refusal.UNSUPPORTED_INTENT and "'transfer' is not modelled" in error


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(TimestampError, match="naive"):
        _judge(_signed(), now=NOW.replace(tzinfo=None))


def test_registered_keys_compare_by_value() -> None:
    copy = PublicKey(bytes(KEY.public_key.raw))
    assert _judge(_signed(), public_keys={"solver.near": [copy]}).ok
