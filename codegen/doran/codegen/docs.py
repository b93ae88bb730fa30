"""Build the template context of docs/contracts.md from the schema set."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from doran.compat.growth import CONTENT_MODELS, can_grow, growth_table
from doran.schema_source.migration import Migration
from doran.schema_source.refs import resolve
from doran.schema_source.registry import value_subject
from doran.schema_source.schema_set import SchemaFile, SchemaSet

__all__ = ["docs_context"]

_EXAMPLE = {
    "event_id": "string",
    "event_type": "string",
    "venue": "string",
    "source": "string|null",
    "schema_version": 1,
    "observed_at": "ISO-8601|null",
    "ingested_at": "ISO-8601",
    "payload": {},
    "raw": {},
}


# JSON Schema's types in the order the docs list them.
_JSON_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    kinds = {dict: "object", list: "array", str: "string", int: "integer", float: "number"}
    return kinds[type(value)]


@dataclass(frozen=True)
class _Located:
    """A schema node and the base URI its `$ref`s resolve against."""

    node: Any
    base: str


def _target(schemas: SchemaSet, where: _Located) -> _Located | None:
    ref = where.node.get("$ref") if isinstance(where.node, dict) else None
    if not isinstance(ref, str):
        return None
    found = resolve(schemas.refs, where.base, ref)
    return _Located(found.target, found.base_uri)


def json_types(schemas: SchemaSet, where: _Located) -> set[str] | None:
    """The JSON types a schema admits, from `type`, `const`, `enum`, `$ref` and the combinators;
    None when nothing restricts them."""
    node = where.node
    if node is False:
        return set()
    if not isinstance(node, dict):
        return None
    allowed: set[str] | None = None

    def narrow(types: set[str] | None) -> None:
        nonlocal allowed
        if types is not None:
            allowed = types if allowed is None else allowed & types

    kind = node.get("type")
    narrow({kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else None)
    if "const" in node:
        narrow({_json_type(node["const"])})
    if "enum" in node:
        narrow({_json_type(value) for value in node["enum"]})
    target = _target(schemas, where)
    if target is not None:
        narrow(json_types(schemas, target))
    for member in node.get("allOf", []):
        narrow(json_types(schemas, _Located(member, where.base)))
    for combinator in ("oneOf", "anyOf"):
        if combinator in node:
            branches = [json_types(schemas, _Located(b, where.base)) for b in node[combinator]]
            union: set[str] = set()
            for branch in branches:
                union |= branch or set()
            narrow(None if None in branches else union)
    return allowed


def _name(schemas: SchemaSet, where: _Located) -> str | None:
    """The definition a property names through its `$ref`: the target's title, else its $defs name."""
    target = _target(schemas, where)
    if target is None:
        return None
    title = target.node.get("title") if isinstance(target.node, dict) else None
    return str(title) if title else str(where.node["$ref"]).rsplit("/", 1)[1]


def type_of(schemas: SchemaSet, where: _Located) -> str:
    """A short description of a property's type, read from its schema, e.g. `string (U128)`."""
    schema = where.node
    if "const" in schema:
        return f"const `{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    types = json_types(schemas, where)
    if types is None:
        return "any"
    listed = " \\| ".join(t for t in _JSON_TYPES if t in types) or "nothing"
    name = _name(schemas, where)
    if types == {"array"} and isinstance(schema.get("items"), dict):
        return f"array of {type_of(schemas, _Located(schema['items'], where.base))}"
    if types == {"object"} and name is None and "additionalProperties" not in schema:
        return "object (open)"
    return f"{listed} ({name})" if name else listed


def _fields(schemas: SchemaSet, document: dict[str, Any], base: str) -> list[dict[str, str]]:
    required = set(document.get("required", []))
    return [
        {
            "name": name if name in required else f"{name}?",
            "type": type_of(schemas, _Located(prop, base)),
            "description": str(prop.get("description", "")).replace("|", "\\|"),
        }
        for name, prop in document.get("properties", {}).items()
    ]


def _shapes(schemas: SchemaSet, payload: SchemaFile) -> list[dict[str, Any]]:
    document = payload.document
    branches = [b["$ref"].rsplit("/", 1)[1] for b in document.get("oneOf", []) if "$ref" in b]
    if not branches:
        return [
            {
                "title": document["title"],
                "description": document["description"],
                "fields": _fields(schemas, document, payload.id),
            }
        ]
    return [
        {
            "title": name,
            "description": document["$defs"][name]["description"],
            "fields": _fields(schemas, document["$defs"][name], payload.id),
        }
        for name in branches
    ]


# Keywords that constrain strings only: a definition made of them narrows whatever string its use admits.
_STRING_KEYWORDS = frozenset({"pattern", "minLength", "maxLength", "format"})


def _value_type(schemas: SchemaSet, where: _Located) -> str:
    types = json_types(schemas, where)
    if types is None and _STRING_KEYWORDS & set(where.node):
        return "string constraint"
    return type_of(schemas, where)


def _operations(migration: Migration | None) -> list[str] | None:
    if migration is None:
        return None
    return [o.describe() for o in migration.operations] or ["none: a payload passes as it is"]


def _versions(schemas: SchemaSet, name: str) -> list[dict[str, Any]]:
    """Each version of a topic, oldest first, with the migration from it to the next."""
    topic = schemas.topic(name)
    versions = []
    for version in topic.versions:
        migration = schemas.migrations.get((name, version))
        step = None
        if migration is not None:
            step = {
                "file": migration.path,
                "description": migration.description,
                "upgrade": _operations(migration.upgrade),
                "downgrade": _operations(migration.downgrade),
            }
        versions.append(
            {
                "version": version,
                "payload_schema": topic.payload_schema_of(version),
                "value_subject": value_subject(name, version),
                "migration": step,
            }
        )
    return versions


def _retention(ms: int) -> str:
    if ms < 0:
        return "forever"
    days, rest = divmod(ms, 86_400_000)
    return f"{days} d" if not rest else f"{ms} ms"


def docs_context(schemas: SchemaSet, bundle_ids: dict[str, str]) -> dict[str, Any]:
    envelope = schemas.envelope.document
    common = next(f for f in schemas.files.values() if f.path.endswith("common.schema.json"))
    topics = []
    for topic in schemas.topics:
        payload = schemas.payload(topic.name)
        topics.append(
            {
                **topic.as_json(),
                "value_subject": topic.value_subject,
                "retention": _retention(topic.retention_ms),
                "payload_title": payload.document["title"],
                "payload_description": payload.document["description"],
                "schema_id": bundle_ids[topic.name],
                "shapes": _shapes(schemas, payload),
                "versions": _versions(schemas, topic.name),
                "grows": not can_grow(
                    schemas.bundle(topic.name), topic.compatibility, topic.compatibility_policy
                ).breaking,
            }
        )
    return {
        "contract_sha256": schemas.contract_sha256,
        "envelope_path": schemas.registry.envelope,
        "envelope_id": envelope["$id"],
        "envelope_example": json.dumps(_EXAMPLE, indent=2),
        "envelope_fields": _fields(schemas, envelope, schemas.envelope.id),
        "topics": topics,
        "content_models": list(CONTENT_MODELS),
        "growth": growth_table(),
        "lenient_alike": growth_table("LENIENT") == growth_table(),
        "value_types": [
            {
                "name": name,
                "type": _value_type(schemas, _Located(d, common.id)),
                "description": d["description"].replace("|", "\\|"),
            }
            for name, d in common.document["$defs"].items()
        ],
    }
