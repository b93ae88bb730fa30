"""Inline every `$ref` of a schema into its own `$defs`, so one document stands alone.

Bundles feed datamodel-codegen, the reference validator and the schema registry; their bytes
depend only on the schema files (definitions sorted by name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from doran.errors import SchemaSourceError

if TYPE_CHECKING:
    from doran.codegen.schemaset import SchemaSet

__all__ = ["BASE_URI_KEY", "bundle_document"]

# A synthetic document (one that is not a file) names the URI its relative $refs resolve against.
BASE_URI_KEY = "x-doran-base-uri"
_DOCUMENT_ONLY = ("$schema", "$id", "$defs")


def bundle_document(
    schemas: SchemaSet, document: dict[str, Any], extra_defs: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Return document with every reachable `$ref` rewritten to `#/$defs/<Name>`.

    Names come from `/$defs/<Name>` fragments or the referenced document's title; two different
    targets with one name are an error rather than a silent overwrite.
    """
    base = str(document.get(BASE_URI_KEY, document.get("$id", "")))
    origin_path = str(document.get("$id", "<bundle>"))
    defs: dict[str, Any] = {}
    origins: dict[str, tuple[str, str]] = {}

    def definition_name(file_path: str, title: Any, fragment: str) -> str:
        parts = fragment.split("/")
        if fragment == "" and isinstance(title, str):
            return title
        if len(parts) == 3 and parts[1] == "$defs":
            return parts[2]
        raise SchemaSourceError(
            file_path, fragment, "a $ref must target a whole titled document or /$defs/<Name>"
        )

    def rewrite(node: Any, base_uri: str, file_path: str) -> Any:
        if isinstance(node, list):
            return [rewrite(item, base_uri, file_path) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                # "#" is the bundle's own root, which is already in place.
                out[key] = value if value == "#" else "#/$defs/" + pull(value, base_uri, file_path)
            elif key in _DOCUMENT_ONLY or key == BASE_URI_KEY:
                continue
            else:
                out[key] = rewrite(value, base_uri, file_path)
        return out

    def pull(ref: str, base_uri: str, file_path: str) -> str:
        try:
            target, fragment = schemas.resolve(base_uri, ref)
        except KeyError:
            raise SchemaSourceError(file_path, "", f'$ref "{ref}" does not resolve') from None
        name = definition_name(target.path, target.document.get("title"), fragment)
        origin = (target.path, fragment)
        if name in origins:
            if origins[name] != origin:
                raise SchemaSourceError(
                    target.path, fragment, f'definition name "{name}" is also used by {origins[name][0]}'
                )
            return name
        origins[name] = origin
        defs[name] = None  # reserve before recursing: refs may be cyclic
        node: Any = target.document
        for token in fragment.split("/")[1:] if fragment else []:
            node = node[token.replace("~1", "/").replace("~0", "~")]
        defs[name] = rewrite(node, target.id, target.path)
        return name

    bundled = {k: v for k, v in document.items() if k != BASE_URI_KEY and k != "$defs"}
    bundled = {
        k: (v if k in ("$schema", "$id") else rewrite(v, base, origin_path)) for k, v in bundled.items()
    }
    for name, extra in (extra_defs or {}).items():
        defs[name] = rewrite(extra, base, origin_path)
    if defs:
        bundled["$defs"] = {name: defs[name] for name in sorted(defs)}
    return bundled
