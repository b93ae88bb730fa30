"""JSON Pointer (RFC 6901): the one place doran writes, reads and follows pointers.

A pointer is "" (the whole document) or a sequence of "/"-prefixed reference tokens in which
"~" is written "~0" and "/" is written "~1". Dead letters, contract violations, schema errors
and compatibility findings all locate things with these pointers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from doran.errors import DoranError

__all__ = ["PointerError", "escape", "follow", "parse", "pointer", "unescape"]


class PointerError(DoranError, LookupError):
    """A pointer is malformed, or names nothing in the document it is followed into."""


def escape(token: object) -> str:
    """One reference token, escaped (`~` -> `~0`, `/` -> `~1`); numbers become their decimal text."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The key a reference token stands for (`~1` -> `/`, then `~0` -> `~`, in that order)."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(path: Iterable[object]) -> str:
    """The pointer of a path of keys and array indexes; the empty path is the whole document ("")."""
    return "".join("/" + escape(step) for step in path)


def parse(text: str) -> list[str]:
    """The unescaped reference tokens of a pointer; `#`-prefixed URI fragments are accepted."""
    if text.startswith("#"):
        from urllib.parse import unquote

        text = unquote(text[1:])
    if text == "":
        return []
    if not text.startswith("/"):
        raise PointerError(f'"{text}" is not a JSON pointer: it must be empty or start with "/"')
    return [unescape(token) for token in text[1:].split("/")]


def follow(document: Any, text: str) -> Any:
    """The value the pointer names in document; PointerError naming the first step that fails."""
    node = document
    for depth, token in enumerate(parse(text)):
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, Sequence) and not isinstance(node, str) and _is_index(token, len(node)):
            node = node[int(token)]
        else:
            reached = pointer(parse(text)[:depth]) or "the root"
            raise PointerError(f'"{text}" names nothing: {reached} has no "{token}"')
    return node


def _is_index(token: str, length: int) -> bool:
    # RFC 6901: array indexes are "0" or digits without a leading zero.
    return token.isdigit() and (token == "0" or not token.startswith("0")) and int(token) < length
