"""Prove that no instance can satisfy two schemas at once (sound, not complete).

Used for `oneOf`: adding a branch keeps old data valid only if the branch cannot match what another
branch matches. Proofs: disjoint types; disjoint allowed values; a value outside the other's types;
for object-only schemas, a property required by one whose schemas cannot both hold, or that the
other (closed) object forbids. Anything unproven counts as overlapping.
"""

from __future__ import annotations

from typing import Any

from doran.compat.resolver import SchemaResolver, View, canonical, type_set

__all__ = ["provably_disjoint"]

_MAX_DEPTH = 8


def _value_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "fraction"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _allowed_values(view: View) -> list[Any] | None:
    if "const" in view:
        return [view["const"]]
    if "enum" in view:
        return list(view["enum"])
    return None


def provably_disjoint(a: Any, b: Any, resolver: SchemaResolver, depth: int = 0) -> bool:
    """True only if no JSON value is valid under both schema nodes (both read with `resolver`)."""
    if depth > _MAX_DEPTH:
        return False
    left, right = resolver.view(a), resolver.view(b)
    if left is False or right is False:
        return True
    left_types, right_types = type_set(left), type_set(right)
    shared = left_types & right_types
    if not shared:
        return True
    left_values, right_values = _allowed_values(left), _allowed_values(right)
    if (
        left_values is not None
        and right_values is not None
        and not {canonical(v) for v in left_values} & {canonical(v) for v in right_values}
    ):
        return True
    for values, other_types in ((left_values, right_types), (right_values, left_types)):
        if values is not None and all(_value_kind(v) not in other_types for v in values):
            return True
    if shared == {"object"}:
        return _objects_disjoint(left, right, resolver, depth) or _objects_disjoint(
            right, left, resolver, depth
        )
    return False


def _objects_disjoint(required_by: View, other: View, resolver: SchemaResolver, depth: int) -> bool:
    own = required_by.get("properties", {})
    theirs = other.get("properties", {})
    closed = other.get("additionalProperties") is False and not other.get("patternProperties")
    for name in required_by.get("required", []):
        if name in theirs:
            if provably_disjoint(own.get(name, True), theirs[name], resolver, depth + 1):
                return True
        elif closed:
            return True
    return False
