"""Changes to arrays: tuple positions, the schema of the other elements, and `contains`.

An array reads as a tuple (draft-07 array-valued `items`, 2020-12 `prefixItems`) and a rest: the
schema of every element after the tuple (draft-07 `additionalItems`, 2020-12 `items`, or
`unevaluatedItems` in their place), which is open (absent or empty), closed (`false`) or partially
open (a schema). A position present in only one version is judged by the rest of the version that
lacks it, as Confluent's ArraySchemaDiff does. `additionalItems` without a tuple has no effect; its
changes are still reported (Confluent compares it) but marked inert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doran.compat.change import Change
from doran.compat.content_model import uses_unevaluated
from doran.compat.context import Nested, PairGen, WalkContext
from doran.compat.resolver import SchemaResolver, View, is_unconstrained

__all__ = ["compare_arrays"]


@dataclass(frozen=True)
class _Array:
    prefix: list[Any]
    prefix_keyword: str
    rest: Any  # None when absent
    rest_keyword: str


def _read(resolver: SchemaResolver, view: View) -> _Array:
    dialect, items = resolver.dialect, view.get("items")
    if dialect.tuple_items and isinstance(items, list):
        array = _Array(items, "items", view.get("additionalItems"), "additionalItems")
    elif dialect.prefix_items and isinstance(view.get("prefixItems"), list):
        array = _Array(view["prefixItems"], "prefixItems", items, "items")
    else:
        array = _Array([], "items", items, "items")
    if array.rest is None and uses_unevaluated(resolver, view, "unevaluatedItems", array.rest_keyword):
        return _Array(array.prefix, array.prefix_keyword, view["unevaluatedItems"], "unevaluatedItems")
    return array


def _state(resolver: SchemaResolver, node: Any) -> str:
    if node is None:
        return "open"
    view = resolver.view(node)
    return "closed" if view is False else "open" if is_unconstrained(view) else "partial"


def _rest(ctx: WalkContext, old: _Array, new: _Array, inert: bool = False) -> PairGen:
    before, after = _state(ctx.old, old.rest), _state(ctx.new, new.rest)
    if before != "open" and after != "open":
        old_node = old.rest if old.rest is not None else True
        return (yield Nested(old_node, new.rest, (new.rest_keyword,), inert=inert))
    if before == after:
        return []
    after_tuple = " after the tuple" if old.prefix or new.prefix else ""
    if after != "open":
        text = f"Array elements{after_tuple} were constrained by a new `{new.rest_keyword}` schema"
        return [Change("ITEMS_ADDED", (), text, inert=inert)]
    text = f"The `{old.rest_keyword}` schema was removed; any element{after_tuple} passes"
    return [Change("ITEMS_REMOVED", (), text, inert=inert)]


def _position(ctx: WalkContext, old: _Array, new: _Array, index: int) -> PairGen:
    if index < len(old.prefix) and index < len(new.prefix):
        return (yield Nested(old.prefix[index], new.prefix[index], (new.prefix_keyword, str(index))))
    if index < len(new.prefix):  # added: judged by the old rest
        node, state = new.prefix[index], _state(ctx.old, old.rest)
        if state == "partial":
            nested = yield Nested(old.rest, node, (new.prefix_keyword, str(index)))
            text = f"Tuple position {index} was added to a partially open array"
            return [*nested, Change("TUPLE_ITEM_ADDED_TO_PARTIALLY_OPEN_MODEL", (), text)]
        if state == "closed":
            return [
                Change(
                    "TUPLE_ITEM_ADDED_TO_CLOSED_MODEL",
                    (),
                    f"Tuple position {index} was added to a closed array",
                )
            ]
        free = is_unconstrained(ctx.new.view(node))
        rule = "UNCONSTRAINED_TUPLE_ITEM_ADDED_TO_OPEN_MODEL" if free else "TUPLE_ITEM_ADDED_TO_OPEN_MODEL"
        kind = "Unconstrained tuple" if free else "Tuple"
        return [Change(rule, (), f"{kind} position {index} was added to an open array")]
    node, state = old.prefix[index], _state(ctx.new, new.rest)
    if state == "partial":
        nested = yield Nested(node, new.rest, (old.prefix_keyword, str(index)))
        text = f"Tuple position {index} was removed from a partially open array"
        return [*nested, Change("TUPLE_ITEM_REMOVED_FROM_PARTIALLY_OPEN_MODEL", (), text)]
    if state == "closed":
        if ctx.old.view(node) is False:
            text = f"Forbidden (false) tuple position {index} was removed from a closed array"
            return [Change("FALSE_TUPLE_ITEM_REMOVED_FROM_CLOSED_MODEL", (), text)]
        text = f"Tuple position {index} was removed from a closed array"
        return [Change("TUPLE_ITEM_REMOVED_FROM_CLOSED_MODEL", (), text)]
    free = is_unconstrained(ctx.old.view(node))
    rule = (
        "UNCONSTRAINED_TUPLE_ITEM_REMOVED_FROM_OPEN_MODEL" if free else "TUPLE_ITEM_REMOVED_FROM_OPEN_MODEL"
    )
    kind = "Unconstrained tuple" if free else "Tuple"
    return [Change(rule, (), f"{kind} position {index} was removed from an open array")]


def _bound(old: Any, new: Any, keyword: str, lower: bool) -> list[Change]:
    if old == new or isinstance(old, bool) or isinstance(new, bool):
        return []
    prefix = "MIN_CONTAINS" if lower else "MAX_CONTAINS"
    if old is None or new is None:
        verb = "ADDED" if old is None else "REMOVED"
        value = new if old is None else old
        return [Change(f"{prefix}_{verb}", (), f"`{keyword}` {value} was {verb.lower()}")]
    tighter = new > old if lower else new < old
    verb = "TIGHTENED" if tighter else "LOOSENED"
    return [Change(f"{prefix}_{verb}", (), f"`{keyword}` was {verb.lower()} from {old} to {new}")]


def _contains(old: View, new: View) -> PairGen:
    if "contains" not in old and "contains" not in new:
        return []
    if "contains" not in old:
        return [Change("CONTAINS_ADDED", (), "`contains` was added: an element must now match it")]
    if "contains" not in new:
        return [Change("CONTAINS_REMOVED", (), "`contains` was removed: no element needs to match it")]
    changes = list((yield Nested(old["contains"], new["contains"], ("contains",))))
    # minContains defaults to 1 beside `contains`; maxContains to no limit
    changes += _bound(old.get("minContains", 1), new.get("minContains", 1), "minContains", lower=True)
    return changes + _bound(old.get("maxContains"), new.get("maxContains"), "maxContains", lower=False)


def compare_arrays(ctx: WalkContext, old: View, new: View) -> PairGen:
    """Tuple positions (nested, added or removed), the rest of the elements, and `contains`."""
    old_array, new_array = _read(ctx.old, old), _read(ctx.new, new)
    changes: list[Change] = []
    for index in range(max(len(old_array.prefix), len(new_array.prefix))):
        changes += yield from _position(ctx, old_array, new_array, index)
    changes += yield from _rest(ctx, old_array, new_array)
    if ctx.old.dialect.tuple_items and not old_array.prefix and not new_array.prefix:
        inert_old = _Array([], "additionalItems", old.get("additionalItems"), "additionalItems")
        inert_new = _Array([], "additionalItems", new.get("additionalItems"), "additionalItems")
        changes += yield from _rest(ctx, inert_old, inert_new, inert=True)
    changes += yield from _contains(old, new)
    return changes
