"""Versioned nonces V1 and legacy nonces, as the intents.near contract tells them apart."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doran.nep413 import NonceError, NonceV1, TimestampError, decode_nonce, parse_salt
from doran.nep413.nonce import VERSIONED_MAGIC, nonce_from_base64, nonce_to_base64

# near/intents contracts/defuse/README.md, "Versioned nonce" > "Example".
README_SALT = "252812b3"
README_DEADLINE_S = 2280047743
README_RANDOM = bytes.fromhex("027015ec13dc11864973138fe6812f")
README_NONCE = "Vij2xgAlKBKzADZykFdbpB8CcBXsE9wRhklzE4/mgS8="


def test_the_readme_example_encodes_exactly() -> None:
    nonce = NonceV1.create(
        parse_salt(README_SALT), datetime.fromtimestamp(README_DEADLINE_S, UTC), README_RANDOM
    )
    assert nonce.to_bytes().hex() == (
        "5628f6c6" + "00" + "252812b3" + "00367290575ba41f" + README_RANDOM.hex()
    )
    assert nonce.to_base64() == README_NONCE


def test_the_readme_example_decodes_back() -> None:
    nonce = decode_nonce(nonce_from_base64(README_NONCE))
    assert nonce == NonceV1(bytes.fromhex(README_SALT), README_DEADLINE_S * 10**9, README_RANDOM)
    assert nonce.deadline == datetime.fromtimestamp(README_DEADLINE_S, UTC)


@given(
    st.binary(min_size=4, max_size=4),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.binary(min_size=15, max_size=15),
)
def test_every_v1_nonce_round_trips(salt: bytes, deadline_ns: int, random15: bytes) -> None:
    nonce = NonceV1(salt, deadline_ns, random15)
    assert decode_nonce(nonce.to_bytes()) == nonce
    assert NonceV1.from_bytes(nonce_from_base64(nonce.to_base64())) == nonce


def test_bytes_without_the_magic_are_a_legacy_nonce() -> None:
    # The reference AMM solver's nonce: sha256 of its reserves, almost never starting with the magic.
    assert decode_nonce(bytes(32)) is None
    with pytest.raises(NonceError, match="legacy nonce"):
        NonceV1.from_bytes(bytes(32))


def test_the_magic_with_an_unknown_version_is_legacy_as_in_the_contract() -> None:
    assert decode_nonce(VERSIONED_MAGIC + b"\x01" + bytes(27)) is None


def test_a_nonce_deadline_follows_the_given_datetime_to_the_microsecond() -> None:
    deadline = datetime(2024, 10, 14, 14, 53, 40, 123456, tzinfo=UTC) - timedelta(hours=2)
    nonce = NonceV1.create(bytes(4), deadline.astimezone(), bytes(15))
    assert nonce.deadline_ns == 1728910420_123456_000
    assert nonce.deadline == deadline


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"salt": bytes(3)}, "salt has 4 bytes, got 3"),
        ({"random": bytes(16)}, "15 random bytes, got 16"),
        ({"deadline_ns": 2**63}, "does not fit the i64"),
        ({"deadline_ns": -(2**63) - 1}, "does not fit the i64"),
    ],
)
def test_v1_fields_out_of_range_are_refused(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"salt": bytes(4), "deadline_ns": 0, "random": bytes(15)} | kwargs
    with pytest.raises(NonceError, match=message):
        NonceV1(**fields)  # type: ignore[arg-type]


def test_a_naive_deadline_is_refused() -> None:
    with pytest.raises(TimestampError, match="naive"):
        NonceV1.create(bytes(4), datetime(2030, 1, 1), bytes(15))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Vij2xgAlKBKzADZykFdbpB8CcBXsE9wRhklzE4/mgS8", "not standard base64"),  # padding missing
        ("Vij2xgAlKBKzADZykFdbpB8CcBXsE9wRhklzE4_mgS8=", "not standard base64"),  # url-safe alphabet
        ("Vij2xgAlKBKzADZykFdbpB8CcBXsE9wRhklzE4/mgS9=", "exactly 32 bytes"),  # stray trailing bits
        (base64.b64encode(bytes(31)).decode(), "exactly 32 bytes"),
        ("é", "not standard base64"),
    ],
)
def test_only_canonical_base64_of_32_bytes_is_a_nonce(text: str, message: str) -> None:
    with pytest.raises(NonceError, match=message):
        nonce_from_base64(text)


def test_decoding_and_encoding_check_the_length() -> None:
    with pytest.raises(NonceError, match="32 bytes, got 31"):
        decode_nonce(bytes(31))
    with pytest.raises(NonceError, match="32 bytes, got 33"):
        nonce_to_base64(bytes(33))


@pytest.mark.parametrize("text", ["252812b", "252812b3a", "25 2812b", "zz2812b3", ""])
def test_a_salt_is_eight_hex_digits(text: str) -> None:
    with pytest.raises(NonceError, match="8 hex digits"):
        parse_salt(text)
    assert parse_salt("252812B3") == bytes.fromhex("252812b3")
