"""NEAR key strings: parsing, signing, and secret keys that never show up in errors or reprs."""

from __future__ import annotations

import hashlib
import traceback

import pytest
from pydantic import SecretStr

from doran.errors import DoranError
from doran.nep413 import KeyFormatError, PublicKey, SecretKeyFormatError, SigningKey
from doran.nep413.base58 import b58decode, b58encode
from doran.nep413.keys import format_signature, parse_signature

# near/near-api-js packages/signers/test/key_pair_signer.test.ts, "test sign NEP-413 message ..." tests.
NAJ_SECRET = (
    "ed25519:3FyRtUUMxiNT1g2ST6mbj7W1CN7KfQBbomawC7YG4A1zwHmw2TRsn1Wc8NaFcBCoJDu3zt3znJDSwKQ31oRaKXH7"
)
NAJ_PUBLIC = "ed25519:2RM3EotCzEiVobm6aMjaup43k8cFffR4KHFtrqbZ79Qy"
NAJ_BODY = NAJ_SECRET.removeprefix("ed25519:")


def test_a_64_byte_secret_key_gives_its_public_key() -> None:
    assert str(SigningKey.parse(NAJ_SECRET).public_key) == NAJ_PUBLIC


def test_a_bare_32_byte_seed_is_accepted() -> None:
    # near/near-api-js packages/signers/test/key_pair_signer.test.ts, "test getPublicKey returns correct
    # public key": a 32-byte secret key string.
    key = SigningKey.parse("ed25519:4RDn17Y8bm6FRg57BhW7eVnrHTF2nsmRfkj1nPXR1zYB")
    assert str(key.public_key) == "ed25519:Bpz2oUnMM8MM8trXmdAJW5sS1TtPkMot4cosa16ZeYFQ"


def test_surrounding_whitespace_of_a_secret_key_is_ignored() -> None:
    assert SigningKey.parse(f"  {NAJ_SECRET}\n").public_key == PublicKey.parse(NAJ_PUBLIC)


def test_raw_ed25519_vector_verifies_over_the_payload_bytes() -> None:
    # near/intents contracts/defuse/core/src/payload/multi.rs, test `raw_ed25519`: the hash is sha256 of
    # the payload, and the signer's implicit account id is the hex of its public key.
    payload = (
        b'{"signer_id":"74affa71ab030d400fdfa1bed033dfa6fd3ae34f92d17c046ebe368e80d53751",'
        b'"verifying_contract":"intents.near","deadline":{"timestamp":1732035219},'
        b'"nonce":"XVoKfmScb3G+XqH9ke/fSlJ/3xO59sNhCxhpG821BH8=","intents":[{"intent":"token_diff",'
        b'"diff":{"nep141:base-0x833589fcd6edb6e08f4c7c32d4f71b54bda02913.omft.near":"-1000",'
        b'"nep141:eth-0xdac17f958d2ee523a2206206994597c13d831ec7.omft.near":"998"}}]}'
    )
    public_key = PublicKey.parse("ed25519:8rVvtHWFr8hasdQGGD5WiQBTyr4iH2ruEPPVfj491RPN")
    signature = parse_signature(
        "ed25519:3vtbNQJHZfuV1s5DykzyjkbNLc583hnkrhTz57eDhd966iqzkor6Twgr4Loh2C195SCSEsiGfrd6KcxpjNq9ZbVj"
    )
    assert b58encode(hashlib.sha256(payload).digest()) == "8LKE47o44ybZQR9ozLyDnvMDTh4Ao5ipy2mJWsYByG5Q"
    assert public_key.verify(signature, payload)
    assert public_key.raw.hex() == "74affa71ab030d400fdfa1bed033dfa6fd3ae34f92d17c046ebe368e80d53751"


def test_sign_then_verify_and_tampering_fails() -> None:
    key = SigningKey.from_seed(bytes(range(32)))
    signature = key.sign(b"quote")
    assert key.public_key.verify(signature, b"quote")
    assert not key.public_key.verify(signature, b"quotf")
    assert not key.public_key.verify(signature[:-1], b"quote")
    assert not SigningKey.from_seed(bytes(32)).public_key.verify(signature, b"quote")


def test_the_repr_shows_the_public_key_only() -> None:
    key = SigningKey.parse(NAJ_SECRET)
    seed = b58decode(NAJ_BODY)[:32]
    for shown in (repr(key), str(key), f"{key}", repr([key])):
        assert NAJ_PUBLIC in shown
        assert NAJ_BODY not in shown and b58encode(seed) not in shown and seed.hex() not in shown


def test_a_secret_str_is_revealed_only_to_parse_it() -> None:
    secret = SecretStr(NAJ_SECRET)
    assert SigningKey.from_secret(secret).public_key == PublicKey.parse(NAJ_PUBLIC)
    assert NAJ_BODY not in repr(secret)


def _corrupt_public_half() -> str:
    raw = bytearray(b58decode(NAJ_BODY))
    raw[-1] ^= 1
    return "ed25519:" + b58encode(bytes(raw))


MALFORMED_SECRETS = {
    "no prefix": (NAJ_BODY, "must start with 'ed25519:'"),
    "other curve": ("secp256k1:" + NAJ_BODY, "must start with 'ed25519:'"),
    "not base58": ("ed25519:" + NAJ_BODY[:40] + "0" + NAJ_BODY[41:], "not valid base58"),
    "too short": ("ed25519:" + NAJ_BODY[:60], "expected 64"),
    "public half mismatch": (_corrupt_public_half(), "corrupt"),
}


@pytest.mark.parametrize(("text", "message"), MALFORMED_SECRETS.values(), ids=list(MALFORMED_SECRETS))
def test_malformed_secret_keys_are_refused_without_quoting_them(text: str, message: str) -> None:
    with pytest.raises(SecretKeyFormatError, match=message) as caught:
        SigningKey.parse(text)
    error = caught.value
    assert isinstance(error, KeyFormatError) and isinstance(error, DoranError)
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    shown = "".join(traceback.format_exception(error)) + repr(error) + str(error.args)
    body = text.partition(":")[2] or text
    for fragment in (body, body[:12], body[-12:]):
        assert fragment not in shown


def test_a_secret_key_must_be_a_string() -> None:
    with pytest.raises(SecretKeyFormatError, match="is a string, got bytes"):
        SigningKey.parse(NAJ_SECRET.encode())  # type: ignore[arg-type]


def test_a_seed_must_have_32_bytes() -> None:
    with pytest.raises(SecretKeyFormatError, match="32 bytes, got 31"):
        SigningKey.from_seed(bytes(31))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (NAJ_PUBLIC.removeprefix("ed25519:"), "must start with 'ed25519:'"),
        ("ed25519:0OIl", "not base58|outside the alphabet"),
        ("ed25519:" + b58encode(bytes(31)), "decodes to 31 bytes, expected 32"),
    ],
)
def test_malformed_public_keys_are_refused_naming_them(text: str, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message) as caught:
        PublicKey.parse(text)
    assert repr(text) in str(caught.value)


def test_a_public_key_has_32_bytes_and_is_a_value() -> None:
    with pytest.raises(KeyFormatError, match="32 bytes, got 33"):
        PublicKey(bytes(33))
    key = PublicKey.parse(NAJ_PUBLIC)
    from_bytearray = PublicKey(bytearray(key.raw))  # type: ignore[arg-type]
    assert key == from_bytearray and len({key, from_bytearray}) == 1
    assert repr(key) == f"PublicKey({NAJ_PUBLIC!r})"


def test_signatures_round_trip_and_refuse_wrong_lengths() -> None:
    signature = bytes(range(64))
    assert parse_signature(format_signature(signature)) == signature
    with pytest.raises(KeyFormatError, match="64 bytes, got 63"):
        format_signature(bytes(63))
    with pytest.raises(KeyFormatError, match="expected 64"):
        parse_signature("ed25519:" + b58encode(bytes(range(1, 33))))
