"""Compare one pair of schema nodes: the order in which every part of a schema is compared.

Before anything else: `false` and unresolvable references; a combinator with a single distinct
branch is read as that branch (`oneOf[s]`, `anyOf[s]`, `allOf[s, s]` all mean `s`); a plain schema
facing a lone union is read as a one-branch union of the same kind. Then types, allowed values,
scalar bounds, objects, arrays, combinators and the remaining keywords. Last, a schema that admitted
anything and gained keywords constraining nothing (or the reverse) is reported, since Confluent
sees Everit's EmptySchema turn into a typed schema there.
"""

from __future__ import annotations

from typing import Any

from doran.compat.change import Change
from doran.compat.context import Nested, PairGen, WalkContext
from doran.compat.judge import breaks, effects
from doran.compat.resolver import constrains, type_set, unresolved
from doran.compat.walk_arrays import compare_arrays
from doran.compat.walk_combinators import (
    compare_combinators,
    compare_lifted,
    liftable,
    lone_branch,
    lone_union,
)
from doran.compat.walk_keywords import compare_keywords
from doran.compat.walk_objects import compare_objects
from doran.compat.walk_values import compare_allowed_values, compare_scalars, compare_types

__all__ = ["compare_nodes"]


def _unresolved(ctx: WalkContext, old_ref: str | None, new_ref: str | None) -> list[Change]:
    if old_ref == new_ref:
        text = f'"$ref": "{old_ref}" resolves in neither version, so what it admits cannot be compared'
    elif old_ref and new_ref:
        text = f'"$ref" "{old_ref}" became "{new_ref}"; neither resolves, so they cannot be compared'
    else:
        ref, label = (old_ref, ctx.old.label) if old_ref else (new_ref, ctx.new.label)
        text = f'"$ref": "{ref}" does not resolve in {label}, so it cannot be compared'
    return [Change("UNRESOLVED_REFERENCE", (), text)]


def compare_nodes(ctx: WalkContext, old_node: Any, new_node: Any) -> PairGen:
    """Changes from old_node (previous schema) to new_node (current schema), paths relative."""
    old, new = ctx.old.view(old_node), ctx.new.view(new_node)
    if old is False and new is False:
        return []
    old_ref, new_ref = unresolved(old), unresolved(new)
    if old_ref or new_ref:
        return _unresolved(ctx, old_ref, new_ref)
    if old is False:
        return [Change("SCHEMA_ALLOWED", (), "A schema that admitted nothing (false) now admits values")]
    if new is False:
        return [Change("SCHEMA_FORBIDDEN", (), "A schema became false and admits no value any more")]
    old_lone, new_lone = lone_branch(old), lone_branch(new)
    if (old_lone or new_lone) and lone_union(old) != lone_union(new):
        # a new branch keeps its pointer unless it now stands for a whole (lifted) old union
        path = (new_lone[0], str(new_lone[1])) if new_lone and (old_lone or not lone_union(old)) else ()
        inner = Nested(old_lone[2] if old_lone else old_node, new_lone[2] if new_lone else new_node, path)
        return (yield inner)
    if liftable(old, new):
        return (yield from compare_lifted(ctx, old_node, old, new_node, new))
    changes = compare_types(old, new)
    if type_set(old).isdisjoint(type_set(new)):
        return changes  # keywords of unrelated types say nothing more
    changes += compare_allowed_values(old, new)
    changes += compare_scalars(old, new)
    changes += yield from compare_objects(ctx, old, new)
    changes += yield from compare_arrays(ctx, old, new)
    changes += yield from compare_combinators(ctx, old, new)
    changes += yield from compare_keywords(ctx, old, new)
    return changes + _vacuous(ctx, constrains(old), constrains(new), changes)


def _vacuous(ctx: WalkContext, before: bool, after: bool, changes: list[Change]) -> list[Change]:
    if before == after:
        return []
    direction = "backward" if after else "forward"
    if any(breaks(effects(change, ctx.policy)[0], [direction]) for change in changes):
        return []  # Confluent refuses the change already
    if after:
        text = "A schema that admitted anything gained keywords that constrain nothing"
        return [Change("VACUOUS_KEYWORDS_ADDED", (), text)]
    text = "Keywords that constrained nothing were removed, leaving a schema that admits anything"
    return [Change("VACUOUS_KEYWORDS_REMOVED", (), text)]
