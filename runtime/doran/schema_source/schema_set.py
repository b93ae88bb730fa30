"""Load schemas/ (topic registry + JSON Schemas) and prove it usable before anything is generated.

Every problem is a `SchemaSourceError` naming the file and JSON pointer: not JSON, not a valid
2020-12 schema, a `$ref` that does not resolve, a topic without a schema.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing.jsonschema import SchemaRegistry

from doran.errors import SchemaSourceError
from doran.json_pointer import pointer
from doran.schema_source.bundle import bundle_document
from doran.schema_source.refs import UnresolvableRef, resolve, schema_registry
from doran.schema_source.registry import (
    REGISTRY_FILE,
    REGISTRY_SCHEMA_FILE,
    TopicEntry,
    TopicRegistry,
    load_topic_registry,
)

__all__ = ["DRAFT_2020_12", "SchemaFile", "SchemaSet", "event_title", "load_schema_set"]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class SchemaFile:
    """One schema file: its path relative to schemas/, parsed document and sha256 of its bytes."""

    path: str
    document: dict[str, Any]
    sha256: str

    @property
    def id(self) -> str:
        return str(self.document["$id"])


@dataclass(frozen=True)
class SchemaSet:
    """The whole contract: the topic registry and every schema file by path relative to schemas/."""

    root: Path
    registry: TopicRegistry
    files: Mapping[str, SchemaFile]
    registry_sha256: str

    @property
    def topics(self) -> tuple[TopicEntry, ...]:
        return self.registry.topics

    @property
    def envelope(self) -> SchemaFile:
        return self.files[self.registry.envelope]

    def topic(self, name: str) -> TopicEntry:
        return self.registry.topic(name)

    def payload(self, topic: str) -> SchemaFile:
        """The payload schema file of a topic."""
        return self.files[self.topic(topic).payload_schema]

    @cached_property
    def refs(self) -> SchemaRegistry:
        """Every schema file by `$id`, for resolving `$ref`s across files."""
        return schema_registry((f.id, f.document) for f in self.files.values())

    def bundle(self, topic: str, origins: dict[str, tuple[str, str]] | None = None) -> dict[str, Any]:
        """Self-contained schema of one topic's message: the envelope with its payload inlined.
        `origins` gets where each definition came from (see `bundle_document`)."""
        document = _topic_document(self, self.topic(topic))
        return bundle_document(self.refs, document, self.envelope.id, origins=origins)

    def bundle_venue_message(self, name: str) -> dict[str, Any]:
        """Self-contained schema of one venue message."""
        entry = next((m for m in self.registry.venue_messages if m.name == name), None)
        if entry is None:
            raise SchemaSourceError(REGISTRY_FILE, "/venue_messages", f'no venue message named "{name}"')
        schema_file = self.files[entry.schema]
        return bundle_document(self.refs, schema_file.document, schema_file.id)

    @property
    def contract_sha256(self) -> str:
        """Hash over the registry and every schema file: changes whenever any contract byte does."""
        digest = hashlib.sha256(self.registry_sha256.encode())
        for path in sorted(self.files):
            digest.update(f"{path}:{self.files[path].sha256}".encode())
        return digest.hexdigest()


def event_title(payload_title: str) -> str:
    """Name of the generated event model of a payload."""
    return f"{payload_title}Event"


def _topic_document(schemas: SchemaSet, entry: TopicEntry) -> dict[str, Any]:
    envelope = schemas.envelope
    payload = schemas.files[entry.payload_schema]
    properties = dict(envelope.document["properties"])
    properties["event_type"] = {
        "description": f"Always {entry.event_type} on {entry.name}.",
        "const": entry.event_type,
    }
    properties["payload"] = {"description": payload.document["description"], "$ref": payload.path}
    base = envelope.id.rsplit("/", 1)[0]
    return {
        "$schema": DRAFT_2020_12,
        "$id": f"{base}/topics/{entry.name}.schema.json",
        "title": event_title(str(payload.document["title"])),
        "description": f"A message on {entry.name}: the doran envelope carrying a "
        f"{payload.document['title']} payload. " + entry.description,
        **{
            k: v
            for k, v in envelope.document.items()
            if k not in {"$schema", "$id", "title", "description", "properties"}
        },
        "properties": properties,
    }


def load_schema_set(root: Path) -> SchemaSet:
    """Read and check schemas/; raise SchemaSourceError on the first unusable file."""
    registry = load_topic_registry(root)
    files: dict[str, SchemaFile] = {}
    for path in sorted(root.rglob("*.schema.json")):
        rel = path.relative_to(root).as_posix()
        if rel == REGISTRY_SCHEMA_FILE:
            continue
        raw = path.read_bytes()
        document = _parse(rel, raw)
        _check_schema(rel, document)
        files[rel] = SchemaFile(rel, document, hashlib.sha256(raw).hexdigest())
    _check_registry_files(registry, files)
    schemas = SchemaSet(
        root=root,
        registry=registry,
        files=files,
        registry_sha256=hashlib.sha256((root / REGISTRY_FILE).read_bytes()).hexdigest(),
    )
    for schema_file in files.values():
        _check_refs(schemas, schema_file)
    return schemas


def _parse(rel: str, raw: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SchemaSourceError(
            rel, "", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(document, dict):
        raise SchemaSourceError(rel, "", "a schema file must hold a JSON object")
    return document


def _check_schema(rel: str, document: dict[str, Any]) -> None:
    if document.get("$schema") != DRAFT_2020_12:
        raise SchemaSourceError(rel, "/$schema", f"must be {DRAFT_2020_12!r} (JSON Schema draft 2020-12)")
    if not isinstance(document.get("$id"), str):
        raise SchemaSourceError(rel, "/$id", "every schema needs an absolute $id")
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as exc:
        raise SchemaSourceError(
            rel, pointer(exc.absolute_path), f"not a valid 2020-12 schema: {exc.message}"
        ) from None


def _check_registry_files(registry: TopicRegistry, files: Mapping[str, SchemaFile]) -> None:
    if registry.envelope not in files:
        raise SchemaSourceError(
            REGISTRY_FILE, "/envelope", f'names "{registry.envelope}", which does not exist'
        )
    for index, topic in enumerate(registry.topics):
        if topic.payload_schema not in files:
            raise SchemaSourceError(
                REGISTRY_FILE,
                f"/topics/{index}/payload_schema",
                f'topic "{topic.name}" names payload schema "{topic.payload_schema}", which does not exist',
            )
    for index, message in enumerate(registry.venue_messages):
        if message.schema not in files:
            raise SchemaSourceError(
                REGISTRY_FILE,
                f"/venue_messages/{index}/schema",
                f'venue message "{message.name}" names schema "{message.schema}", which does not exist',
            )


def _refs(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield (*path, "$ref"), node["$ref"]
        for key, value in node.items():
            yield from _refs(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, (*path, index))


def _check_refs(schemas: SchemaSet, schema_file: SchemaFile) -> None:
    for path, ref in _refs(schema_file.document):
        try:
            resolve(schemas.refs, schema_file.id, ref)
        except UnresolvableRef:
            raise SchemaSourceError(
                schema_file.path, pointer(path), f'$ref "{ref}" does not resolve'
            ) from None
