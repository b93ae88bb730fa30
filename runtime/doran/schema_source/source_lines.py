"""Where each value of a JSON document sits in its text: JSON pointer -> line, for pointing a person at
the line of a schema file (the gate's findings, CI annotations). The standard parser keeps no
positions, so this is a small scanner of its own, for documents the parser has already accepted.
"""

from __future__ import annotations

import json
import re

from doran.json_pointer import escape

__all__ = ["pointer_lines"]

_SPACE = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null")


def pointer_lines(text: str) -> dict[str, int]:
    """The 1-based line of every value of the JSON document `text`, by pointer; a member's line is
    that of its key. ValueError when `text` is not JSON."""
    json.loads(text)  # the scanner below trusts what the parser accepts
    lines: dict[str, int] = {}
    newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line_at(position: int) -> int:
        low, high = 0, len(newlines)
        while low < high:  # how many newlines come before `position`
            middle = (low + high) // 2
            if newlines[middle] < position:
                low = middle + 1
            else:
                high = middle
        return low + 1

    def skip(position: int) -> int:
        match = _SPACE.match(text, position)
        return match.end() if match else position

    def value(position: int, here: str, line: int) -> int:
        lines.setdefault(here, line)
        char = text[position]
        if char == '"':
            return _string(position)[1]
        if char in "{[":
            return container(position, here)
        scalar = _SCALAR.match(text, position)
        assert scalar is not None
        return scalar.end()

    def _string(position: int) -> tuple[str, int]:
        match = _STRING.match(text, position)
        assert match is not None
        key: str = json.loads(match.group())
        return key, match.end()

    def container(position: int, here: str) -> int:
        closing, index = ("}" if text[position] == "{" else "]"), 0
        position = skip(position + 1)
        while text[position] != closing:
            if closing == "}":
                key, position = _string(position)
                at = line_at(position)
                position = skip(skip(position) + 1)  # past the colon
                position = value(position, f"{here}/{escape(key)}", at)
            else:
                position = value(position, f"{here}/{index}", line_at(position))
                index += 1
            position = skip(position)
            if text[position] == ",":
                position = skip(position + 1)
        return position + 1

    start = skip(0)
    value(start, "", line_at(start))
    return lines
