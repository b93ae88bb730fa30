"""Turn a bundled JSON Schema into one self-contained document without `$ref` or `$defs`.

Redpanda's registry rejects JSON schemas with `$ref`, `$defs`, `dependentSchemas`,
`dependentRequired` or `prefixItems` once a subject whose compatibility is not NONE holds a second
version, so every reference is replaced by a copy of its target. Semantics are kept: a `$ref` with
sibling keywords is merged only where the keywords cannot interact, otherwise it becomes `allOf`.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import unquote

from doran.publish.errors import InliningError

__all__ = ["REDPANDA_UNSUPPORTED_KEYWORDS", "canonical_text", "inline_schema", "unsupported_keywords"]

REDPANDA_UNSUPPORTED_KEYWORDS = frozenset(
    {"$ref", "$defs", "definitions", "dependentSchemas", "dependentRequired", "dependencies", "prefixItems"}
)
_UNRESOLVABLE = frozenset({"$dynamicRef", "$recursiveRef", "$dynamicAnchor", "$recursiveAnchor"})
_ANNOTATIONS = frozenset(
    {"title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly"}
)
# Keywords whose meaning depends on other keywords of the same schema object: never merge across them.
_INTERACTING = frozenset(
    {
        "properties", "patternProperties", "additionalProperties", "unevaluatedProperties",
        "items", "prefixItems", "additionalItems", "unevaluatedItems", "contains", "minContains",
        "maxContains", "if", "then", "else",
    }
)  # fmt: skip
_DOCUMENT_ONLY = ("$schema", "$id", "$defs", "definitions", "$anchor")
# Keywords whose values are maps from names to schemas (their keys are not keywords).
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})


def _pointer_target(root: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        raise InliningError(f'"$ref": "{ref}" points outside the document; only bundled schemas inline')
    node: Any = root
    fragment = unquote(ref[1:])
    if fragment in ("", "/"):
        raise InliningError(f'"$ref": "{ref}" points at the document root: a recursive schema cannot inline')
    for raw in fragment.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise InliningError(f'"$ref": "{ref}" does not resolve in the bundled schema')
    return node


def _merge(target: Any, siblings: dict[str, Any]) -> Any:
    """AND of a resolved target and the keywords written next to its `$ref`."""
    if not siblings:
        return target
    if not isinstance(target, dict):
        return {**siblings, "allOf": [target]}
    merged = {k: v for k, v in target.items() if k not in _DOCUMENT_ONLY}
    structural = {k: v for k, v in siblings.items() if k not in _ANNOTATIONS}
    clash = any(k in merged and merged[k] != v for k, v in structural.items())
    interact = bool(set(merged) & _INTERACTING) and bool(set(structural) & _INTERACTING)
    if clash or interact:
        annotations = {k: v for k, v in siblings.items() if k in _ANNOTATIONS}
        return {**annotations, "allOf": [merged, structural]} if structural else {**merged, **annotations}
    merged.update(siblings)  # the use site's annotations describe this use: they win
    return merged


def inline_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of schema with every local `$ref` replaced by its target and `$defs` removed."""

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
        target = walk(copy.deepcopy(_pointer_target(schema, ref)), (*stack, ref), False)
        return _merge(target, out)

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
                escaped = key.replace("~", "~0").replace("/", "~1")
                if not in_schema_map and key in REDPANDA_UNSUPPORTED_KEYWORDS:
                    found.append(f"{pointer}/{escaped}")
                walk(value, f"{pointer}/{escaped}", not in_schema_map and key in _SCHEMA_MAPS)

    walk(schema, "", False)
    return found


def canonical_text(schema: dict[str, Any]) -> str:
    """The exact schema string sent to the registry: sorted keys, no whitespace, so re-runs match."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
