"""Build the template context of docs/contracts.md from the schema set."""

from __future__ import annotations

import json
from typing import Any

from doran.schema_source.schema_set import SchemaSet

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


def type_of(schema: dict[str, Any]) -> str:
    """A short human description of a property schema's type, e.g. `string (U128)`."""
    ref = schema.get("$ref")
    named = f" ({ref.rsplit('/', 1)[1]})" if isinstance(ref, str) else ""
    if "const" in schema:
        return f"const `{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " \\| ".join(kind) + named
    if kind == "object" and "additionalProperties" not in schema:
        return "object (open)"
    return f"{kind or 'string'}{named}"


def _fields(schemas: SchemaSet, document: dict[str, Any]) -> list[dict[str, str]]:
    required = set(document.get("required", []))
    return [
        {
            "name": name if name in required else f"{name}?",
            "type": type_of(prop),
            "description": str(prop.get("description", "")).replace("|", "\\|"),
        }
        for name, prop in document.get("properties", {}).items()
    ]


def _shapes(schemas: SchemaSet, document: dict[str, Any]) -> list[dict[str, Any]]:
    branches = [b["$ref"].rsplit("/", 1)[1] for b in document.get("oneOf", []) if "$ref" in b]
    if not branches:
        return [
            {
                "title": document["title"],
                "description": document["description"],
                "fields": _fields(schemas, document),
            }
        ]
    return [
        {
            "title": name,
            "description": document["$defs"][name]["description"],
            "fields": _fields(schemas, document["$defs"][name]),
        }
        for name in branches
    ]


def _retention(ms: int) -> str:
    if ms < 0:
        return "forever"
    days, rest = divmod(ms, 86_400_000)
    return f"{days} d" if not rest else f"{ms} ms"


def docs_context(schemas: SchemaSet, bundle_ids: dict[str, str]) -> dict[str, Any]:
    envelope = schemas.envelope.document
    common = next(f.document for f in schemas.files.values() if f.path.endswith("common.schema.json"))
    topics = []
    for topic in schemas.topics:
        payload = schemas.payload(topic.name).document
        topics.append(
            {
                **topic.as_json(),
                "value_subject": topic.value_subject,
                "retention": _retention(topic.retention_ms),
                "payload_title": payload["title"],
                "payload_description": payload["description"],
                "schema_id": bundle_ids[topic.name],
                "shapes": _shapes(schemas, payload),
            }
        )
    return {
        "contract_sha256": schemas.contract_sha256,
        "envelope_path": schemas.registry.envelope,
        "envelope_id": envelope["$id"],
        "envelope_example": json.dumps(_EXAMPLE, indent=2),
        "envelope_fields": _fields(schemas, envelope),
        "schema_version": schemas.registry.schema_version,
        "topics": topics,
        "value_types": [
            {
                "name": name,
                "type": d.get("type", "string"),
                "description": d["description"].replace("|", "\\|"),
            }
            for name, d in common["$defs"].items()
        ],
    }
