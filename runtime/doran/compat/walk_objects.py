"""Changes to containers: object properties, `required`, content models, and array `items`.

A property that exists in only one version is judged by the content model of the version that
lacks it (open, closed, or partially open), as Confluent's ObjectSchemaDiff does. Findings about the
object itself point at the object and name the property.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from doran.compat.change import Change
from doran.compat.resolver import SchemaResolver, View, is_unconstrained

if TYPE_CHECKING:
    from doran.compat.walker import Walker

__all__ = ["compare_arrays", "compare_objects"]


def _coverage(resolver: SchemaResolver, view: View, name: str) -> tuple[str, Any]:
    """The content model that decides an undeclared `name`: ("open"|"closed"|"partial", covering schema)."""
    for pattern, schema in view.get("patternProperties", {}).items():
        try:
            if re.search(pattern, name):
                return "partial", schema
        except re.error:
            continue
    extra = view.get("additionalProperties")
    if extra is None:
        return "open", None
    extra_view = resolver.view(extra)
    if extra_view is False:
        return "closed", None
    if is_unconstrained(extra_view):
        return "open", None
    return "partial", extra


def _has_default(resolver: SchemaResolver, node: Any) -> bool:
    view = resolver.view(node)
    return isinstance(view, dict) and "default" in view


def _property_added(walker: Walker, old: View, name: str, node: Any, required: bool) -> list[Change]:
    model, cover = _coverage(walker.old, old, name)
    kind = "Required" if required else "Optional"
    if model == "open":
        if not required and is_unconstrained(walker.new.view(node)):
            return [
                Change(
                    "UNCONSTRAINED_PROPERTY_ADDED_TO_OPEN_MODEL",
                    (),
                    f'Unconstrained optional property "{name}" was added to open object',
                )
            ]
        return [
            Change("PROPERTY_ADDED_TO_OPEN_MODEL", (), f'{kind} property "{name}" was added to open object')
        ]
    if model == "closed":
        if not required:
            return [
                Change(
                    "OPTIONAL_PROPERTY_ADDED_TO_CLOSED_MODEL",
                    (),
                    f'Optional property "{name}" was added to closed object',
                )
            ]
        if _has_default(walker.new, node):
            return [
                Change(
                    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_CLOSED_MODEL",
                    (),
                    f'Required property "{name}" with a default was added to closed object',
                )
            ]
        return [
            Change(
                "REQUIRED_PROPERTY_ADDED_TO_CLOSED_MODEL",
                (),
                f'Required property "{name}" was added to closed object',
            )
        ]
    rule_id = (
        "REQUIRED_PROPERTY_ADDED_TO_PARTIALLY_OPEN_MODEL"
        if required
        else "PROPERTY_ADDED_TO_PARTIALLY_OPEN_MODEL"
    )
    text = f'{kind} property "{name}" was added to partially open object'
    return [*walker.nested(cover, node, "properties", name), Change(rule_id, (), text)]  # fmt: skip


def _property_removed(walker: Walker, new: View, name: str, node: Any, required: bool) -> list[Change]:
    model, cover = _coverage(walker.new, new, name)
    kind = "Required" if required else "Optional"
    if model == "open":
        if not required and is_unconstrained(walker.old.view(node)):
            return [
                Change(
                    "UNCONSTRAINED_PROPERTY_REMOVED_FROM_OPEN_MODEL",
                    (),
                    f'Unconstrained optional property "{name}" was removed from open object',
                )
            ]
        return [
            Change(
                "PROPERTY_REMOVED_FROM_OPEN_MODEL",
                (),
                f'{kind} property "{name}" was removed from open object',
            )
        ]
    if model == "closed":
        rule_id = (
            "REQUIRED_PROPERTY_REMOVED_FROM_CLOSED_MODEL"
            if required
            else "PROPERTY_REMOVED_FROM_CLOSED_MODEL"
        )
        return [Change(rule_id, (), f'{kind} property "{name}" was removed from closed object')]
    rule_id = (
        "REQUIRED_PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_MODEL"
        if required
        else "PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_MODEL"
    )
    text = f'{kind} property "{name}" was removed from partially open object'
    return [*walker.nested(node, cover, "properties", name), Change(rule_id, (), text)]  # fmt: skip


def _required(walker: Walker, old: View, new: View, kept: set[str]) -> list[Change]:
    before, after = set(old.get("required", [])), set(new.get("required", []))
    changes = []
    for name in sorted((before ^ after) & kept):
        if name in after:
            node = new.get("properties", {}).get(name, True)
            if _has_default(walker.new, node):
                changes.append(
                    Change(
                        "REQUIRED_WITH_DEFAULT_ADDED", (), f'Property "{name}" with a default became required'
                    )
                )
            else:
                changes.append(Change("REQUIRED_ADDED", (), f'Property "{name}" became required'))
        else:
            changes.append(Change("REQUIRED_REMOVED", (), f'Property "{name}" is no longer required'))
    return changes


_EXTRA_ORDER = {"closed": 0, "partial": 1, "open": 2}
_EXTRA_TEXT = {"closed": "forbidden", "partial": "constrained by a schema", "open": "allowed"}


def _extra_state(resolver: SchemaResolver, view: View) -> str:
    extra = view.get("additionalProperties")
    if extra is None:
        return "open"
    extra_view = resolver.view(extra)
    return "closed" if extra_view is False else "open" if is_unconstrained(extra_view) else "partial"


def _additional_properties(walker: Walker, old: View, new: View) -> list[Change]:
    before, after = _extra_state(walker.old, old), _extra_state(walker.new, new)
    if before == after == "partial":
        return walker.nested(old["additionalProperties"], new["additionalProperties"], "additionalProperties")
    if before == after:
        return []
    rule_id = (
        "ADDITIONAL_PROPERTIES_LOOSENED"
        if _EXTRA_ORDER[after] > _EXTRA_ORDER[before]
        else "ADDITIONAL_PROPERTIES_TIGHTENED"
    )
    text = f"Undeclared properties went from {_EXTRA_TEXT[before]} to {_EXTRA_TEXT[after]}"
    return [Change(rule_id, (), text)]


def compare_objects(walker: Walker, old: View, new: View) -> list[Change]:
    """Properties (nested), properties added or removed, `required`, and `additionalProperties`."""
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    changes: list[Change] = []
    for name in [*new_props, *(n for n in old_props if n not in new_props)]:
        if name in old_props and name in new_props:
            changes += walker.nested(old_props[name], new_props[name], "properties", name)
        elif name in new_props:
            changes += _property_added(walker, old, name, new_props[name], name in new_required)
        else:
            changes += _property_removed(walker, new, name, old_props[name], name in old_required)
    one_sided = set(old_props) ^ set(new_props)
    changes += _required(walker, old, new, (old_required | new_required) - one_sided)
    return changes + _additional_properties(walker, old, new)


def compare_arrays(walker: Walker, old: View, new: View) -> list[Change]:
    """`items`: nested when both versions constrain elements, else added or removed."""
    before, after = old.get("items"), new.get("items")
    constrained_before = before is not None and not is_unconstrained(walker.old.view(before))
    constrained_after = after is not None and not is_unconstrained(walker.new.view(after))
    if constrained_before and constrained_after:
        return walker.nested(before, after, "items")
    if constrained_after:
        return [Change("ITEMS_ADDED", (), "Array elements were constrained by a new `items` schema")]
    if constrained_before:
        return [Change("ITEMS_REMOVED", (), "The `items` schema was removed; any element passes")]
    return []
