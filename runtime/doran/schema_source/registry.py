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
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from doran.errors import SchemaSourceError
from doran.json_pointer import pointer
from doran.schema_source.migration import Migration

__all__ = [
    "MIGRATION_SCHEMA_FILE",
    "REGISTRY_FILE",
    "REGISTRY_SCHEMA_FILE",
    "BundledSchema",
    "TopicEntry",
    "TopicRegistry",
    "TopicSpec",
    "VenueMessageEntry",
    "VenueMessageSpec",
    "VersionEntry",
    "VersionSpec",
    "load_topic_registry",
    "parse_topic_registry",
    "value_subject",
]

REGISTRY_FILE = "topics.json"
REGISTRY_SCHEMA_FILE = "topics.schema.json"
MIGRATION_SCHEMA_FILE = "migration.schema.json"

EventT = TypeVar("EventT", covariant=True)
MessageT = TypeVar("MessageT")


def value_subject(topic: str, version: int = 1) -> str:
    """The schema registry subject of one version of a topic's message values: `<topic>-value`
    (Confluent's TopicNameStrategy) for version 1, `<topic>.v<N>-value` for version N >= 2. A subject
    per major version, as Redpanda has no compatibilityGroup (docs/operations.md)."""
    return f"{topic}-value" if version == 1 else f"{topic}.v{version}-value"


@dataclass(frozen=True, slots=True)
class VersionEntry:
    """An earlier version of a topic's payload that consumers still read, and the migration from it
    to the next version (topics.json `earlier_versions`)."""

    schema_version: int
    payload_schema: str
    migration: str

    def as_json(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in fields(VersionEntry)}


@dataclass(frozen=True, slots=True)
class TopicEntry:
    """One topic as topics.json declares it; topics.schema.json states what each field may be.

    `payload_schema` and `schema_version` are the newest version: what stage logic reads and
    producers write unless configured otherwise; `earlier_versions` are still read, oldest first.
    """

    name: str
    event_type: str
    payload_schema: str
    schema_version: int
    earlier_versions: tuple[VersionEntry, ...]
    key: str
    partitions: int
    replication_factor: int
    cleanup_policy: str
    retention_ms: int
    compatibility: str
    compatibility_policy: str
    framing: str
    description: str
    frozen: str | None  # why no field may be added without a new major version; None: it has room

    @property
    def versions(self) -> tuple[int, ...]:
        """Every version consumers read, oldest first (the newest last)."""
        return (*(v.schema_version for v in self.earlier_versions), self.schema_version)

    def payload_schema_of(self, version: int) -> str:
        """Path of the payload schema of one of the topic's versions."""
        if version == self.schema_version:
            return self.payload_schema
        for earlier in self.earlier_versions:
            if earlier.schema_version == version:
                return earlier.payload_schema
        raise SchemaSourceError(REGISTRY_FILE, "/topics", f"{self.name} has no version {version}")

    @property
    def value_subject(self) -> str:
        """The schema registry subject of the topic's values of the version this spec writes."""
        return value_subject(self.name, self.schema_version)

    @property
    def value_subjects(self) -> tuple[str, ...]:
        """The subjects of every version consumers read, oldest first."""
        return tuple(value_subject(self.name, version) for version in self.versions)

    def as_json(self) -> dict[str, Any]:
        """The entry as topics.json writes it."""
        entry = {field.name: getattr(self, field.name) for field in fields(TopicEntry)}
        return entry | {"earlier_versions": [v.as_json() for v in self.earlier_versions]}


@dataclass(frozen=True, slots=True)
class BundledSchema:
    """A self-contained schema `make codegen` ships in a generated contracts package: where, and its
    identity (`$id`, and the sha256 of its content)."""

    package: str
    file: str
    id: str
    sha256: str

    def document(self) -> dict[str, Any]:
        """A fresh copy of the schema."""
        text = resources.files(self.package).joinpath("schemas", self.file).read_text("utf-8")
        document: dict[str, Any] = json.loads(text)
        return document


class _Bundled:
    """What names a spec's bundled schema in records and documents: its `$id` and sha256."""

    __slots__ = ()
    bundle: BundledSchema

    @property
    def schema_id(self) -> str:
        return self.bundle.id

    @property
    def schema_sha256(self) -> str:
        return self.bundle.sha256


@dataclass(frozen=True, slots=True, repr=False)
class VersionSpec(_Bundled, Generic[EventT]):
    """An earlier version of a topic bound to its event model and bundled schema, with the migrations
    to the next version (`upgrade`) and back (`downgrade`, where the topic has one)."""

    schema_version: int
    payload_schema: str
    event_model: type[EventT]
    bundle: BundledSchema
    upgrade: Migration
    downgrade: Migration | None

    def __repr__(self) -> str:
        return f"VersionSpec({self.schema_version})"


@dataclass(frozen=True, slots=True, repr=False)
class TopicSpec(_Bundled, TopicEntry, Generic[EventT]):
    """A registry entry bound (by `make codegen`) to its generated event model and bundled schema.

    `event_model` and `bundle` are the newest version's; `older` binds each earlier version.
    `from_newest` is set on a spec that writes an earlier version (`doran.wire.writing`): it maps the
    newest version's payloads, which stage logic makes, to the version written.
    """

    event_model: type[EventT]
    bundle: BundledSchema
    older: tuple[VersionSpec[Any], ...]
    from_newest: Migration | None = None

    def __repr__(self) -> str:
        return f"TopicSpec({self.name!r}, v{self.schema_version})"


@dataclass(frozen=True, slots=True)
class VenueMessageEntry:
    """A venue message doran checks before it reaches a topic (a relay message), and its schema."""

    name: str
    schema: str
    description: str


@dataclass(frozen=True, slots=True, repr=False)
class VenueMessageSpec(_Bundled, VenueMessageEntry, Generic[MessageT]):
    """A venue message bound (by `make codegen`) to its generated model and bundled schema."""

    adapter: TypeAdapter[MessageT]
    bundle: BundledSchema

    def __repr__(self) -> str:
        return f"VenueMessageSpec({self.name!r})"


@dataclass(frozen=True, slots=True)
class TopicRegistry:
    """The whole registry: the venue, envelope, dead-letter topic and every topic in pipeline order."""

    venue: str
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
_ADDED_LATER: dict[str, Any] = {
    "compatibility_policy": "STRICT",  # Confluent's default rule set
    "framing": "json",  # doran wrote bare JSON before topics declared their framing
    "frozen": None,
    "earlier_versions": (),
}


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
    # Before topics had versions of their own, one build-wide schema_version applied to every topic.
    added_later = _ADDED_LATER | {"schema_version": document.get("schema_version", 1)}
    topics = tuple(
        TopicEntry(
            **{f.name: t.get(f.name, added_later.get(f.name)) for f in fields(TopicEntry)}
            | {"earlier_versions": tuple(VersionEntry(**v) for v in t.get("earlier_versions", ()))}
        )
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
    _check_versions(topics)
    return TopicRegistry(
        venue=document["venue"],
        envelope=document["envelope"],
        dead_letter_topic=document["dead_letter_topic"],
        topics=topics,
        venue_messages=tuple(VenueMessageEntry(**m) for m in document["venue_messages"]),
    )


def _check_versions(topics: tuple[TopicEntry, ...]) -> None:
    """Earlier versions count up to the newest one by one; no payload schema serves two versions."""
    owners: dict[str, str] = {}
    for index, topic in enumerate(topics):
        expected = list(range(topic.schema_version - len(topic.earlier_versions), topic.schema_version))
        found = [v.schema_version for v in topic.earlier_versions]
        if found != expected:
            raise SchemaSourceError(
                REGISTRY_FILE,
                f"/topics/{index}/earlier_versions",
                f"{topic.name} is version {topic.schema_version}: its earlier versions must be "
                f"{expected or 'none'} in this order (each migrates to the next), not {found}",
            )
        paths = [(topic.payload_schema, topic.schema_version)]
        paths += [(v.payload_schema, v.schema_version) for v in topic.earlier_versions]
        for path, version in paths:
            owner = f"{topic.name} v{version}"
            if path in owners and version != topic.schema_version:
                raise SchemaSourceError(
                    REGISTRY_FILE,
                    f"/topics/{index}/earlier_versions",
                    f'{owner} names payload schema "{path}", which {owners[path]} already uses: '
                    "every earlier version has a schema file of its own",
                )
            owners.setdefault(path, owner)


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
