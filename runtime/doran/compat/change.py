"""A detected change: the rule it falls under, where in the schema it is, and what happened.

Two marks change how a rule's effects apply to a change: `flipped` (it sits under an odd number of
`not`, where a widening of the negated schema narrows the whole, so backward and forward swap) and
`inert` (it changed a keyword that has no effect where it is, e.g. draft-07 `additionalItems`
without tuple `items`: the instances do not change, whatever Confluent makes of it). `origin`
names the node pair and relative path where the change was found, so a change reached along many
paths (a shared or recursive definition) is reported once; `echo` names the reference cycle a
change was carried through (see `doran.compat.walker`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doran.json_pointer import pointer

__all__ = ["Change"]


@dataclass(frozen=True, slots=True)
class Change:
    """One change found between two schema nodes; `path` is relative until placed `under` a parent."""

    rule_id: str
    path: tuple[str, ...]
    text: str
    flipped: bool = False
    inert: bool = False
    origin: Any = None
    echo: Any = None

    @property
    def pointer(self) -> str:
        return pointer(self.path)

    @property
    def message(self) -> str:
        return f"{self.text} at {self.pointer or 'the root'}"

    def under(self, prefix: tuple[str, ...], *, flip: bool = False, inert: bool = False) -> Change:
        """The change seen from a parent node: path prefixed, marks combined."""
        if not prefix and not flip and (not inert or self.inert):
            return self
        return Change(
            self.rule_id,
            prefix + self.path,
            self.text,
            self.flipped ^ flip,
            self.inert or inert,
            self.origin,
            self.echo,
        )
