"""The rule model: what one kind of schema change does to each direction, for Confluent and in truth.

A change is looked at from the previous schema (old) to the current one (new):
- backward: every instance valid under old stays valid under new (a new reader reads old data);
- forward: every instance valid under new is valid under old (an old reader reads new data).
`confluent` is what Confluent Schema Registry's JSON Schema SchemaDiff decides (its BACKWARD check
runs compare(old, new), its FORWARD check compare(new, old)); `semantic` is the truth about the two
instance sets, judged for the keyword that changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "BACKWARD_SAFE",
    "BOTH_BREAK",
    "BOTH_SAFE",
    "FORWARD_SAFE",
    "POLICIES",
    "Effect",
    "Rule",
    "index_rules",
]


@dataclass(frozen=True)
class Effect:
    """Whether a change keeps each direction compatible (True) or breaks it (False)."""

    backward: bool
    forward: bool

    def describe(self) -> str:
        parts = [
            "backward " + ("ok" if self.backward else "breaks"),
            "forward " + ("ok" if self.forward else "breaks"),
        ]
        return ", ".join(parts)

    def swapped(self) -> Effect:
        """The effect seen through `not`: what widens the negated schema narrows the whole."""
        return Effect(backward=self.forward, forward=self.backward)


BOTH_SAFE = Effect(backward=True, forward=True)
BACKWARD_SAFE = Effect(
    backward=True, forward=False
)  # a widening: old data still valid, old readers may choke
FORWARD_SAFE = Effect(backward=False, forward=True)  # a narrowing: new data valid for old readers
BOTH_BREAK = Effect(backward=False, forward=False)

# Confluent's per-subject compatibilityPolicy: STRICT (the default) or LENIENT (since 2025-10), which
# accepts more content-model changes (SchemaDiff.COMPATIBLE_CHANGES_LENIENT).
POLICIES = ("STRICT", "LENIENT")


@dataclass(frozen=True)
class Rule:
    """One kind of change: ID, purpose, and its effect on both directions for Confluent and in truth.

    `confluent_types` names the Difference.Type Confluent's SchemaDiff reports for the backward check
    (compare(old, new)) and for the forward check (compare(new, old)); `note` says where Confluent
    and the truth part ways, or what the rule leaves out. `lenient` is Confluent's effect under the
    LENIENT policy where it differs from STRICT's (`confluent`).
    """

    id: str
    purpose: str
    confluent: Effect
    semantic: Effect
    confluent_types: tuple[str, str]
    note: str = ""
    lenient: Effect | None = None

    def confluent_under(self, policy: str) -> Effect:
        """Confluent's effect under a compatibility policy ("STRICT" or "LENIENT")."""
        return self.lenient if policy == "LENIENT" and self.lenient is not None else self.confluent


def index_rules(*groups: Iterable[Rule]) -> Mapping[str, Rule]:
    """Index rules by ID; a duplicate ID is a programming error."""
    rules: dict[str, Rule] = {}
    for group in groups:
        for rule in group:
            if rule.id in rules:
                raise ValueError(f"duplicate rule id {rule.id}")
            rules[rule.id] = rule
    return MappingProxyType(rules)
