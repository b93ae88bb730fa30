"""A signed quote end to end, reproducing the derived golden quote_response exactly from its inputs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import doran.nep413 as nep413
from doran.nep413 import (
    NonceV1,
    SigningKey,
    TokenDiffIntent,
    decode_nonce,
    parse_salt,
    quote_payload,
    sign_quote,
)

# The note's vector 5 (near-intents-solver.md section 2.4, "Derived golden quote_response"): computed by the
# note's author from the published key of near/near-api-js packages/signers/test/key_pair_signer.test.ts
# and the pricing of defuse-protocol/near-intents-amm-solver src/services/quoter.service.ts; not itself
# a published vector, but every input below is.
KEY = SigningKey.parse(
    "ed25519:3FyRtUUMxiNT1g2ST6mbj7W1CN7KfQBbomawC7YG4A1zwHmw2TRsn1Wc8NaFcBCoJDu3zt3znJDSwKQ31oRaKXH7"
)
EVENT: dict[str, Any] = {
    "defuse_asset_identifier_in": "nep141:ft1.near",
    "defuse_asset_identifier_out": "nep141:ft2.near",
    "exact_amount_in": "1000",
    "min_deadline_ms": 60000,
}
RESERVE_IN, RESERVE_OUT, MARGIN_BIPS = 1_000_000, 2_000_000, 30  # MARGIN_PERCENT=0.3
NOW = datetime(2024, 10, 14, 12, 52, 30, tzinfo=UTC)
SALT = parse_salt("252812b3")
RANDOM15 = bytes(range(15))
GOLDEN_SIGNATURE = (
    "ed25519:4tfgPJU7BJYKNqxdbTK7e7RAUSDptrv4U5pBMhEB2z6pngBfAWb7tGf6s4KTEhoq7iZhWH6PNz7PsQETkQ3jzBjQ"
)


def _amm_amount_out(amount_in: int) -> int:
    # quoter.service.ts getAmountOut, in integers: floor(in*(1e4-bips)*R_out / (R_in*1e4 + in*(1e4-bips))).
    kept = amount_in * (10_000 - MARGIN_BIPS)
    return kept * RESERVE_OUT // (RESERVE_IN * 10_000 + kept)


def _golden_intent() -> TokenDiffIntent:
    amount_in = int(EVENT["exact_amount_in"])
    # quoter.config.ts: deadline = now + min_deadline_ms + quoteDeadlineExtraMs (10 s).
    deadline = NOW + timedelta(milliseconds=int(EVENT["min_deadline_ms"]) + 10_000)
    return TokenDiffIntent(
        signer_id="solver.near",
        deadline=deadline,
        asset_in=str(EVENT["defuse_asset_identifier_in"]),
        amount_in=amount_in,
        asset_out=str(EVENT["defuse_asset_identifier_out"]),
        amount_out=_amm_amount_out(amount_in),
    )


def test_the_golden_quote_response_is_reproduced_exactly() -> None:
    intent = _golden_intent()
    assert intent.amount_out == 1992
    signed = sign_quote(KEY, intent, salt=SALT, random15=RANDOM15)
    assert signed.quote_hash == "8Q5vMNtbekoP5sCQ3xUf3MDABeVy27W4JFFiyHPQCKrt"
    assert signed.to_json() == {
        "standard": "nep413",
        "payload": {
            "message": '{"signer_id":"solver.near","deadline":"2024-10-14T12:53:40.000Z",'
            '"intents":[{"intent":"token_diff","diff":{"nep141:ft1.near":"1000","nep141:ft2.near":"-1992"}}]}',
            "nonce": "Vij2xgAlKBKzAEiS6N1S/hcAAQIDBAUGBwgJCgsMDQ4=",
            "recipient": "intents.near",
        },
        "signature": GOLDEN_SIGNATURE,
        "public_key": "ed25519:2RM3EotCzEiVobm6aMjaup43k8cFffR4KHFtrqbZ79Qy",
    }
    assert signed.verify()


def test_the_nonce_expires_with_the_intent() -> None:
    intent = _golden_intent()
    nonce = decode_nonce(quote_payload(intent, salt=SALT, random15=RANDOM15).nonce)
    assert nonce == NonceV1.create(SALT, intent.deadline, RANDOM15)


def test_without_random_bytes_each_quote_gets_a_fresh_nonce() -> None:
    first, second = (sign_quote(KEY, _golden_intent(), salt=SALT) for _ in range(2))
    assert first.payload.nonce != second.payload.nonce
    for signed in (first, second):
        nonce = decode_nonce(signed.payload.nonce)
        assert nonce is not None and nonce.salt == SALT and nonce.deadline == _golden_intent().deadline
        assert signed.verify()


def test_a_quote_for_another_verifier_names_it() -> None:
    signed = sign_quote(KEY, _golden_intent(), salt=SALT, random15=RANDOM15, recipient="intents.far")
    assert json.loads(json.dumps(signed.to_json()))["payload"]["recipient"] == "intents.far"


def test_the_public_api_is_deliberate() -> None:
    assert sorted(nep413.__all__) == sorted(
        [
            "INTENTS_CONTRACT", "Accepted", "Base58Error", "IntentError", "KeyFormatError", "Nep413Error",
            "Nep413Payload", "NonceError", "NonceV1", "PayloadError", "PublicKey", "Refusal", "Refused",
            "SecretKeyFormatError", "SignedData", "SigningKey", "TimestampError", "TokenDiffIntent",
            "Verdict", "decode_nonce", "judge_signed_data", "parse_salt", "quote_payload", "sign_payload",
            "sign_quote",
        ]
    )  # fmt: skip
    for name in nep413.__all__:
        assert hasattr(nep413, name)
