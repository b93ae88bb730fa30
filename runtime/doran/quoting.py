"""How an error message quotes a user's value: its repr, elided in the middle when long.

A long bad value (a 2 MB string in a message, a pasted key in a setting) must not push the reason
off the line: the head and the tail stay, with how many characters were left out between them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["QUOTED_LENGTH", "elide", "quoted"]

#: The most characters a quoted value takes in a message, elision marker included.
QUOTED_LENGTH = 120
# What the elision marker takes at most (`…[` + digits + ` characters left out]…`).
_MARKER_ROOM = 40


def elide(text: str, limit: int = QUOTED_LENGTH) -> str:
    """`text` when it fits `limit`, else its head and tail around `…[N characters left out]…`."""
    if len(text) <= limit:
        return text
    keep = max(limit - _MARKER_ROOM, 2)
    head = (keep + 1) // 2
    return f"{text[:head]}…[{len(text) - keep} characters left out]…{text[len(text) - (keep - head) :]}"


def quoted(value: Any, limit: int = QUOTED_LENGTH) -> str:
    """repr(value), elided in the middle to at most about `limit` characters."""
    return elide(repr(value), limit)
