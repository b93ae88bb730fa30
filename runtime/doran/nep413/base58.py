"""Bitcoin-alphabet base58, as NEAR uses for keys, signatures and hashes; stdlib only."""

from __future__ import annotations

from doran.nep413.errors import Base58Error

__all__ = ["ALPHABET", "b58decode", "b58encode"]

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(ALPHABET)}
# Two digits per division: every quote the executor signs encodes its hash and its signature.
_PAIRS = [high + low for high in ALPHABET for low in ALPHABET]


def b58encode(data: bytes) -> str:
    """Base58 of `data`; each leading zero byte becomes a leading "1"."""
    number = int.from_bytes(data, "big")
    pairs: list[str] = []
    while number:
        number, remainder = divmod(number, 58 * 58)
        pairs.append(_PAIRS[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(pairs)).lstrip("1")


def b58decode(text: str) -> bytes:
    """The bytes `text` encodes; raises `Base58Error` naming the position of a bad character."""
    number = 0
    for position, char in enumerate(text):
        value = _INDEX.get(char)
        if value is None:
            # The position, not the character: callers decode secret keys with this.
            raise Base58Error(f"Not base58: the character at position {position} is outside the alphabet")
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body
