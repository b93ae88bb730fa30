"""`doran schemas export DIR`: the contract as files for other teams and tools.

Writes DIR/schemas/<topic>.schema.json (bundled, with their $ids), DIR/topics.json (the registry
with each topic's subject, schema file and hash) and DIR/asyncapi.yaml (AsyncAPI 3.0).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from doran.contracts import CONTRACT_SHA256, DEAD_LETTER_TOPIC, SCHEMA_VERSION, TOPICS, VENUE, bundled_schema
from doran.publish.asyncapi import build_asyncapi
from doran.publish.errors import PublishError
from doran.publish.plan import subject_name

__all__ = ["export", "exported_registry", "schema_file"]


def schema_file(topic: str) -> str:
    """Path of a topic's schema inside an export directory."""
    return f"schemas/{topic}.schema.json"


def exported_registry() -> dict[str, Any]:
    """The topic registry as exported: registry fields plus subject, schema file, $id and hash per topic."""
    return {
        "venue": VENUE,
        "schema_version": SCHEMA_VERSION,
        "dead_letter_topic": DEAD_LETTER_TOPIC,
        "contract_sha256": CONTRACT_SHA256,
        "topics": [
            {
                "name": spec.name,
                "event_type": spec.event_type,
                "key": spec.key,
                "partitions": spec.partitions,
                "replication_factor": spec.replication_factor,
                "cleanup_policy": spec.cleanup_policy,
                "retention_ms": spec.retention_ms,
                "compatibility": spec.compatibility,
                "description": spec.description,
                "subject": subject_name(spec.name),
                "schema": schema_file(spec.name),
                "schema_id": spec.schema_id,
                "schema_sha256": spec.schema_sha256,
            }
            for spec in TOPICS.values()
        ],
    }


def _json_text(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def export(directory: Path) -> None:
    """Write the schemas, topics.json and asyncapi.yaml under directory (created if missing)."""
    try:
        # PyYAML is a dev dependency (export is contract tooling, not part of a stage); imported by
        # name so the runtime image and type checking do not need it or its stubs.
        yaml = importlib.import_module("yaml")
    except ImportError as exc:
        raise PublishError("`doran schemas export` needs PyYAML: pip install 'doran[dev]' or pyyaml") from exc
    (directory / "schemas").mkdir(parents=True, exist_ok=True)
    for topic in TOPICS:
        (directory / schema_file(topic)).write_text(_json_text(bundled_schema(topic)), encoding="utf-8")
    (directory / "topics.json").write_text(_json_text(exported_registry()), encoding="utf-8")
    asyncapi = yaml.safe_dump(build_asyncapi(), sort_keys=False, allow_unicode=True, width=100)
    (directory / "asyncapi.yaml").write_text(asyncapi, encoding="utf-8")
