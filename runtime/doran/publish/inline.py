"""Turn a bundled JSON Schema into one self-contained document without `$ref` or `$defs`.

Redpanda's registry rejects JSON schemas with `$ref`, `$defs`, `dependentSchemas`,
`dependentRequired` or `prefixItems` once a subject whose compatibility is not NONE holds a second
version, so every reference is replaced by a copy of its target, combined with the keywords beside
it by `doran.schema_source.refs.conjoin` (the same reading of a `$ref` the gate uses).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from referencing.jsonschema import SchemaRegistry

from doran.json_pointer import escape
from doran.publish.errors import InliningError
from doran.schema_source.refs import UnresolvableRef, conjoin, resolve, schema_registry

__all__ = ["REDPANDA_UNSUPPORTED_KEYWORDS", "canonical_text", "inline_schema", "unsupported_keywords"]

REDPANDA_UNSUPPORTED_KEYWORDS = frozenset(
    {"$ref", "$defs", "definitions", "dependentSchemas", "dependentRequired", "dependencies", "prefixItems"}
)
_UNRESOLVABLE = frozenset({"$dynamicRef", "$recursiveRef", "$dynamicAnchor", "$recursiveAnchor"})
_DOCUMENT_ONLY = ("$schema", "$id", "$defs", "definitions", "$anchor")
# Keywords whose values are maps from names to schemas (their keys are not keywords).
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})


def _target(refs: SchemaRegistry, base_uri: str, ref: str) -> Any:
    if not ref.startswith("#"):
        raise InliningError(f'"$ref": "{ref}" points outside the document; only bundled schemas inline')
    if ref in ("#", "#/"):
        raise InliningError(f'"$ref": "{ref}" points at the document root: a recursive schema cannot inline')
    try:
        return resolve(refs, base_uri, ref).target
    except UnresolvableRef:
        raise InliningError(f'"$ref": "{ref}" does not resolve in the bundled schema') from None


def inline_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of schema with every local `$ref` replaced by its target and `$defs` removed."""
    base_uri = str(schema.get("$id", ""))
    refs = schema_registry([(base_uri, schema)])

    def walk(node: Any, stack: tuple[str, ...], in_schema_map: bool) -> Any:
        if isinstance(node, list):
            return [walk(item, stack, False) for item in node]
        if not isinstance(node, dict):
            return node
        if in_schema_map:  # keys are property names, values are schemas
            return {key: walk(value, stack, False) for key, value in node.items()}
        for keyword in _UNRESOLVABLE & node.keys():
            raise InliningError(f'"{keyword}" cannot be inlined; doran schemas must not use it')
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("$defs", "definitions", "$ref"):
                continue
            out[key] = walk(value, stack, key in _SCHEMA_MAPS)
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return out
        if ref in stack:
            chain = " -> ".join((*stack, ref))
            raise InliningError(f'"$ref": "{ref}" is recursive ({chain}); it cannot be inlined')
        target = walk(copy.deepcopy(_target(refs, base_uri, ref)), (*stack, ref), False)
        if isinstance(target, dict):
            target = {k: v for k, v in target.items() if k not in _DOCUMENT_ONLY}
        return conjoin(target, out)

    inlined = walk(schema, (), False)
    leftovers = unsupported_keywords(inlined)
    if leftovers:
        raise InliningError(f"the inlined schema still uses {', '.join(leftovers)}, which Redpanda rejects")
    return dict(inlined)


def unsupported_keywords(schema: Any) -> list[str]:
    """JSON pointers of every keyword Redpanda's JSON schema support rejects (see module docstring)."""
    found: list[str] = []

    def walk(node: Any, pointer: str, in_schema_map: bool) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{pointer}/{index}", False)
        elif isinstance(node, dict):
            for key, value in node.items():
                escaped = escape(key)
                if not in_schema_map and key in REDPANDA_UNSUPPORTED_KEYWORDS:
                    found.append(f"{pointer}/{escaped}")
                walk(value, f"{pointer}/{escaped}", not in_schema_map and key in _SCHEMA_MAPS)

    walk(schema, "", False)
    return found


def canonical_text(schema: dict[str, Any]) -> str:
    """The exact schema string sent to the registry: sorted keys, no whitespace, so re-runs match."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
