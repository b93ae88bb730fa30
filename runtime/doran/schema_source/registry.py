"""The topic registry (schemas/topics.json): its one loader, and the typed form everything reads.

`topics.schema.json` beside the registry is the source of its rules; `load_topic_registry`
checks a registry against it, then against the rules a schema cannot state (unique names and
event types, a dead-letter topic that is one of the topics). Codegen, the compatibility gate and
the deployment renderer read registries with it; the generated `doran.contracts` binds each
entry to its event model as a `TopicSpec`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from doran.errors import SchemaSourceError
from doran.json_pointer import pointer

__all__ = [
    "REGISTRY_FILE",
    "REGISTRY_SCHEMA_FILE",
    "TopicEntry",
    "TopicRegistry",
    "TopicSpec",
    "VenueMessageEntry",
    "VenueMessageSpec",
    "load_topic_registry",
    "parse_topic_registry",
]

REGISTRY_FILE = "topics.json"
REGISTRY_SCHEMA_FILE = "topics.schema.json"

EventT = TypeVar("EventT", covariant=True)
MessageT = TypeVar("MessageT")


@dataclass(frozen=True, slots=True)
class TopicEntry:
    """One topic as topics.json declares it; topics.schema.json states what each field may be."""

    name: str
    event_type: str
    payload_schema: str
    key: str
    partitions: int
    replication_factor: int
    cleanup_policy: str
    retention_ms: int
    compatibility: str
    compatibility_policy: str
    description: str
    frozen: str | None  # why no field may be added without a new major version; None: it has room

    def as_json(self) -> dict[str, Any]:
        """The entry as topics.json writes it."""
        return {field.name: getattr(self, field.name) for field in fields(TopicEntry)}


@dataclass(frozen=True, slots=True, repr=False)
class TopicSpec(TopicEntry, Generic[EventT]):
    """A registry entry bound (by `make codegen`) to its generated event model and bundled schema."""

    event_model: type[EventT]
    schema_id: str
    schema_sha256: str

    def __repr__(self) -> str:
        return f"TopicSpec({self.name!r})"


@dataclass(frozen=True, slots=True)
class VenueMessageEntry:
    """A venue message doran checks before it reaches a topic (a relay message), and its schema."""

    name: str
    schema: str
    description: str


@dataclass(frozen=True, slots=True, repr=False)
class VenueMessageSpec(VenueMessageEntry, Generic[MessageT]):
    """A venue message bound (by `make codegen`) to its generated model and bundled schema."""

    adapter: TypeAdapter[MessageT]
    schema_id: str
    schema_sha256: str

    def __repr__(self) -> str:
        return f"VenueMessageSpec({self.name!r})"


@dataclass(frozen=True, slots=True)
class TopicRegistry:
    """The whole registry: the venue, envelope, dead-letter topic and every topic in pipeline order."""

    venue: str
    schema_version: int
    envelope: str
    dead_letter_topic: str
    topics: tuple[TopicEntry, ...]
    venue_messages: tuple[VenueMessageEntry, ...]

    def topic(self, name: str) -> TopicEntry:
        """The entry named `name`; SchemaSourceError if the registry has none."""
        for entry in self.topics:
            if entry.name == name:
                return entry
        raise SchemaSourceError(REGISTRY_FILE, "/topics", f'no topic named "{name}"')


# Fields a registry written before they existed lacks (the gate reads past versions): their meaning then.
_ADDED_LATER = {"compatibility_policy": "STRICT", "frozen": None}  # STRICT: Confluent's default rule set


def load_topic_registry(folder: Path) -> TopicRegistry:
    """Read `folder/topics.json` and check it against `folder/topics.schema.json`."""
    return parse_topic_registry(_read(folder, REGISTRY_FILE), _read(folder, REGISTRY_SCHEMA_FILE))


def parse_topic_registry(registry_text: bytes, schema_text: bytes) -> TopicRegistry:
    """The registry in registry_text, checked against the registry schema in schema_text."""
    from jsonschema import Draft202012Validator

    document = _json(REGISTRY_FILE, registry_text)
    schema = _json(REGISTRY_SCHEMA_FILE, schema_text)
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=lambda e: list(map(str, e.path)))
    if errors:
        raise SchemaSourceError(REGISTRY_FILE, pointer(errors[0].absolute_path), errors[0].message)
    topics = tuple(
        TopicEntry(**{f.name: t.get(f.name, _ADDED_LATER.get(f.name)) for f in fields(TopicEntry)})
        for t in document["topics"]
    )
    for what in ("name", "event_type"):
        seen: set[str] = set()
        for index, entry in enumerate(topics):
            value = getattr(entry, what)
            if value in seen:
                raise SchemaSourceError(
                    REGISTRY_FILE, f"/topics/{index}/{what}", f'duplicate {what} "{value}"'
                )
            seen.add(value)
    if document["dead_letter_topic"] not in {t.name for t in topics}:
        raise SchemaSourceError(REGISTRY_FILE, "/dead_letter_topic", "must name one of the registry's topics")
    return TopicRegistry(
        venue=document["venue"],
        schema_version=document["schema_version"],
        envelope=document["envelope"],
        dead_letter_topic=document["dead_letter_topic"],
        topics=topics,
        venue_messages=tuple(VenueMessageEntry(**m) for m in document["venue_messages"]),
    )


def _read(folder: Path, name: str) -> bytes:
    try:
        return (folder / name).read_bytes()
    except FileNotFoundError:
        raise SchemaSourceError(str(folder / name), "", "file not found") from None


def _json(name: str, text: bytes) -> Any:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaSourceError(
            name, "", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(document, dict):
        raise SchemaSourceError(name, "", "must hold a JSON object")
    return document
