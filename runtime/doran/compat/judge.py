"""The effects of one change: its rule's Confluent (per policy) and semantic effects, marks applied."""

from __future__ import annotations

from collections.abc import Iterable

from doran.compat.catalogue import RULES
from doran.compat.change import Change
from doran.compat.rules import BOTH_SAFE, Effect

__all__ = ["breaks", "effects"]


def effects(change: Change, policy: str) -> tuple[Effect, Effect]:
    """(Confluent effect under policy, semantic effect) of a change, read through `not` and inertness."""
    rule = RULES[change.rule_id]
    confluent, semantic = rule.confluent_under(policy), rule.semantic
    if change.flipped:
        confluent, semantic = confluent.swapped(), semantic.swapped()
    if change.inert:
        semantic = BOTH_SAFE
    return confluent, semantic


def breaks(effect: Effect, directions: Iterable[str]) -> bool:
    """Whether the effect breaks any of the directions ("backward", "forward")."""
    return any(not getattr(effect, direction) for direction in directions)
