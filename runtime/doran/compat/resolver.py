"""Read a bundled schema the way the walker needs it: internal `$ref`s resolved, booleans normalized.

A node's view is `False` (nothing passes), or a dict whose `$ref` is replaced by its target: merged
with the sibling keywords when they cannot interact, else kept as the first member of an `allOf`.
Only internal references (`#/...`) exist in a bundled schema; anything else is a CompatError.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Literal
from urllib.parse import unquote

from doran.compat.errors import CompatError

__all__ = [
    "ALL_TYPES",
    "ANNOTATIONS",
    "MaybeView",
    "SchemaResolver",
    "View",
    "canonical",
    "is_unconstrained",
    "type_set",
]

View = dict[str, Any]
MaybeView = View | Literal[False]  # False: the schema admits nothing

# Keywords that never change which instances validate (2020-12 annotations and document plumbing).
ANNOTATIONS = frozenset(
    {
        "title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly",
        "$schema", "$id", "$anchor", "$dynamicAnchor", "$defs", "definitions", "$vocabulary",
        "contentEncoding", "contentMediaType", "contentSchema",
    }
)  # fmt: skip
# Keywords whose meaning depends on others of the same schema object: never merged across a $ref.
_INTERACTING = (
    frozenset({"properties", "patternProperties", "additionalProperties", "unevaluatedProperties"}),
    frozenset({"prefixItems", "items", "additionalItems", "unevaluatedItems"}),
    frozenset({"contains", "minContains", "maxContains"}),
    frozenset({"if", "then", "else"}),
)
# integer is a subset of number: a number is split into its integral and fractional kinds.
ALL_TYPES = frozenset({"null", "boolean", "object", "array", "string", "integer", "fraction"})


def is_annotation(keyword: str) -> bool:
    return keyword in ANNOTATIONS or keyword.startswith("x-")


def assertions(view: Mapping[str, Any]) -> set[str]:
    """The keywords of a view that constrain instances."""
    return {k for k in view if not is_annotation(k)}


def is_unconstrained(view: MaybeView) -> bool:
    return view is not False and not assertions(view)


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
    """Views of the nodes of one bundled schema document; `label` names it in errors."""

    def __init__(self, root: Mapping[str, Any], label: str) -> None:
        self.root = root
        self.label = label

    def view(self, node: Any, _seen: frozenset[str] = frozenset()) -> MaybeView:
        """The node with `$ref` resolved; `True` becomes `{}`; `False` stays False."""
        if node is True:
            return {}
        if node is False:
            return False
        if not isinstance(node, Mapping):
            raise CompatError(self.label, f"a schema must be an object or a boolean, not {node!r}")
        ref = node.get("$ref")
        if ref is None:
            return dict(node)
        if ref in _seen:
            raise CompatError(self.label, f'"$ref": "{ref}" only leads back to itself')
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        target = self.view(self.target(ref), _seen | {ref})
        if target is False:
            return False
        if not assertions(siblings):
            return {**target, **siblings}
        return self._conjoin(target, siblings)

    def identity(self, node: Any) -> Any:
        """The node a chain of bare `$ref`s leads to (the node itself if it is no bare `$ref`).

        Two paths reaching one definition share its identity, so cycles and repeats are recognised.
        """
        seen: set[str] = set()
        while (
            isinstance(node, Mapping)
            and isinstance(node.get("$ref"), str)
            and not assertions(node) - {"$ref"}
        ):
            if node["$ref"] in seen:
                break
            seen.add(node["$ref"])
            node = self.target(node["$ref"])
        return node

    def target(self, ref: str) -> Any:
        """The node a `#/json/pointer` reference names."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise CompatError(
                self.label, f'"$ref": "{ref}" leaves the document; compare bundled schemas only'
            )
        node: Any = self.root
        fragment = unquote(ref[1:])
        if fragment and not fragment.startswith("/"):
            raise CompatError(
                self.label, f'"$ref": "{ref}" names an anchor; only JSON pointers are supported'
            )
        for raw in fragment.split("/")[1:] if fragment else []:
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise CompatError(self.label, f'"$ref": "{ref}" does not resolve')
        return node

    @staticmethod
    def _conjoin(target: View, siblings: View) -> View:
        # Merge when no keyword appears on both sides and no interacting group is split across them;
        # otherwise keep the target as an allOf member, which is what `$ref` means in 2020-12.
        clash = assertions(target) & assertions(siblings)
        split = any(group & assertions(target) and group & assertions(siblings) for group in _INTERACTING)
        if not clash and not split:
            return {**target, **siblings}
        return {**siblings, "allOf": [target, *siblings.get("allOf", [])]}
