"""Changes to objects: properties, `required`, the content model and `patternProperties`.

A property that exists in only one version is judged by the content model of the version that
lacks it (open, closed, or partially open; see `doran.compat.content_model`), as Confluent's
ObjectSchemaDiff does. Findings about the object itself point at the object and name the property.
"""

from __future__ import annotations

from typing import Any

from doran.compat.change import Change
from doran.compat.content_model import ContentModel, content_model, matches
from doran.compat.context import Nested, PairGen, WalkContext
from doran.compat.resolver import SchemaResolver, View, is_unconstrained

__all__ = ["compare_objects"]

_ORDER = {"closed": 0, "partial": 1, "open": 2}
_STATE_TEXT = {"closed": "forbidden", "partial": "constrained by a schema", "open": "allowed"}


def _has_default(resolver: SchemaResolver, node: Any) -> bool:
    view = resolver.view(node)
    return view is not False and "default" in view


def _added(ctx: WalkContext, model: ContentModel, name: str, node: Any, required: bool) -> PairGen:
    state, cover = model.cover(name)
    kind = "Required" if required else "Optional"
    default = " with a default" if required and _has_default(ctx.new, node) else ""
    if state == "open":
        if not required and is_unconstrained(ctx.new.view(node)):
            rule, text = (
                "UNCONSTRAINED_PROPERTY_ADDED_TO_OPEN_MODEL",
                f'Unconstrained optional property "{name}"',
            )
        elif required:
            rule = (
                "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_MODEL"
                if default
                else "REQUIRED_PROPERTY_ADDED_TO_OPEN_MODEL"
            )
            text = f'Required property "{name}"{default}'
        else:
            rule, text = "OPTIONAL_PROPERTY_ADDED_TO_OPEN_MODEL", f'Optional property "{name}"'
        return [Change(rule, (), f"{text} was added to open object")]
    if state == "closed":
        rule = "OPTIONAL_PROPERTY_ADDED_TO_CLOSED_MODEL"
        if required:
            rule = f"REQUIRED_PROPERTY{'_WITH_DEFAULT' if default else ''}_ADDED_TO_CLOSED_MODEL"
        return [Change(rule, (), f'{kind} property "{name}"{default} was added to closed object')]
    nested = yield Nested(cover, node, ("properties", name))
    rule = (
        "REQUIRED_PROPERTY_ADDED_TO_PARTIALLY_OPEN_MODEL"
        if required
        else "PROPERTY_ADDED_TO_PARTIALLY_OPEN_MODEL"
    )
    return [*nested, Change(rule, (), f'{kind} property "{name}" was added to partially open object')]


def _removed(ctx: WalkContext, model: ContentModel, name: str, node: Any, required: bool) -> PairGen:
    state, cover = model.cover(name)
    kind = "Required" if required else "Optional"
    if state == "open":
        rule = "REQUIRED_PROPERTY_REMOVED_FROM_OPEN_MODEL" if required else "PROPERTY_REMOVED_FROM_OPEN_MODEL"
        if not required and is_unconstrained(ctx.old.view(node)):
            rule, kind = "UNCONSTRAINED_PROPERTY_REMOVED_FROM_OPEN_MODEL", "Unconstrained optional"
        return [Change(rule, (), f'{kind} property "{name}" was removed from open object')]
    if state == "closed":
        rule = (
            "REQUIRED_PROPERTY_REMOVED_FROM_CLOSED_MODEL"
            if required
            else "PROPERTY_REMOVED_FROM_CLOSED_MODEL"
        )
        if ctx.old.view(node) is False:
            rule, kind = "FALSE_PROPERTY_REMOVED_FROM_CLOSED_MODEL", "Forbidden (false)"
        return [Change(rule, (), f'{kind} property "{name}" was removed from closed object')]
    nested = yield Nested(node, cover, ("properties", name))
    rule = (
        "REQUIRED_PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_MODEL"
        if required
        else "PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_MODEL"
    )
    return [*nested, Change(rule, (), f'{kind} property "{name}" was removed from partially open object')]


def _required(
    ctx: WalkContext, old: View, new: View, old_props: dict[str, Any], new_props: dict[str, Any]
) -> list[Change]:
    before, after = set(old.get("required", [])), set(new.get("required", []))
    changes = []
    for name in sorted(before ^ after):
        declared = (name in old_props, name in new_props)
        if declared == (True, True):
            if name not in after:
                changes.append(Change("REQUIRED_REMOVED", (), f'Property "{name}" is no longer required'))
            elif _has_default(ctx.new, new_props[name]):
                text = f'Property "{name}" with a default became required'
                changes.append(Change("REQUIRED_WITH_DEFAULT_ADDED", (), text))
            else:
                changes.append(Change("REQUIRED_ADDED", (), f'Property "{name}" became required'))
        elif declared == (False, False):
            verb = "became required" if name in after else "is no longer required"
            rule = "REQUIRED_UNDECLARED_ADDED" if name in after else "REQUIRED_UNDECLARED_REMOVED"
            changes.append(Change(rule, (), f'Property "{name}", declared in neither version, {verb}'))
    return changes


def _content(old_model: ContentModel, new_model: ContentModel) -> PairGen:
    before, after = old_model.state, new_model.state
    if before == after == "partial":
        return (yield Nested(old_model.extra, new_model.extra, (new_model.keyword,)))
    if before == after:
        return []
    rule = (
        "ADDITIONAL_PROPERTIES_LOOSENED"
        if _ORDER[after] > _ORDER[before]
        else "ADDITIONAL_PROPERTIES_TIGHTENED"
    )
    keyword = new_model.keyword if new_model.extra is not None else old_model.keyword
    text = f"Undeclared properties went from {_STATE_TEXT[before]} to {_STATE_TEXT[after]} (`{keyword}`)"
    return [Change(rule, (), text)]


def _pattern_change(model: ContentModel, pattern: str, kept: set[str], added: bool) -> Change:
    verb, where = ("added to", "ADDED_TO") if added else ("removed from", "REMOVED_FROM")
    touches_kept = any(matches(pattern, name) for name in kept)
    if model.state == "open":
        rule = f"PATTERN_PROPERTY_{where}_OPEN_MODEL"
        text = f'Pattern property "{pattern}" was {verb} open object'
    elif model.state == "closed" and not touches_kept:
        rule = f"PATTERN_PROPERTY_{where}_CLOSED_MODEL"
        text = f'Pattern property "{pattern}" was {verb} closed object'
    else:
        rule = f"PATTERN_PROPERTY_{'ADDED' if added else 'REMOVED'}"
        text = f'Pattern property "{pattern}" was {verb} an object where it meets declared or covered names'
    return Change(rule, (), text)


def _patterns(old_model: ContentModel, new_model: ContentModel, kept: set[str]) -> PairGen:
    changes: list[Change] = []
    old_patterns, new_patterns = old_model.patterns, new_model.patterns
    for pattern in [*new_patterns, *(p for p in old_patterns if p not in new_patterns)]:
        if pattern in old_patterns and pattern in new_patterns:
            changes += yield Nested(
                old_patterns[pattern], new_patterns[pattern], ("patternProperties", pattern)
            )
        elif pattern in new_patterns:
            changes.append(_pattern_change(old_model, pattern, kept, added=True))
        else:
            changes.append(_pattern_change(new_model, pattern, kept, added=False))
    return changes


def compare_objects(ctx: WalkContext, old: View, new: View) -> PairGen:
    """Properties (nested), properties added or removed, `required`, content model, pattern properties."""
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_model, new_model = content_model(ctx.old, old), content_model(ctx.new, new)
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    changes: list[Change] = []
    for name in [*new_props, *(n for n in old_props if n not in new_props)]:
        if name in old_props and name in new_props:
            changes += yield Nested(old_props[name], new_props[name], ("properties", name))
        elif name in new_props:
            changes += yield from _added(ctx, old_model, name, new_props[name], name in new_required)
        else:
            changes += yield from _removed(ctx, new_model, name, old_props[name], name in old_required)
    changes += _required(ctx, old, new, old_props, new_props)
    changes += yield from _content(old_model, new_model)
    changes += yield from _patterns(old_model, new_model, set(old_props) & set(new_props))
    return changes
