"""Compare the string languages of two JSON Schema `pattern`s as finite automata.

A pattern matches anywhere in a string unless anchored with a leading `^` / trailing `$`, so the
language of an unanchored side is padded with "any string". Lookarounds, and whatever interegular
cannot turn into an automaton (backreferences, anchors inside), compare as UNKNOWN.
"""

from __future__ import annotations

import enum
from functools import lru_cache
from typing import Any

__all__ = ["PatternRelation", "compare_patterns"]

_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")
# Above this many states the product automaton gets slow; say UNKNOWN rather than stall the gate.
_MAX_STATES = 5000


class PatternRelation(enum.Enum):
    """How the new pattern's language relates to the old one's."""

    EQUIVALENT = "equivalent"
    LOOSENED = "loosened"  # new matches every string old matched, and more
    TIGHTENED = "tightened"  # new matches a proper subset of what old matched
    INCOMPARABLE = "incomparable"
    UNKNOWN = "unknown"


def _anchors(pattern: str) -> tuple[bool, str, bool]:
    start = pattern.startswith("^")
    body = pattern[1:] if start else pattern
    trailing_backslashes = len(body[:-1]) - len(body[:-1].rstrip("\\")) if body.endswith("$") else 0
    end = body.endswith("$") and trailing_backslashes % 2 == 0
    return start, body[:-1] if end else body, end


def _has_top_level_alternation(body: str) -> bool:
    depth, in_class, escaped = 0, False, False
    for char in body:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def _full_language(pattern: str) -> str:
    """A regex whose full matches are the strings the search-semantics pattern matches."""
    start, body, end = _anchors(pattern)
    if (start or end) and _has_top_level_alternation(body):
        # `^a|b$` anchors each branch separately; that shape is not modelled.
        raise ValueError("anchored top-level alternation")
    anything = r"[\s\S]*"
    return ("" if start else anything) + "(?:" + body + ")" + ("" if end else anything)


@lru_cache(maxsize=256)
def compare_patterns(old: str, new: str) -> PatternRelation:
    """Relation of new's language to old's; UNKNOWN when either cannot be compiled to an automaton."""
    if old == new:
        return PatternRelation.EQUIVALENT
    if any(look in pattern for pattern in (old, new) for look in _LOOKAROUNDS):
        return (
            PatternRelation.UNKNOWN
        )  # interegular pads lookarounds; their search semantics are not modelled here
    try:
        old_fsm, new_fsm = _automata(old, new)
    except Exception:  # interegular raises assorted errors on unsupported syntax; any of them means UNKNOWN
        return PatternRelation.UNKNOWN
    if old_fsm is None or new_fsm is None:
        return PatternRelation.UNKNOWN
    widens = bool(old_fsm.issubset(new_fsm))
    narrows = bool(new_fsm.issubset(old_fsm))
    if widens and narrows:
        return PatternRelation.EQUIVALENT
    if widens:
        return PatternRelation.LOOSENED
    if narrows:
        return PatternRelation.TIGHTENED
    return PatternRelation.INCOMPARABLE


def _automata(old: str, new: str) -> tuple[Any, Any]:
    try:
        from interegular import REFlags, parse_pattern
    except ImportError:  # optional: without it every pattern edit is judged PATTERN_CHANGED
        return None, None
    old_pattern, new_pattern = parse_pattern(_full_language(old)), parse_pattern(_full_language(new))
    alphabet = old_pattern.get_alphabet(REFlags(0)).union(new_pattern.get_alphabet(REFlags(0)))[0]
    old_fsm, new_fsm = old_pattern.to_fsm(alphabet), new_pattern.to_fsm(alphabet)
    if len(old_fsm.states) > _MAX_STATES or len(new_fsm.states) > _MAX_STATES:
        return None, None
    return old_fsm, new_fsm
