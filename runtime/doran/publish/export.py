"""`doran schemas export DIR`: the contract as files for other teams and tools.

Writes DIR/topics.json and DIR/topics.schema.json (the registry exactly as schemas/ holds it),
DIR/schemas/<name>.schema.json (each topic's and venue message's bundled schema, with its $id),
DIR/bundle.json (per topic: registry subject, schema file, $id and hash) and DIR/asyncapi.yaml.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from doran.contracts import CONTRACT_SHA256, TOPICS, VENUE_MESSAGES, bundled_schema
from doran.publish.asyncapi import build_asyncapi
from doran.publish.plan import subject_name
from doran.schema_source.registry import REGISTRY_FILE, REGISTRY_SCHEMA_FILE

__all__ = ["BUNDLE_FILE", "bundle_manifest", "export", "schema_file"]

BUNDLE_FILE = "bundle.json"


def schema_file(name: str) -> str:
    """Path of a topic's (or venue message's) bundled schema inside an export directory."""
    return f"schemas/{name}.schema.json"


def bundle_manifest() -> dict[str, Any]:
    """What the export holds per topic and venue message: schema file, $id, hash, registry subject."""
    return {
        "contract_sha256": CONTRACT_SHA256,
        "topics": {
            spec.name: {
                "subject": subject_name(spec.name),
                "schema": schema_file(spec.name),
                "schema_id": spec.schema_id,
                "schema_sha256": spec.schema_sha256,
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
    (directory / BUNDLE_FILE).write_text(_json_text(bundle_manifest()), encoding="utf-8")
    asyncapi = yaml.safe_dump(build_asyncapi(), sort_keys=False, allow_unicode=True, width=100)
    (directory / "asyncapi.yaml").write_text(asyncapi, encoding="utf-8")
