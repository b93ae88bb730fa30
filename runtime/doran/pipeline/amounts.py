"""u128 amounts as the contracts carry them: base-10 strings, parsed to Python int, never float."""

from __future__ import annotations

import re

__all__ = ["U128_MAX", "format_u128", "parse_u128"]

U128_MAX = 2**128 - 1
# Canonical form only (no sign, no leading zeros), as common.schema.json#/$defs/U128 demands;
# 39 digits is the length of U128_MAX, the int comparison does the exact bound.
_U128_TEXT = re.compile(r"0|[1-9][0-9]{0,38}")


def parse_u128(value: object) -> int | None:
    """The int of a canonical u128 decimal string, or None when `value` is anything else."""
    if not isinstance(value, str) or _U128_TEXT.fullmatch(value) is None:
        return None
    amount = int(value)
    return amount if amount <= U128_MAX else None


def format_u128(amount: int) -> str:
    """The canonical decimal string of a u128; raises OverflowError outside 0..2^128-1."""
    if not 0 <= amount <= U128_MAX:
        raise OverflowError(f"Amount {amount} is outside u128 (0..{U128_MAX}).")
    return str(amount)
