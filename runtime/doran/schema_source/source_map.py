"""Where a point of a topic's bundled schema comes from: the file under schemas/ a person edits, the
JSON pointer there and its line.

A bundle is assembled (`SchemaSet.bundle`): the envelope's keywords and properties, `event_type`
and `payload` made from the topic's entry in topics.json, and every `$ref` pulled into `$defs`. The
gate walks it through its `$ref`s, so its pointers name paths of the message, not of any file
(`/properties/payload/properties/quote_id`); `locate` follows the same path, `$ref` by `$ref`, to
the definition that holds what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doran.json_pointer import escape, parse
from doran.schema_source.registry import REGISTRY_FILE
from doran.schema_source.schema_set import SchemaSet
from doran.schema_source.source_lines import pointer_lines

__all__ = ["SourceLocation", "locate", "locate_entry"]

_DEFS = "#/$defs/"


@dataclass(frozen=True)
class SourceLocation:
    """A place in a source file: its path relative to schemas/, a JSON pointer and the 1-based line."""

    file: str
    pointer: str
    line: int


def locate(
    schemas: SchemaSet, topic: str, walked: str, keyword: str | None = None, version: int | None = None
) -> SourceLocation:
    """The source of the point `walked` (a pointer through `$ref`s) of the bundled schema of `topic`
    (of its `version`, the newest when None): of the `keyword` there when given (following `$ref`s to
    the definition holding it), else of the node."""
    origins: dict[str, tuple[str, str]] = {}
    bundle = schemas.bundle(topic, version, origins)
    node: Any = bundle
    definition, path = "", list[Any]()  # the $defs entry the walk is in ("" for the root), and the path in it
    for token in parse(walked):
        while isinstance(node, dict) and token not in node and isinstance(node.get("$ref"), str):
            node, definition, path = _target(bundle, node["$ref"])
        child = _child(node, token)
        if child is None:
            break  # a point only the previous version has: its nearest existing parent
        node, path = child, [*path, token]
    # What changed is in the definition a $ref names, unless the referring node holds that keyword.
    while isinstance(node, dict) and keyword not in node and isinstance(node.get("$ref"), str):
        node, definition, path = _target(bundle, node["$ref"])
    if keyword and isinstance(node, dict) and keyword in node:
        path = [*path, keyword]
    file, pointer = _source(schemas, topic, version, origins, definition, path)
    return SourceLocation(file, pointer, _line(schemas, file, pointer))


def locate_entry(schemas: SchemaSet, topic: str, field: str) -> SourceLocation:
    """The source of one field of a topic's entry in topics.json (its versions, say)."""
    pointer = f"/topics/{[t.name for t in schemas.topics].index(topic)}/{field}"
    return SourceLocation(REGISTRY_FILE, pointer, _line(schemas, REGISTRY_FILE, pointer))


def _target(bundle: dict[str, Any], ref: str) -> tuple[Any, str, list[Any]]:
    if ref.startswith(_DEFS):
        name = ref.removeprefix(_DEFS)
        return bundle["$defs"][name], name, []
    return bundle, "", []  # "#": the bundle's root


def _child(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        return node.get(token)
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    return None


def _source(
    schemas: SchemaSet,
    topic: str,
    version: int | None,
    origins: dict[str, tuple[str, str]],
    definition: str,
    path: list[Any],
) -> tuple[str, str]:
    tail = "".join(f"/{escape(str(token))}" for token in path)
    if definition:
        document, fragment = origins[definition]
        file = next(f.path for f in schemas.files.values() if f.id == document)
        return file, fragment + tail
    entry = f"/topics/{[t.name for t in schemas.topics].index(topic)}"
    if path[:2] == ["properties", "event_type"]:
        return REGISTRY_FILE, f"{entry}/event_type"
    if path[:2] == ["properties", "payload"]:
        return schemas.payload(topic, version).path, ""
    if path and path[0] in ("$id", "title", "description"):
        return REGISTRY_FILE, entry  # made from the topic's entry
    return schemas.envelope.path, tail


def _line(schemas: SchemaSet, file: str, pointer: str) -> int:
    lines = pointer_lines((schemas.root / file).read_text(encoding="utf-8"))
    while pointer not in lines and pointer:
        pointer = pointer.rsplit("/", 1)[0]
    return lines.get(pointer, 1)
