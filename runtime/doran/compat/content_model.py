"""An object's content model: what decides a property name it does not declare.

As Confluent's ObjectSchemaDiff reads it: open (any undeclared property passes), closed
(`additionalProperties: false`), or partially open (`additionalProperties` is a schema, or a
`patternProperties` entry matches the name). Where `additionalProperties` is absent,
`unevaluatedProperties` plays its part, as long as no in-place applicator (`allOf`, `$ref`, `if`...)
could evaluate properties of its own; otherwise the gate leaves `unevaluatedProperties` to the
conservative keyword comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from doran.compat.resolver import SchemaResolver, View, is_unconstrained

__all__ = ["ContentModel", "content_model", "matches", "uses_unevaluated"]

_APPLICATORS = frozenset(
    {"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "dependencies", "$ref",
     "$dynamicRef", "$recursiveRef"}
)  # fmt: skip


def uses_unevaluated(resolver: SchemaResolver, view: View, keyword: str, sibling: str) -> bool:
    """Whether `keyword` (unevaluated*) acts as the content model of view (in place of `sibling`)."""
    return (
        resolver.dialect.unevaluated
        and keyword in view
        and sibling not in view
        and _APPLICATORS.isdisjoint(view)
    )


def matches(pattern: str, name: str) -> bool:
    """ECMA-262-ish search of a patternProperties key in a name (an invalid regex matches nothing)."""
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


@dataclass(frozen=True)
class ContentModel:
    """`state`: "open", "closed" or "partial"; `extra`: the schema of undeclared names, in `keyword`."""

    state: str
    extra: Any
    keyword: str
    patterns: dict[str, Any]

    def cover(self, name: str) -> tuple[str, Any]:
        """The model that decides an undeclared `name`, and the schema covering it when partial."""
        for pattern, schema in self.patterns.items():
            if matches(pattern, name):
                return "partial", schema
        return self.state, self.extra


def content_model(resolver: SchemaResolver, view: View) -> ContentModel:
    keyword = "additionalProperties"
    if uses_unevaluated(resolver, view, "unevaluatedProperties", keyword):
        keyword = "unevaluatedProperties"
    extra = view.get(keyword)
    patterns = view.get("patternProperties", {})
    if extra is None:
        return ContentModel("open", None, keyword, patterns)
    extra_view = resolver.view(extra)
    if extra_view is False:
        return ContentModel("closed", extra, keyword, patterns)
    if is_unconstrained(extra_view):
        return ContentModel("open", extra, keyword, patterns)
    return ContentModel("partial", extra, keyword, patterns)
