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
from doran.schema_source.migration import Migration
from doran.schema_source.refs import UnresolvableRef, resolve, schema_registry
from doran.schema_source.registry import (
    MIGRATION_SCHEMA_FILE,
    REGISTRY_FILE,
    REGISTRY_SCHEMA_FILE,
    TopicEntry,
    TopicRegistry,
    load_topic_registry,
)

__all__ = [
    "DRAFT_2020_12",
    "MigrationFile",
    "SchemaFile",
    "SchemaSet",
    "bundle_name",
    "event_title",
    "load_schema_set",
]

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
class MigrationFile:
    """One migration file: from which version of which topic to the next, both ways where it can."""

    path: str
    topic: str
    from_version: int
    description: str
    upgrade: Migration
    downgrade: Migration | None
    document: dict[str, Any]
    sha256: str


@dataclass(frozen=True)
class SchemaSet:
    """The whole contract: the topic registry, every schema file by path relative to schemas/, and
    the migrations between a topic's versions by (topic, the version they start from)."""

    root: Path
    registry: TopicRegistry
    files: Mapping[str, SchemaFile]
    registry_sha256: str
    migrations: Mapping[tuple[str, int], MigrationFile]

    @property
    def topics(self) -> tuple[TopicEntry, ...]:
        return self.registry.topics

    @property
    def envelope(self) -> SchemaFile:
        return self.files[self.registry.envelope]

    def topic(self, name: str) -> TopicEntry:
        return self.registry.topic(name)

    def payload(self, topic: str, version: int | None = None) -> SchemaFile:
        """The payload schema file of a topic's version (the newest when None)."""
        entry = self.topic(topic)
        return self.files[entry.payload_schema_of(entry.schema_version if version is None else version)]

    @cached_property
    def refs(self) -> SchemaRegistry:
        """Every schema file by `$id`, for resolving `$ref`s across files."""
        return schema_registry((f.id, f.document) for f in self.files.values())

    def bundle(
        self, topic: str, version: int | None = None, origins: dict[str, tuple[str, str]] | None = None
    ) -> dict[str, Any]:
        """Self-contained schema of one topic's messages of one version (the newest when None): the
        envelope with that version's payload inlined. `origins` gets where each definition came from
        (see `bundle_document`)."""
        entry = self.topic(topic)
        document = _topic_document(self, entry, entry.schema_version if version is None else version)
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
        for migration in sorted(self.migrations.values(), key=lambda m: m.path):
            digest.update(f"{migration.path}:{migration.sha256}".encode())
        return digest.hexdigest()


def event_title(payload_title: str) -> str:
    """Name of the generated event model of a payload."""
    return f"{payload_title}Event"


def bundle_name(topic: str, version: int) -> str:
    """Name of the bundled schema of a topic's version: version 1 keeps the name it had before topics
    had versions, so its `$id` and file never change when a version is added."""
    return f"{topic}.schema.json" if version == 1 else f"{topic}.v{version}.schema.json"


def _topic_document(schemas: SchemaSet, entry: TopicEntry, version: int) -> dict[str, Any]:
    envelope = schemas.envelope
    payload = schemas.files[entry.payload_schema_of(version)]
    properties = dict(envelope.document["properties"])
    properties["event_type"] = {
        "description": f"Always {entry.event_type} on {entry.name}.",
        "const": entry.event_type,
    }
    properties["schema_version"] = {
        "description": f"Always {version}: version {version} of the {entry.name} payload.",
        "type": "integer",
        "const": version,
    }
    properties["payload"] = {"description": payload.document["description"], "$ref": payload.path}
    base = envelope.id.rsplit("/", 1)[0]
    return {
        "$schema": DRAFT_2020_12,
        "$id": f"{base}/topics/{bundle_name(entry.name, version)}",
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
        if rel in (REGISTRY_SCHEMA_FILE, MIGRATION_SCHEMA_FILE):
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
        migrations=_load_migrations(root, registry),
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
        for position, earlier in enumerate(topic.earlier_versions):
            if earlier.payload_schema not in files:
                raise SchemaSourceError(
                    REGISTRY_FILE,
                    f"/topics/{index}/earlier_versions/{position}/payload_schema",
                    f"{topic.name} version {earlier.schema_version} names payload schema "
                    f'"{earlier.payload_schema}", which does not exist',
                )
    for index, message in enumerate(registry.venue_messages):
        if message.schema not in files:
            raise SchemaSourceError(
                REGISTRY_FILE,
                f"/venue_messages/{index}/schema",
                f'venue message "{message.name}" names schema "{message.schema}", which does not exist',
            )


def _load_migrations(root: Path, registry: TopicRegistry) -> dict[tuple[str, int], MigrationFile]:
    """Every migration file the registry names, checked against migration.schema.json."""
    migrations: dict[tuple[str, int], MigrationFile] = {}
    if not any(topic.earlier_versions for topic in registry.topics):
        return migrations
    shape = Draft202012Validator(_parse(MIGRATION_SCHEMA_FILE, _read_file(root, MIGRATION_SCHEMA_FILE)))
    for index, topic in enumerate(registry.topics):
        for position, earlier in enumerate(topic.earlier_versions):
            raw = _read_file(
                root,
                earlier.migration,
                REGISTRY_FILE,
                f"/topics/{index}/earlier_versions/{position}/migration",
            )
            document = _parse(earlier.migration, raw)
            errors = sorted(shape.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
            if errors:
                raise SchemaSourceError(
                    earlier.migration, pointer(errors[0].absolute_path), errors[0].message
                )
            downgrade = document.get("downgrade")
            migrations[(topic.name, earlier.schema_version)] = MigrationFile(
                path=earlier.migration,
                topic=topic.name,
                from_version=earlier.schema_version,
                description=document["description"],
                upgrade=Migration.from_json(document["upgrade"]),
                downgrade=None if downgrade is None else Migration.from_json(downgrade),
                document=document,
                sha256=hashlib.sha256(raw).hexdigest(),
            )
    return migrations


def _read_file(root: Path, rel: str, named_in: str | None = None, at: str = "") -> bytes:
    try:
        return (root / rel).read_bytes()
    except FileNotFoundError:
        if named_in is None:
            raise SchemaSourceError(rel, "", "file not found") from None
        raise SchemaSourceError(named_in, at, f'names "{rel}", which does not exist') from None


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
