"""Base58 (Bitcoin alphabet): round trips, leading zeros, and refusals that never echo the text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doran.nep413 import Base58Error
from doran.nep413.base58 import ALPHABET, b58decode, b58encode


@given(st.binary(max_size=80))
def test_decode_inverts_encode(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data


@given(st.text(alphabet=ALPHABET, max_size=80))
def test_encode_inverts_decode(text: str) -> None:
    assert b58encode(b58decode(text)) == text


@pytest.mark.parametrize(
    ("data", "text"),
    [(b"", ""), (b"\0", "1"), (b"\0\0\x01", "112"), (b"\x39", "z"), (b"\x3a", "21"), (b"hello", "Cn8eVZg")],
)
def test_known_encodings(data: bytes, text: str) -> None:
    assert b58encode(data) == text
    assert b58decode(text) == data


@pytest.mark.parametrize("text", ["abc0def", "abcOdef", "xyzIlmn", "ab cdef", "abcdéfg"])
def test_characters_outside_the_alphabet_are_refused_by_position(text: str) -> None:
    with pytest.raises(Base58Error, match="at position") as caught:
        b58decode(text)
    assert text not in str(caught.value)
