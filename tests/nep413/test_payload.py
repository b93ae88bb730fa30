"""The NEP-413 prehash, signatures and the `signed_data` JSON, against every published vector."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doran.nep413 import (
    KeyFormatError,
    Nep413Payload,
    NonceError,
    PayloadError,
    PublicKey,
    SignedData,
    SigningKey,
    sign_payload,
)

# near/near-api-js packages/signers/test/key_pair_signer.test.ts, tests "test sign NEP-413 message with
# callback url" and "... without callback url" (signatures); the prehashes are the ones the note
# (near-intents-solver.md section 2.4) recomputed from them.
NAJ_KEY = SigningKey.parse(
    "ed25519:3FyRtUUMxiNT1g2ST6mbj7W1CN7KfQBbomawC7YG4A1zwHmw2TRsn1Wc8NaFcBCoJDu3zt3znJDSwKQ31oRaKXH7"
)
NAJ_NONCE = base64.b64decode("KNV0cOpvJ50D5vfF9pqWom8wo2sliQ4W+Wa7uZ3Uk6Y=")
NAJ_CASES = {
    "without callback": (
        None,
        "036a114cfadb42200dc972aff40b994039571359cbcdd34be9c097d472351038",
        "NnJgPU1Ql7ccRTITIoOVsIfElmvH1RV7QAT4a9Vh6ShCOnjIzRwxqX54JzoQ/nK02p7VBMI2vJn48rpImIJwAw==",
    ),
    "with callback": (
        "http://localhost:3000",
        "ca89aebc4b822cb0618aa785dca563acee228e2631cff9adb7ce44989c5e8874",
        "zzZQ/GwAjrZVrTIFlvmmQbDQHllfzrr8urVWHaRt5cPfcXaCSZo35c5LDpPpTKivR6BxLyb3lcPM0FfCW5lcBQ==",
    ),
}

# near/intents crates/signatures/nep413/src/lib.rs, test `verify_ok`.
VERIFY_OK_KEY = PublicKey(bytes.fromhex("e2e9cb7ac57cb46d4da1ce1d1cc2c33bdfe17407c517916b522724a8ea2c6c50"))
VERIFY_OK_SIGNATURE = bytes.fromhex(
    "e2ff6254871a3fec1853c167b42f0f14248c4cf7fef5452dc24d8dbdc5c4bf18"
    "3ab707322b4d782d5f5a05571bae476c5f7ee41c473f3002e600865e46b75d0f"
)

# defuse-protocol/docs integration/market-makers/message-bus/websocket.mdx, quote_response "Example request".
DOCS_SIGNED_DATA: dict[str, Any] = {
    "standard": "nep413",
    "payload": {
        "recipient": "intents.near",
        "nonce": "Vij2xgAlKBKzAEiS6N1S/hcQLaHzX2s1fNKhBDblXT4=",
        "message": '{"deadline":"2024-10-14T12:53:40.000Z","intents":[{"intent":"token_diff","diff":'
        '{"nep141:ft2.near":"-300","nep141:ft1.near":"500"}}],"signer_id":"solver.near"}',
    },
    "public_key": "ed25519:C3jXhkGhEx88Gj7XKtUziJKXEBMRaJ67bWFkxJikVxZ2",
    "signature": "ed25519:WQXG37prMyT4f1vp6JSvamsjqDR5fSnDiinSPaCoq9sPcDgFGPRi"
    "MWX7csqqudDbzc8i6wrfpemgpVX2wQDmwww",
}


@pytest.mark.parametrize(("callback_url", "prehash", "signature"), NAJ_CASES.values(), ids=list(NAJ_CASES))
def test_near_api_js_vectors(callback_url: str | None, prehash: str, signature: str) -> None:
    payload = Nep413Payload("Hello NEAR!", NAJ_NONCE, "example.near", callback_url)
    signed = sign_payload(NAJ_KEY, payload)
    assert payload.prehash().hex() == prehash
    assert base64.b64encode(signed.signature).decode() == signature
    assert signed.verify()


def test_intents_verify_ok_vector() -> None:
    payload = Nep413Payload("Hello, world!", bytes(32), "intents.near")
    assert payload.prehash().hex() == "94648d7168d4a58d1eecd11fc2ecad210ef7cb5efce7a22d15a19e1764031f59"
    assert SignedData(payload, VERIFY_OK_KEY, VERIFY_OK_SIGNATURE).verify()


def test_the_docs_quote_response_verifies_and_has_its_quote_hash() -> None:
    signed = SignedData.from_json(DOCS_SIGNED_DATA)
    assert signed.verify()
    assert signed.quote_hash == "BeHFFMdrGwSefrVUgVccuo2L2yaf2cftcwMn8if43qZa"
    assert signed.to_json() == DOCS_SIGNED_DATA


def test_the_borsh_layout_is_tag_message_nonce_recipient_option() -> None:
    payload = Nep413Payload("hi", bytes(range(32)), "a.near", "cb")
    assert payload.borsh() == (
        bytes.fromhex("9d010080")
        + b"\x02\0\0\0hi"
        + bytes(range(32))
        + b"\x06\0\0\0a.near"
        + b"\x01\x02\0\0\0cb"
    )
    assert Nep413Payload("hi", bytes(32), "a.near").borsh().endswith(b"a.near\0")


def test_callback_url_is_camel_case_and_omitted_when_none() -> None:
    with_cb = sign_payload(NAJ_KEY, Nep413Payload("m", NAJ_NONCE, "intents.near", "https://x"))
    assert with_cb.to_json()["payload"]["callbackUrl"] == "https://x"
    assert SignedData.from_json(with_cb.to_json()) == with_cb
    without = sign_payload(NAJ_KEY, Nep413Payload("m", NAJ_NONCE, "intents.near"))
    assert "callbackUrl" not in without.to_json()["payload"]
    null_cb = json.loads(json.dumps(without.to_json()))
    null_cb["payload"]["callbackUrl"] = None
    assert SignedData.from_json(null_cb) == without


def test_unknown_members_are_ignored_as_serde_does() -> None:
    extended = json.loads(json.dumps(DOCS_SIGNED_DATA))
    extended["extra"] = 1
    extended["payload"]["extra"] = 2
    assert SignedData.from_json(extended) == SignedData.from_json(DOCS_SIGNED_DATA)


def _with(path: tuple[str, ...], value: Any) -> Any:
    obj = json.loads(json.dumps(DOCS_SIGNED_DATA))
    target = obj
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return obj


_DELETE = object()
BAD_SIGNED_DATA = {
    "not an object": ([1], "must be a JSON object, got list"),
    "other standard": (_with(("standard",), "raw_ed25519"), "standard must be 'nep413'"),
    "no payload": (_with(("payload",), _DELETE), "payload must be a JSON object"),
    "message not a string": (_with(("payload", "message"), {"a": 1}), "payload.message must be a string"),
    "no recipient": (_with(("payload", "recipient"), _DELETE), "payload.recipient must be a string"),
    "nonce not base64": (_with(("payload", "nonce"), "***"), "not standard base64"),
    "callback not a string": (_with(("payload", "callbackUrl"), 3), "callbackUrl must be a string"),
    "public key unprefixed": (
        _with(("public_key",), "C3jXhkGhEx88Gj7XKtUziJKXEBMRaJ67bWFkxJikVxZ2"),
        "must start with 'ed25519:'",
    ),
    "signature too short": (_with(("signature",), "ed25519:1111"), "expected 64"),
    "no signature": (_with(("signature",), _DELETE), "signed_data.signature must be a string"),
}


@pytest.mark.parametrize(("obj", "message"), BAD_SIGNED_DATA.values(), ids=list(BAD_SIGNED_DATA))
def test_malformed_signed_data_is_refused(obj: Any, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        SignedData.from_json(obj)


def test_the_nonce_must_have_32_bytes() -> None:
    with pytest.raises(NonceError, match="32 bytes, got 16"):
        Nep413Payload("m", bytes(16), "intents.near")


def test_a_signature_must_have_64_bytes() -> None:
    with pytest.raises(KeyFormatError, match="64 bytes, got 63"):
        SignedData(Nep413Payload("m", bytes(32), "intents.near"), VERIFY_OK_KEY, bytes(63))


payloads = st.builds(
    Nep413Payload,
    message=st.text(max_size=200),
    nonce=st.binary(min_size=32, max_size=32),
    recipient=st.text(max_size=64),
    callback_url=st.none() | st.text(max_size=64),
)


@given(seed=st.binary(min_size=32, max_size=32), payload=payloads, flip=st.integers(0, 511))
def test_sign_verify_round_trip_and_any_flipped_bit_fails(
    seed: bytes, payload: Nep413Payload, flip: int
) -> None:
    signed = sign_payload(SigningKey.from_seed(seed), payload)
    assert signed.verify()
    assert SignedData.from_json(json.loads(json.dumps(signed.to_json()))) == signed
    tampered = bytearray(signed.signature)
    tampered[flip // 8] ^= 1 << (flip % 8)
    assert not SignedData(payload, signed.public_key, bytes(tampered)).verify()
    other = Nep413Payload(payload.message + "!", payload.nonce, payload.recipient, payload.callback_url)
    assert not SignedData(other, signed.public_key, signed.signature).verify()
