"""Read one schema document the way the walker needs it: `$ref`s resolved, booleans normalized.

A node's view is `False` (nothing passes) or a dict. A `$ref` is resolved with
`doran.schema_source.refs` (by JSON pointer, `$id` or anchor, relative to the base URI of the
resource it is written in) and its target conjoined with the keywords beside it, as the shared
`conjoin` reads them; draft-07 and earlier ignore those keywords. A reference that resolves to
nothing leaves its view as `{"$ref": ...}`, which the walker reports as a finding. Every chain of
references is followed iteratively; a chain that only leads back to itself is a CompatError.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any, Literal
from urllib.parse import urldefrag, urljoin

from doran.compat.dialect import Dialect, dialect_of
from doran.compat.errors import CompatError
from doran.schema_source.refs import Reference, UnresolvableRef, assertions, conjoin, resolve, schema_registry

__all__ = [
    "ALL_TYPES",
    "MaybeView",
    "SchemaResolver",
    "View",
    "canonical",
    "constrains",
    "is_unconstrained",
    "type_set",
    "unresolved",
]

View = dict[str, Any]
MaybeView = View | Literal[False]  # False: the schema admits nothing

# integer is a subset of number: a number is split into its integral and fractional kinds.
ALL_TYPES = frozenset({"null", "boolean", "object", "array", "string", "integer", "fraction"})
# Keywords that make a schema more than "anything" (Everit's EmptySchema) in some draft.
_VOCABULARY = frozenset(
    {
        "type", "enum", "const", "not", "allOf", "anyOf", "oneOf", "if", "then", "else",
        "properties", "patternProperties", "additionalProperties", "unevaluatedProperties", "required",
        "propertyNames", "minProperties", "maxProperties", "dependencies", "dependentRequired",
        "dependentSchemas", "items", "prefixItems", "additionalItems", "unevaluatedItems", "contains",
        "minContains", "maxContains", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength",
        "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "$ref", "$dynamicRef", "$recursiveRef",
    }
)  # fmt: skip


def is_unconstrained(view: MaybeView) -> bool:
    return view is not False and not assertions(view)


def constrains(view: MaybeView) -> bool:
    """Whether a view holds any keyword of the validation vocabulary (False always constrains)."""
    return view is False or not _VOCABULARY.isdisjoint(view)


def unresolved(view: MaybeView) -> str | None:
    """The reference a view stands for when it could not be resolved."""
    ref = view.get("$ref") if view is not False else None
    return ref if isinstance(ref, str) else None


def type_set(view: Mapping[str, Any]) -> frozenset[str]:
    """Kinds of JSON value the `type` keyword admits (all kinds when absent)."""
    declared = view.get("type")
    if declared is None:
        return ALL_TYPES
    names = [declared] if isinstance(declared, str) else list(declared)
    kinds: set[str] = set()
    for name in names:
        kinds |= {"integer", "fraction"} if name == "number" else {name}
    return frozenset(kinds)


def canonical(value: Any) -> Any:
    """A hashable form in which JSON-equal values are equal (1 == 1.0, key order ignored, True != 1)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        return ("number", Fraction(value))
    if isinstance(value, list):
        return ("array", tuple(canonical(v) for v in value))
    if isinstance(value, dict):
        return ("object", tuple(sorted((k, canonical(v)) for k, v in value.items())))
    raise TypeError(f"not a JSON value: {value!r}")


class SchemaResolver:
    """Views of the nodes of one schema document; `label` names it in errors and findings.

    `others` are (base URI, document) pairs its `$ref`s may lead into, as in a folder of schemas.
    """

    def __init__(self, root: Mapping[str, Any], label: str, others: Iterable[tuple[str, Any]] = ()) -> None:
        self.root = root
        self.label = label
        self.dialect: Dialect = dialect_of(root)
        root_id = root.get("$id") if isinstance(root, Mapping) else None
        self.base = urldefrag(root_id)[0] if isinstance(root_id, str) else ""
        try:
            self._registry = schema_registry([("", root), *others], self.dialect.specification)
        except (AttributeError, TypeError) as exc:  # referencing met a keyword of the wrong shape
            raise CompatError(label, f"is not a valid {self.dialect.name} schema ({exc})") from None
        self._bases: dict[int, str] | None = None
        self._views: dict[int, tuple[Any, MaybeView]] = {}
        self._identities: dict[int, tuple[Any, Any]] = {}
        self._references: dict[tuple[str, str], Reference | None] = {}

    def _resolve(self, base: str, ref: str) -> Reference | None:
        """Where ref leads from base (None: nowhere), cached."""
        key = (base, ref)
        if key not in self._references:
            try:
                self._references[key] = resolve(self._registry, base, ref)
            except UnresolvableRef:
                self._references[key] = None
        return self._references[key]

    def base_of(self, node: Any) -> str:
        """The base URI that references written in node are resolved against."""
        if self._bases is None:
            self._bases = self._crawl_bases()
        return self._bases.get(id(node), self.base)

    def _crawl_bases(self) -> dict[int, str]:
        bases: dict[int, str] = {}
        stack = [(self.dialect.specification.create_resource(self.root), "")]
        while stack:
            resource, base = stack.pop()
            own = resource.id()
            if own:
                base = urldefrag(urljoin(base, own))[0]
            bases.setdefault(id(resource.contents), base)
            stack.extend((sub, base) for sub in resource.subresources())
        return bases

    def view(self, node: Any) -> MaybeView:
        """The node with `$ref` resolved; `True` becomes `{}`; `False` stays False (cached per node)."""
        hit = self._views.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        result = self._view(node)
        self._views[id(node)] = (node, result)
        return result

    def _view(self, node: Any) -> MaybeView:
        layers: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        base = self.base_of(node)
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if (base, ref) in seen:
                raise CompatError(self.label, f'"$ref": "{ref}" only leads back to itself')
            seen.add((base, ref))
            siblings = {k: v for k, v in node.items() if k != "$ref"} if self.dialect.ref_siblings else {}
            found = self._resolve(base, ref)
            if found is None:
                return {"$ref": ref}
            layers.append(siblings)
            node, base = found.target, found.base_uri
        if node is True:
            return self._wrap({}, layers)
        if node is False:
            return False
        if not isinstance(node, Mapping):
            raise CompatError(self.label, f"a schema must be an object or a boolean, not {node!r}")
        return self._wrap(dict(node), layers)

    @staticmethod
    def _wrap(target: MaybeView, layers: list[dict[str, Any]]) -> MaybeView:
        for siblings in reversed(layers):
            merged = conjoin(target, siblings)
            target = merged if merged is False else dict(merged)
        return target

    def identity(self, node: Any) -> Any:
        """The node a chain of bare `$ref`s leads to (the node itself if it is no bare `$ref`).

        Two paths reaching one definition share its identity, so cycles and repeats are recognised.
        """
        hit = self._identities.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        found = self._identity(node)
        self._identities[id(node)] = (node, found)
        return found

    def _identity(self, node: Any) -> Any:
        seen: set[tuple[str, str]] = set()
        base = self.base_of(node)
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            if self.dialect.ref_siblings and assertions(node) - {"$ref"}:
                break
            if (base, node["$ref"]) in seen:
                break
            seen.add((base, node["$ref"]))
            found = self._resolve(base, node["$ref"])
            if found is None:
                break
            node, base = found.target, found.base_uri
        return node
