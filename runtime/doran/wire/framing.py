"""Confluent wire framing: the schema id in front of a record's JSON, or in its `__value_schema_id` header.

A consumer meets three forms, and doran reads all three on every topic, whatever the topic declares:
- prefix: byte 0x00, the 4-byte big-endian schema id, then the JSON (what a producer of a topic
  framed `confluent` writes, and confluent-kafka's JSONSerializer by default); 0x01 and a 16-byte
  schema GUID is taken too, as confluent-kafka's deserializer takes it;
- header: the JSON alone, with a `__value_schema_id` header of 0x01 + the schema's 16-byte GUID
  (confluent-kafka >= 2.10.1 with `header_schema_id_serializer`), or 0x00 + a 4-byte id;
- plain: the JSON alone (a topic framed `json`, or a producer that does not frame).

A value that starts with a magic byte is read by its prefix; any other value is JSON, named by the
header when it has one (confluent-kafka reads the header first; a value that has both is a prefix
and the JSON is never valid, so the order only matters for records no serializer writes).

`unframe` is pure: bytes and headers in, the schema reference and the JSON out. Whether the registry
holds that reference under the topic's subject is asked of a `SchemaDirectory`, which the stage shell
builds from the registry when it starts (`doran.publish.schema_ids`) and a test from a table; the
`Framing` a process resolved at start carries it, and the prefix of every topic it produces.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from uuid import UUID

from doran.contracts import TOPICS, DeadLetterReason, Envelope, Violation
from doran.schema_source.registry import TopicSpec, value_subject
from doran.wire.errors import ContractViolation
from doran.wire.json_format import decode

__all__ = [
    "GUID_MAGIC_BYTE",
    "MAGIC_BYTE",
    "PREFIX_BYTES",
    "VALUE_SCHEMA_ID_HEADER",
    "Framing",
    "Headers",
    "KnownSchemas",
    "SchemaDirectory",
    "SchemaRef",
    "Unframed",
    "describe",
    "schema_prefix",
    "unframe",
]

MAGIC_BYTE = 0  # then a 4-byte big-endian schema id
GUID_MAGIC_BYTE = 1  # then the schema's 16-byte GUID
PREFIX_BYTES = 5  # what framing adds to a value: the magic byte and the id
VALUE_SCHEMA_ID_HEADER = "__value_schema_id"
_GUID_PREFIX_BYTES = 17
_MAGIC = bytes((MAGIC_BYTE,))
# What follows each magic byte: the reference's length with it, and what a shorter one lacks.
_FORMS = {
    MAGIC_BYTE: (PREFIX_BYTES, "a Confluent schema id prefix takes 5 (0x00 + 4-byte id)"),
    GUID_MAGIC_BYTE: (_GUID_PREFIX_BYTES, "a Confluent schema GUID takes 17 (0x01 + 16-byte GUID)"),
}
_HEADER = f"the {VALUE_SCHEMA_ID_HEADER} header"
_SCHEMA_ID = struct.Struct(">I")
_JSON_WHITESPACE = frozenset(b" \t\n\r")

#: A schema as a record names it: the registry's integer id, or the schema's GUID.
SchemaRef = int | UUID
#: Record headers as the Kafka clients give them.
Headers = Sequence[tuple[str, bytes | None]]
E = TypeVar("E", bound=Envelope)


@dataclass(frozen=True, slots=True)
class Unframed:
    """A record value taken apart: the schema it names (None for plain JSON) and its JSON bytes."""

    schema: SchemaRef | None
    data: bytes


def describe(schema: SchemaRef) -> str:
    """`schema id 7` or `schema GUID 0f…`: how a message names a schema reference."""
    return f"schema GUID {schema}" if isinstance(schema, UUID) else f"schema id {schema}"


def schema_prefix(schema_id: int) -> bytes:
    """The 5 bytes confluent framing puts in front of a value written with schema `schema_id`."""
    return _MAGIC + _SCHEMA_ID.pack(schema_id)


def _rejected(topic: str, reason: DeadLetterReason, message: str) -> ContractViolation:
    return ContractViolation(topic, reason, [Violation(pointer="", message=message)])


def _reference(topic: str, data: bytes | None, where: str) -> tuple[SchemaRef, int]:
    """The schema reference at the start of `data`, and how many bytes it takes."""
    if not data:
        raise _rejected(
            topic,
            DeadLetterReason.TRUNCATED_SCHEMA_PREFIX,
            f"{where} is empty: a schema reference is 0x00 + a 4-byte id or 0x01 + a 16-byte GUID",
        )
    magic = data[0]
    form = _FORMS.get(magic)
    if form is None:
        raise _rejected(
            topic,
            DeadLetterReason.WRONG_MAGIC_BYTE,
            f"{where} starts with byte 0x{magic:02x}: Confluent framing starts with 0x00 (schema id) or "
            "0x01 (schema GUID), and JSON with '{'",
        )
    length, takes = form
    if len(data) < length:
        raise _rejected(
            topic, DeadLetterReason.TRUNCATED_SCHEMA_PREFIX, f"{where} has {len(data)} bytes: {takes}"
        )
    if magic == MAGIC_BYTE:
        return _SCHEMA_ID.unpack_from(data, 1)[0], length
    return _guid(bytes(data[1:length])), length


@functools.lru_cache(maxsize=1024)
def _guid(data: bytes) -> UUID:
    # Building a UUID costs microseconds, and a stream names a few GUIDs over and over.
    return UUID(bytes=data)


def unframe(topic: str, value: bytes, headers: Headers | None = None) -> Unframed:
    """The schema a record of `topic` names and its JSON bytes, from any of the three forms.

    ContractViolation (wrong_magic_byte, truncated_schema_prefix) when the value or the header starts
    like framing but is not; the JSON itself is not looked at.
    """
    return Unframed(*_split(topic, value, headers))


def _split(topic: str, value: bytes, headers: Headers | None) -> tuple[SchemaRef | None, bytes]:
    # `unframe` without the object: this runs once per consumed message.
    if value and value[0] < 0x20 and value[0] not in _JSON_WHITESPACE:
        schema, length = _reference(topic, value, "the value")
        return schema, value[length:]
    if headers:
        for name, header in headers:
            if name == VALUE_SCHEMA_ID_HEADER:
                return _reference(topic, header, _HEADER)[0], value
    return None, value


class SchemaDirectory(Protocol):
    """Which subjects the schema registry holds a schema under."""

    def holds(self, subject: str, schema: SchemaRef) -> bool | None:
        """True when the registry holds `schema` under `subject`; False when it holds it under other
        subjects only; None when it does not know it."""
        ...


@dataclass(frozen=True, slots=True)
class KnownSchemas:
    """A directory from a table (schema reference -> its subjects): what a test, or a process that
    resolved every reference it accepts beforehand, knows."""

    subjects: Mapping[SchemaRef, Collection[str]]

    def holds(self, subject: str, schema: SchemaRef) -> bool | None:
        found = self.subjects.get(schema)
        return None if found is None else subject in found


@dataclass(frozen=True, slots=True)
class Framing:
    """How one process frames what it produces and checks what it consumes, resolved when it starts.

    `prefixes` holds the 5-byte prefix of each produced topic framed `confluent` (the id under which
    the registry holds this build's schema); other topics are written as bare JSON. `directory` says
    whether a schema a consumed record names belongs to its topic.
    """

    prefixes: Mapping[str, bytes]
    directory: SchemaDirectory
    # Per topic, the prefixes and GUIDs the directory said are held: held they stay, so each is asked
    # once per process, and a record framed with a known prefix costs a slice and a set lookup.
    _held: dict[str, set[bytes | SchemaRef]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, schema_ids: Mapping[str, int], directory: SchemaDirectory) -> Framing:
        """The framing that writes each topic of `schema_ids` with its schema id."""
        return cls({topic: schema_prefix(schema_id) for topic, schema_id in schema_ids.items()}, directory)

    @classmethod
    def known(cls, schema_ids: Mapping[str, int]) -> Framing:
        """The framing of a process told each topic's schema id instead of asking a registry (a test, a
        benchmark): topics framed `confluent` are written with their id, and a consumed record is taken
        when it names its own topic's id."""
        subjects: dict[SchemaRef, Collection[str]] = {
            schema_id: {value_subject(topic)} for topic, schema_id in schema_ids.items()
        }
        framed = {topic: schema_ids[topic] for topic in schema_ids if TOPICS[topic].framing == "confluent"}
        return cls.of(framed, KnownSchemas(subjects))

    def frame(self, topic: str, value: bytes) -> bytes:
        """The bytes that go on the wire for a record of `topic` whose JSON is `value`."""
        prefix = self.prefixes.get(topic)
        return value if prefix is None else prefix + value

    def unframed(self, spec: TopicSpec[Envelope], value: bytes, headers: Headers | None = None) -> bytes:
        """The JSON of a consumed record of `spec`, once its framing is read and its schema checked.

        ContractViolation: wrong_magic_byte or truncated_schema_prefix (see `unframe`), unknown_schema_id
        when the registry does not know the schema it names, schema_id_of_other_subject when the registry
        holds that schema under other subjects only.
        """
        held = self._held.get(spec.name, ())
        if value[:PREFIX_BYTES] in held:  # this runs once per message: most take this line
            return value[PREFIX_BYTES:]
        schema, data = _split(spec.name, value, headers)
        if schema is None or schema in held:
            return data
        self._check(spec, schema)
        # A prefix is remembered as its bytes (what the line above looks up), a GUID as itself.
        known = value[:PREFIX_BYTES] if len(data) + PREFIX_BYTES == len(value) else schema
        self._held.setdefault(spec.name, set()).add(known)
        return data

    def decode(self, spec: TopicSpec[E], value: bytes, headers: Headers | None = None) -> E:
        """`doran.wire.decode` of a consumed record in any framing: its event, or ContractViolation."""
        return decode(spec, self.unframed(spec, value, headers))

    def _check(self, spec: TopicSpec[Envelope], schema: SchemaRef) -> None:
        # Each version of a topic has a subject of its own: the schema must be one of them.
        verdicts = [self.directory.holds(subject, schema) for subject in spec.value_subjects]
        if any(verdicts):
            return
        subject = " or ".join(spec.value_subjects)
        if all(verdict is None for verdict in verdicts):
            raise _rejected(
                spec.name,
                DeadLetterReason.UNKNOWN_SCHEMA_ID,
                f"{describe(schema)} is not registered in the schema registry "
                f"(the record names it as the schema of its value; {subject} holds {spec.name}'s)",
            )
        raise _rejected(
            spec.name,
            DeadLetterReason.SCHEMA_ID_OF_OTHER_SUBJECT,
            f"{describe(schema)} is registered under other subjects than {subject}, "
            f"the subject of {spec.name}'s values",
        )
