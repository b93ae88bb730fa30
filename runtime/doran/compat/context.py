"""What the walk_* modules need from the walker, without importing it (no import cycle).

Each walk_* function is a generator: it yields a `Nested` request for every pair of subschemas it
needs compared and is sent back that pair's changes (relative to the pair); it returns the changes
of its own node. The walker runs these generators on an explicit stack, so the depth of a schema
never meets Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from doran.compat.change import Change
from doran.compat.resolver import SchemaResolver

__all__ = ["Nested", "PairGen", "WalkContext"]


@dataclass(frozen=True, slots=True)
class Nested:
    """A request: compare old (of the previous schema) with new (of the current), placed under path.

    `flip` marks a comparison inside `not`; `inert` one of a keyword that has no effect where it is.
    """

    old: Any
    new: Any
    path: tuple[str, ...] = ()
    flip: bool = False
    inert: bool = False


PairGen = Generator[Nested, list[Change], list[Change]]


class WalkContext(Protocol):
    """The two documents being compared, and how the walker judges a pair's changes."""

    @property
    def old(self) -> SchemaResolver: ...

    @property
    def new(self) -> SchemaResolver: ...

    @property
    def policy(self) -> str:
        """Confluent's compatibility policy the comparison is judged under ("STRICT" or "LENIENT")."""
        ...

    def acceptable(self, changes: Sequence[Change]) -> tuple[bool, bool]:
        """(Confluent accepts them, they keep every instance) in the directions being checked."""
        ...
