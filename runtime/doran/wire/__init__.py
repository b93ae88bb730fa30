"""doran's wire format: build, validate and serialise events, and bind them to Kafka records.

- `decode(TOPIC, bytes)`  bytes -> the topic's typed event, or ContractViolation (every violation by pointer)
- `decode_venue_message(SPEC, obj, at=...)`  a parsed venue message -> its typed model
- `build(TOPIC, payload, ...)` / `derive(TOPIC, upstream, payload, ...)`  the events stages produce,
  validated against their contract (ContractViolation with reason output_violation)
- `derived_object(TOPIC, upstream, payload, ...)` + `object_record(TOPIC, obj)`  the same record
  without validating what was just built: for the per-message path of stages proven by property tests
- `kafka_record(TOPIC, event)`  key, value bytes and CloudEvents headers of one record
- `Framing`  what a process resolved at start: `frame(topic, json)` for the wire, `decode(TOPIC, value,
  headers)` for a consumed record in any framing (Confluent prefix, `__value_schema_id` header, plain)
- `unframe(topic, value, headers)`  the schema a record names and its JSON, without asking the registry
- `writing(TOPIC, version)`  the topic as a producer writes an earlier version of it (its downgrades
  applied to what stage logic makes); `decode` reads every version and returns the newest
"""

from doran.wire.envelope import (
    build,
    canonical_json,
    content_id,
    derive,
    derive_event_id,
    derived_object,
    event_object,
    parse_timestamp,
    utc_timestamp,
)
from doran.wire.errors import ContractViolation, UnknownTopic
from doran.wire.framing import (
    PREFIX_BYTES,
    VALUE_SCHEMA_ID_HEADER,
    Framing,
    Headers,
    KnownSchemas,
    SchemaDirectory,
    SchemaRef,
    Unframed,
    describe,
    schema_prefix,
    unframe,
)
from doran.wire.json_format import (
    decode,
    decode_venue_message,
    encode,
    encoded_object,
    json_bytes,
    topic,
    venue_message,
)
from doran.wire.kafka_binding import (
    CONTRACT_HEADER,
    KafkaRecord,
    kafka_headers,
    kafka_record,
    message_key,
    object_record,
)
from doran.wire.limits import contract_type, max_length, size_violation
from doran.wire.reference import violations
from doran.wire.versions import UnwritableVersion, check_written_versions, writing

__all__ = [
    "CONTRACT_HEADER",
    "PREFIX_BYTES",
    "VALUE_SCHEMA_ID_HEADER",
    "ContractViolation",
    "Framing",
    "Headers",
    "KafkaRecord",
    "KnownSchemas",
    "SchemaDirectory",
    "SchemaRef",
    "Unframed",
    "UnknownTopic",
    "UnwritableVersion",
    "build",
    "canonical_json",
    "check_written_versions",
    "content_id",
    "contract_type",
    "decode",
    "decode_venue_message",
    "derive",
    "derive_event_id",
    "derived_object",
    "describe",
    "encode",
    "encoded_object",
    "event_object",
    "json_bytes",
    "kafka_headers",
    "kafka_record",
    "max_length",
    "message_key",
    "object_record",
    "parse_timestamp",
    "schema_prefix",
    "size_violation",
    "topic",
    "unframe",
    "utc_timestamp",
    "venue_message",
    "violations",
    "writing",
]
