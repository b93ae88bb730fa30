"""Changes to `not`, to dependencies, and to the keywords the gate only compares for equality.

`not` is compared inside, with backward and forward swapped (a widening of the negated schema is
a narrowing of the whole). Dependencies are draft-07 `dependencies` (an array: names required
with the key; a schema: applied with it) and 2019-09's `dependentRequired` / `dependentSchemas`.
"""

from __future__ import annotations

from typing import Any

from doran.compat.change import Change
from doran.compat.content_model import uses_unevaluated
from doran.compat.context import Nested, PairGen, WalkContext
from doran.compat.resolver import SchemaResolver, View, canonical

__all__ = ["compare_keywords"]

# Assertion keywords compared for equality only; any difference is KEYWORD_CHANGED.
_SCHEMA_KEYWORDS = ("if", "then", "else", "propertyNames")
_PLAIN_KEYWORDS = ("$dynamicRef", "$recursiveRef")


def _not(old: View, new: View) -> PairGen:
    if "not" in old and "not" in new:
        return (yield Nested(old["not"], new["not"], ("not",), flip=True))
    if "not" in new:
        return [Change("NOT_ADDED", (), "`not` was added: values matching it fail now")]
    if "not" in old:
        return [Change("NOT_REMOVED", (), "`not` was removed: values it excluded pass now")]
    return []


def _dependencies(
    resolver: SchemaResolver, view: View
) -> tuple[dict[str, tuple[str, set[str]]], dict[str, tuple[str, Any]]]:
    required: dict[str, tuple[str, set[str]]] = {}
    schemas: dict[str, tuple[str, Any]] = {}
    if resolver.dialect.dependencies:
        for key, value in view.get("dependencies", {}).items():
            if isinstance(value, list):
                required[key] = ("dependencies", set(value))
            else:
                schemas[key] = ("dependencies", value)
    if resolver.dialect.dependent:
        required.update(
            (k, ("dependentRequired", set(v))) for k, v in view.get("dependentRequired", {}).items()
        )
        schemas.update((k, ("dependentSchemas", v)) for k, v in view.get("dependentSchemas", {}).items())
    return required, schemas


def _names(names: set[str]) -> str:
    return ", ".join(f'"{n}"' for n in sorted(names))


def _dependent_required(
    old: dict[str, tuple[str, set[str]]], new: dict[str, tuple[str, set[str]]]
) -> list[Change]:
    changes = []
    for key in sorted(old.keys() | new.keys()):
        if key not in old:
            keyword, names = new[key]
            text = f'`{keyword}` of "{key}" was added: with it, {_names(names)} are required'
            changes.append(Change("DEPENDENT_REQUIRED_ADDED", (), text))
        elif key not in new:
            keyword, names = old[key]
            changes.append(Change("DEPENDENT_REQUIRED_REMOVED", (), f'`{keyword}` of "{key}" was removed'))
        elif old[key][1] != new[key][1]:
            before, after = old[key][1], new[key][1]
            verb = "EXTENDED" if after > before else "NARROWED" if after < before else "CHANGED"
            text = (
                f'`{new[key][0]}` of "{key}" was {verb.lower()} from [{_names(before)}] to [{_names(after)}]'
            )
            changes.append(Change(f"DEPENDENT_REQUIRED_{verb}", (), text))
    return changes


def _dependencies_changes(ctx: WalkContext, old: View, new: View) -> PairGen:
    old_required, old_schemas = _dependencies(ctx.old, old)
    new_required, new_schemas = _dependencies(ctx.new, new)
    changes = _dependent_required(old_required, new_required)
    for key in sorted(old_schemas.keys() | new_schemas.keys()):
        if key in old_schemas and key in new_schemas:
            keyword = new_schemas[key][0]
            changes += yield Nested(old_schemas[key][1], new_schemas[key][1], (keyword, key))
        elif key in new_schemas:
            text = f'`{new_schemas[key][0]}` of "{key}" was added: with it, its schema applies'
            changes.append(Change("DEPENDENT_SCHEMA_ADDED", (), text))
        else:
            changes.append(
                Change("DEPENDENT_SCHEMA_REMOVED", (), f'`{old_schemas[key][0]}` of "{key}" was removed')
            )
    return changes


def _unmodelled(ctx: WalkContext, view: View, resolver: SchemaResolver) -> dict[str, bool]:
    """Keywords compared for equality only, each with whether it is inert where it is."""
    keywords = {k: False for k in (*_SCHEMA_KEYWORDS, *_PLAIN_KEYWORDS) if k in view}
    rest = "additionalItems" if isinstance(view.get("items"), list) else "items"
    for keyword, sibling in (("unevaluatedProperties", "additionalProperties"), ("unevaluatedItems", rest)):
        if (
            keyword in view
            and resolver.dialect.unevaluated
            and not uses_unevaluated(resolver, view, keyword, sibling)
        ):
            keywords[keyword] = sibling in view and not ({"allOf", "anyOf", "oneOf", "$ref"} & view.keys())
    return keywords


def _other(ctx: WalkContext, old: View, new: View) -> PairGen:
    """Keywords the gate does not model: any difference is a conservative KEYWORD_CHANGED."""
    changes = []
    old_keywords, new_keywords = _unmodelled(ctx, old, ctx.old), _unmodelled(ctx, new, ctx.new)
    for keyword in sorted(old_keywords.keys() | new_keywords.keys()):
        inert = old_keywords.get(keyword, True) and new_keywords.get(keyword, True)
        if keyword not in old or keyword not in new:
            verb = "added" if keyword in new else "removed"
        elif keyword in _PLAIN_KEYWORDS:
            if canonical(old[keyword]) == canonical(new[keyword]):
                continue
            verb = "changed"
        elif not (yield Nested(old[keyword], new[keyword])):
            continue
        else:
            verb = "changed"
        text = f"`{keyword}` was {verb}; the gate does not model it"
        changes.append(Change("KEYWORD_CHANGED", (), text, inert=inert))
    return changes


def compare_keywords(ctx: WalkContext, old: View, new: View) -> PairGen:
    changes = list((yield from _not(old, new)))
    changes += yield from _dependencies_changes(ctx, old, new)
    changes += yield from _other(ctx, old, new)
    return changes
