"""`$ref` in doran's schemas: resolution with `referencing`, and the meaning of keywords beside a `$ref`.

Resolution: documents are registered by `$id` (embedded `$id`s and anchors included), and a
reference is looked up relative to the base URI of the document it is written in. In draft
2019-09 and later a `$ref` is one more assertion of its schema object, i.e. an `allOf` member of
it; `conjoin` writes that AND as a single object where the keywords cannot interact, so the
bundler, the registry inliner and the compatibility gate all read a `$ref` the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

from referencing import Registry, Resource, Specification
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012, SchemaRegistry

from doran.errors import DoranError

__all__ = [
    "ANNOTATIONS",
    "INTERACTING",
    "Reference",
    "UnresolvableRef",
    "assertions",
    "conjoin",
    "is_annotation",
    "resolve",
    "schema_registry",
]

# Keywords that never change which instances validate (annotations and document plumbing).
ANNOTATIONS = frozenset(
    {
        "title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly",
        "$schema", "$id", "$anchor", "$dynamicAnchor", "$defs", "definitions", "$vocabulary",
        "contentEncoding", "contentMediaType", "contentSchema",
    }
)  # fmt: skip
# Keywords whose meaning depends on others of the same schema object: a group is never split
# between a `$ref` target and the keywords beside the `$ref`.
INTERACTING = (
    frozenset({"properties", "patternProperties", "additionalProperties", "unevaluatedProperties"}),
    frozenset({"prefixItems", "items", "additionalItems", "unevaluatedItems"}),
    frozenset({"contains", "minContains", "maxContains"}),
    frozenset({"if", "then", "else"}),
)


class UnresolvableRef(DoranError, LookupError):
    """A `$ref` names no schema among the registered documents."""


@dataclass(frozen=True, slots=True)
class Reference:
    """Where a `$ref` leads: the target schema, the URI of the document holding it and the
    fragment within, and the base URI of the references written inside the target."""

    target: Any
    document_uri: str
    fragment: str
    base_uri: str


def is_annotation(keyword: str) -> bool:
    """Whether a keyword only annotates (x-* extensions included)."""
    return keyword in ANNOTATIONS or keyword.startswith("x-")


def assertions(schema: Mapping[str, Any]) -> set[str]:
    """The keywords of a schema object that constrain instances."""
    return {keyword for keyword in schema if not is_annotation(keyword)}


def schema_registry(
    documents: Iterable[tuple[str, Any]], default: Specification[Any] = DRAFT202012
) -> SchemaRegistry:
    """A registry of (base URI, schema document) pairs, crawled so embedded `$id`s and anchors resolve."""
    resources = [(uri, Resource.from_contents(doc, default_specification=default)) for uri, doc in documents]
    return Registry().with_resources(resources).crawl()


def resolve(registry: SchemaRegistry, base_uri: str, ref: str) -> Reference:
    """Follow `ref` as written in a schema whose base URI is base_uri."""
    document_uri, fragment = urldefrag(urljoin(base_uri, ref))
    try:
        found = registry.resolver(base_uri).lookup(ref)
    except Unresolvable as exc:
        where = base_uri or "the document"
        raise UnresolvableRef(f'"$ref": "{ref}" does not resolve from {where}') from exc
    target = found.contents
    nested = document_uri
    if isinstance(target, Mapping) and isinstance(target.get("$id"), str):
        nested = urldefrag(urljoin(document_uri, target["$id"]))[0]
    return Reference(target, document_uri, fragment, nested)


def conjoin(target: Any, siblings: Mapping[str, Any]) -> Any:
    """The AND of a resolved `$ref` target and the keywords written beside the `$ref`.

    Merged into one object when no assertion appears on both sides (unless equal) and no
    interacting group is split; otherwise the target becomes the first `allOf` member. The
    siblings' annotations describe this use of the target, so they win.
    """
    if not siblings:
        return target
    if target is True:
        return dict(siblings)
    if not isinstance(target, Mapping):  # False: nothing passes, whatever sits beside it
        return False
    mine, theirs = assertions(target), assertions(siblings)
    clash = any(target[k] != siblings[k] for k in mine & theirs)
    split = any(group & mine and group & theirs for group in INTERACTING)
    if not clash and not split:
        return {**target, **siblings}
    return {**siblings, "allOf": [dict(target), *siblings.get("allOf", [])]}
