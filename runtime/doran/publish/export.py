"""`doran schemas export DIR`: the contract as files for other teams and tools.

Writes DIR/topics.json and DIR/topics.schema.json (the registry exactly as schemas/ holds it, with
the migration files it names), DIR/schemas/<name>.schema.json (each topic's and venue message's
bundled schema, with its $id; <topic>.v<N>.schema.json for a topic's version N >= 2), DIR/bundle.json
(per topic: registry subject, schema file, $id and hash, and its earlier versions) and
DIR/asyncapi.yaml.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from doran.contracts import CONTRACT_SHA256, TOPICS, VENUE_MESSAGES, Envelope, bundled_schema
from doran.publish.asyncapi import build_asyncapi
from doran.schema_source.registry import REGISTRY_FILE, REGISTRY_SCHEMA_FILE, TopicSpec, value_subject

__all__ = ["BUNDLE_FILE", "bundle_manifest", "export", "schema_file"]

BUNDLE_FILE = "bundle.json"


def schema_file(name: str, version: int | None = None) -> str:
    """Path of the bundled schema of a venue message, or of a topic's version (its newest when None),
    inside an export directory."""
    if name in VENUE_MESSAGES:
        return f"schemas/{VENUE_MESSAGES[name].bundle.file}"
    spec = TOPICS[name]
    if version is None or version == spec.schema_version:
        return f"schemas/{spec.bundle.file}"
    return f"schemas/{next(v.bundle.file for v in spec.older if v.schema_version == version)}"


def _earlier(spec: TopicSpec[Envelope]) -> list[dict[str, Any]]:
    return [
        {
            "schema_version": version.schema_version,
            "subject": value_subject(spec.name, version.schema_version),
            "schema": schema_file(spec.name, version.schema_version),
            "schema_id": version.schema_id,
            "schema_sha256": version.schema_sha256,
            "migration": entry.migration,
            "downgrade": version.downgrade is not None,
        }
        for version, entry in zip(spec.older, spec.earlier_versions, strict=True)
    ]


def bundle_manifest() -> dict[str, Any]:
    """What the export holds per topic and venue message: schema file, $id, hash, registry subject."""
    return {
        "contract_sha256": CONTRACT_SHA256,
        "topics": {
            spec.name: {
                "subject": spec.value_subject,
                "schema": schema_file(spec.name),
                "schema_id": spec.schema_id,
                "schema_sha256": spec.schema_sha256,
                "schema_version": spec.schema_version,
                **({"earlier_versions": _earlier(spec)} if spec.older else {}),
            }
            for spec in TOPICS.values()
        },
        "venue_messages": {
            spec.name: {
                "schema": schema_file(spec.name),
                "schema_id": spec.schema_id,
                "schema_sha256": spec.schema_sha256,
            }
            for spec in VENUE_MESSAGES.values()
        },
    }


def _json_text(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def export(directory: Path) -> None:
    """Write the registry, schemas, bundle.json and asyncapi.yaml under directory (created if missing)."""
    (directory / "schemas").mkdir(parents=True, exist_ok=True)
    shipped = resources.files("doran.contracts").joinpath("schemas")
    for name in (REGISTRY_FILE, REGISTRY_SCHEMA_FILE):
        (directory / name).write_bytes(shipped.joinpath(name).read_bytes())
    for name in [*TOPICS, *VENUE_MESSAGES]:
        (directory / schema_file(name)).write_text(_json_text(bundled_schema(name)), encoding="utf-8")
    for spec in TOPICS.values():
        for version, entry in zip(spec.older, spec.earlier_versions, strict=True):
            bundle = _json_text(version.bundle.document())
            (directory / schema_file(spec.name, version.schema_version)).write_text(bundle, encoding="utf-8")
            migration = directory / entry.migration
            migration.parent.mkdir(parents=True, exist_ok=True)
            migration.write_bytes(shipped.joinpath(entry.migration).read_bytes())
    (directory / BUNDLE_FILE).write_text(_json_text(bundle_manifest()), encoding="utf-8")
    asyncapi = yaml.safe_dump(build_asyncapi(), sort_keys=False, allow_unicode=True, width=100)
    (directory / "asyncapi.yaml").write_text(asyncapi, encoding="utf-8")
