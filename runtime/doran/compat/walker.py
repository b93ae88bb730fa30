"""Walk two bundled schemas side by side and list every change as (rule ID, JSON pointer, sentence).

Nodes are compared by resolved content, so renaming a `$ref` target with equal content is no change.
Each (old node, new node) pair is diffed once (memoized); a pair met again while it is still being
diffed is a reference cycle and counts as unchanged there, as Confluent's Context does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from doran.compat.change import Change
from doran.compat.resolver import MaybeView, SchemaResolver, type_set
from doran.compat.walk_combinators import compare_combinators, compare_other_keywords, lift_unions
from doran.compat.walk_objects import compare_arrays, compare_objects
from doran.compat.walk_values import compare_allowed_values, compare_scalars, compare_types

__all__ = ["Walker"]


class Walker:
    """Diffs one previous bundled schema against one current bundled schema."""

    def __init__(self, old_root: Mapping[str, Any], new_root: Mapping[str, Any], labels: tuple[str, str]):
        self.old = SchemaResolver(old_root, labels[0])
        self.new = SchemaResolver(new_root, labels[1])
        # value keeps both nodes alive, so their ids cannot be reused by other objects while memoized
        self._memo: dict[tuple[int, int], tuple[Any, Any, list[Change]]] = {}
        self._active: set[tuple[int, int]] = set()

    def run(self) -> list[Change]:
        return self.diff(self.old.root, self.new.root)

    def diff(self, old_node: Any, new_node: Any) -> list[Change]:
        """Changes from old_node (in the previous schema) to new_node (in the current), paths relative."""
        old_node, new_node = self.old.identity(old_node), self.new.identity(new_node)
        key = (id(old_node), id(new_node))
        hit = self._memo.get(key)
        if hit is not None:
            return hit[2]
        if key in self._active:
            return []
        self._active.add(key)
        try:
            changes = self._diff_views(self.old.view(old_node), self.new.view(new_node))
        finally:
            self._active.discard(key)
        self._memo[key] = (old_node, new_node, changes)
        return changes

    def nested(self, old_node: Any, new_node: Any, *segments: str) -> list[Change]:
        """Changes between two subschemas, placed under the given path segments."""
        return [change.under(segments) for change in self.diff(old_node, new_node)]

    def _diff_views(self, old: MaybeView, new: MaybeView) -> list[Change]:
        if old is False and new is False:
            return []
        if old is False:
            return [Change("SCHEMA_ALLOWED", (), "A schema that admitted nothing (false) now admits values")]
        if new is False:
            return [Change("SCHEMA_FORBIDDEN", (), "A schema became false and admits no value any more")]
        old, new = lift_unions(old, new)
        changes = compare_types(old, new)
        if type_set(old).isdisjoint(type_set(new)):
            return changes  # keywords of unrelated types say nothing more
        changes += compare_allowed_values(old, new)
        changes += compare_scalars(old, new)
        changes += compare_objects(self, old, new)
        changes += compare_arrays(self, old, new)
        changes += compare_combinators(self, old, new)
        changes += compare_other_keywords(self, old, new)
        return changes
