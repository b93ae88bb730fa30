"""Load schemas/ (topic registry + JSON Schemas) and prove it usable before anything is generated.

Every problem is a `SchemaSourceError` naming the file and JSON pointer: not JSON, not a valid
2020-12 schema, a `$ref` that does not resolve, a topic without a schema.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from doran.codegen.bundler import bundle_document
from doran.errors import SchemaSourceError

__all__ = ["SchemaFile", "SchemaSet", "TopicEntry", "load_schema_set"]

REGISTRY_FILE = "topics.json"
REGISTRY_SCHEMA_FILE = "topics.schema.json"
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
class TopicEntry:
    """One topic of the registry, as written in topics.json."""

    name: str
    event_type: str
    payload_schema: str
    key: str
    partitions: int
    replication_factor: int
    cleanup_policy: str
    retention_ms: int
    compatibility: str
    description: str


@dataclass(frozen=True)
class SchemaSet:
    """The whole contract: registry settings, topics and every schema file by relative path."""

    root: Path
    venue: str
    schema_version: int
    envelope: str
    dead_letter_topic: str
    topics: tuple[TopicEntry, ...]
    files: Mapping[str, SchemaFile]
    registry_sha256: str
    _by_id: Mapping[str, SchemaFile] = field(repr=False)

    def topic(self, name: str) -> TopicEntry:
        for entry in self.topics:
            if entry.name == name:
                return entry
        raise SchemaSourceError(REGISTRY_FILE, "/topics", f'no topic named "{name}"')

    def resolve(self, base_uri: str, ref: str) -> tuple[SchemaFile, str]:
        """Return the file and JSON pointer a `$ref` written in a schema at base_uri points to."""
        url, fragment = urldefrag(urljoin(base_uri, ref))
        return self._by_id[url], fragment

    def bundle(self, topic: str) -> dict[str, Any]:
        """Self-contained schema of one topic's message: the envelope with its payload inlined."""
        return bundle_document(self, _topic_document(self, self.topic(topic)))

    def payload_title(self, topic: str) -> str:
        return str(self.files[self.topic(topic).payload_schema].document["title"])

    @property
    def contract_sha256(self) -> str:
        """Hash over the registry and every schema file: changes whenever any contract byte does."""
        digest = hashlib.sha256(self.registry_sha256.encode())
        for path in sorted(self.files):
            digest.update(f"{path}:{self.files[path].sha256}".encode())
        return digest.hexdigest()


def event_title(payload_title: str) -> str:
    return f"{payload_title}Event"


def _topic_document(schemas: SchemaSet, entry: TopicEntry) -> dict[str, Any]:
    envelope = schemas.files[schemas.envelope]
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
        "x-doran-base-uri": envelope.id,
    }


def load_schema_set(root: Path) -> SchemaSet:
    """Read and check schemas/; raise SchemaSourceError on the first unusable file."""
    registry_bytes = _read(root, REGISTRY_FILE)
    registry = _parse(REGISTRY_FILE, registry_bytes)
    registry_schema = _parse(REGISTRY_SCHEMA_FILE, _read(root, REGISTRY_SCHEMA_FILE))
    _require_valid(REGISTRY_FILE, registry, registry_schema)

    files: dict[str, SchemaFile] = {}
    for path in sorted(root.rglob("*.schema.json")):
        rel = path.relative_to(root).as_posix()
        if rel == REGISTRY_SCHEMA_FILE:
            continue
        raw = path.read_bytes()
        document = _parse(rel, raw)
        _check_schema(rel, document)
        files[rel] = SchemaFile(rel, document, hashlib.sha256(raw).hexdigest())

    topics = tuple(TopicEntry(**{k: v for k, v in t.items()}) for t in registry["topics"])
    _check_registry(registry, topics, files)
    by_id = {f.id: f for f in files.values()}
    schemas = SchemaSet(
        root=root,
        venue=registry["venue"],
        schema_version=registry["schema_version"],
        envelope=registry["envelope"],
        dead_letter_topic=registry["dead_letter_topic"],
        topics=topics,
        files=files,
        registry_sha256=hashlib.sha256(registry_bytes).hexdigest(),
        _by_id=by_id,
    )
    for schema_file in files.values():
        _check_refs(schemas, schema_file)
    return schemas


def _read(root: Path, rel: str) -> bytes:
    try:
        return (root / rel).read_bytes()
    except FileNotFoundError:
        raise SchemaSourceError(str(root / rel), "", "file not found") from None


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


def pointer(parts: Iterator[Any] | Any) -> str:
    """RFC 6901 JSON pointer of a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


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


def _require_valid(rel: str, instance: Any, schema: dict[str, Any]) -> None:
    errors = sorted(
        Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))
    )
    if errors:
        first = errors[0]
        raise SchemaSourceError(rel, pointer(first.absolute_path), first.message)


def _check_registry(
    registry: dict[str, Any], topics: tuple[TopicEntry, ...], files: Mapping[str, SchemaFile]
) -> None:
    if registry["envelope"] not in files:
        raise SchemaSourceError(
            REGISTRY_FILE, "/envelope", f'names "{registry["envelope"]}", which does not exist'
        )
    for what in ("name", "event_type"):
        values = [getattr(t, what) for t in topics]
        for index, value in enumerate(values):
            if values.index(value) != index:
                raise SchemaSourceError(
                    REGISTRY_FILE, f"/topics/{index}/{what}", f'duplicate {what} "{value}"'
                )
    for index, topic in enumerate(topics):
        if topic.payload_schema not in files:
            raise SchemaSourceError(
                REGISTRY_FILE,
                f"/topics/{index}/payload_schema",
                f'topic "{topic.name}" names payload schema "{topic.payload_schema}", which does not exist',
            )
    if registry["dead_letter_topic"] not in {t.name for t in topics}:
        raise SchemaSourceError(REGISTRY_FILE, "/dead_letter_topic", "must name one of the registry's topics")


def _check_refs(schemas: SchemaSet, schema_file: SchemaFile) -> None:
    def walk(node: Any, path: list[Any]) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    target, fragment = schemas.resolve(schema_file.id, ref)
                    _follow(target.document, fragment)
                except (KeyError, IndexError, ValueError):
                    raise SchemaSourceError(
                        schema_file.path, pointer([*path, "$ref"]), f'$ref "{ref}" does not resolve'
                    ) from None
            for key, value in node.items():
                walk(value, [*path, key])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, [*path, index])

    walk(schema_file.document, [])


def _follow(document: Any, fragment: str) -> Any:
    node = document
    for token in [p for p in fragment.split("/")[1:]] if fragment else []:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node
