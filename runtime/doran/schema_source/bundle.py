"""Inline every `$ref` of a schema into its own `$defs`, so one document stands alone.

Bundles feed datamodel-codegen, the reference validator and the schema registry; their bytes
depend only on the schema files (definitions sorted by name).
"""

from __future__ import annotations

from typing import Any

from referencing.jsonschema import SchemaRegistry

from doran.errors import SchemaSourceError
from doran.json_pointer import parse
from doran.schema_source.refs import UnresolvableRef, resolve

__all__ = ["bundle_document"]

_DOCUMENT_ONLY = ("$schema", "$id", "$defs")


def bundle_document(
    refs: SchemaRegistry,
    document: dict[str, Any],
    base_uri: str,
    extra_defs: dict[str, dict[str, Any]] | None = None,
    origins: dict[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Return document (whose relative `$ref`s resolve against base_uri) with every reachable `$ref`
    rewritten to `#/$defs/<Name>`; extra_defs are added as definitions of their own.

    Names come from `/$defs/<Name>` fragments or the referenced document's title; two different
    targets with one name are an error rather than a silent overwrite. `origins`, when given, gets
    where each definition came from: name -> (the $id of its document, its JSON pointer there).
    """
    defs: dict[str, Any] = {}
    origins = {} if origins is None else origins

    def rewrite(node: Any, base: str) -> Any:
        if isinstance(node, list):
            return [rewrite(item, base) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                # "#" is the bundle's own root, which is already in place.
                out[key] = value if value == "#" else "#/$defs/" + pull(value, base)
            elif key not in _DOCUMENT_ONLY:
                out[key] = rewrite(value, base)
        return out

    def pull(ref: str, base: str) -> str:
        try:
            found = resolve(refs, base, ref)
        except UnresolvableRef:
            raise SchemaSourceError(base, "", f'$ref "{ref}" does not resolve') from None
        name = _definition_name(found.document_uri, found.target, found.fragment)
        origin = (found.document_uri, found.fragment)
        if name in origins:
            if origins[name] != origin:
                raise SchemaSourceError(
                    found.document_uri,
                    found.fragment,
                    f'definition name "{name}" is also used by {origins[name][0]}',
                )
            return name
        origins[name] = origin
        defs[name] = None  # reserve before recursing: refs may be cyclic
        defs[name] = rewrite(found.target, found.base_uri)
        return name

    bundled = {
        k: (v if k in ("$schema", "$id") else rewrite(v, base_uri))
        for k, v in document.items()
        if k != "$defs"
    }
    for name, extra in (extra_defs or {}).items():
        defs[name] = rewrite(extra, base_uri)
    if defs:
        bundled["$defs"] = {name: defs[name] for name in sorted(defs)}
    return bundled


def _definition_name(document_uri: str, target: Any, fragment: str) -> str:
    tokens = parse(fragment) if fragment else []
    if not tokens and isinstance(target, dict) and isinstance(target.get("title"), str):
        return str(target["title"])
    if len(tokens) == 2 and tokens[0] == "$defs":
        return tokens[1]
    raise SchemaSourceError(
        document_uri, fragment, "a $ref must target a whole titled document or /$defs/<Name>"
    )
