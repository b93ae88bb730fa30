"""Kafka binding of doran events: the record a stage produces, with its key and headers.

The key is rendered from the registry's key template; headers follow CloudEvents' Kafka binary
mode (ce_* attributes derived from the envelope), so a CloudEvents-aware consumer routes without
parsing the value, plus the topic schema's hash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from doran.contracts import Envelope
from doran.schema_source.registry import BundledSchema, TopicSpec
from doran.wire.framing import PREFIX_BYTES
from doran.wire.json_format import encode, json_bytes

__all__ = ["CONTRACT_HEADER", "KafkaRecord", "kafka_headers", "kafka_record", "message_key", "object_record"]

CONTRACT_HEADER = "doran_contract_sha256"
_PLACEHOLDER = re.compile(r"\$\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\}")


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """One record to produce: topic, key, the event's JSON bytes and its CloudEvents headers.

    The value is the bare JSON; the producer frames it as its topic declares (`doran.wire.Framing`).
    """

    topic: str
    key: str
    value: bytes
    headers: list[tuple[str, bytes]]

    @property
    def size(self) -> int:
        """Bytes the record takes against the broker's message size limit (key, value, headers), with
        the prefix confluent framing adds (counted on every topic: one rule, 5 bytes of slack)."""
        headers = sum(len(name) + len(value) for name, value in self.headers)
        return len(self.key) + PREFIX_BYTES + len(self.value) + headers


# An event as a model, or as the JSON object it encodes to: keys and headers read either alike.
_Event = Envelope | Mapping[str, Any]


def _field(path: tuple[str, ...]) -> Callable[[_Event], str]:
    def get(event: _Event) -> str:
        value: Any = event
        for name in path:
            value = value[name] if isinstance(value, Mapping) else getattr(value, name)
        return str(getattr(value, "value", value))

    return get


def _literal(text: str) -> Callable[[_Event], str]:
    return lambda _event: text


@cache
def _key_renderer(template: str) -> Callable[[_Event], str]:
    """The registry's key template compiled to a function of the event (model or JSON object)."""
    parts: list[Callable[[_Event], str]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            parts.append(_literal(template[position : match.start()]))
        parts.append(_field(tuple(match.group(1).split("."))))
        position = match.end()
    if template[position:]:
        parts.append(_literal(template[position:]))
    if len(parts) == 1:
        return parts[0]
    return lambda event: "".join(part(event) for part in parts)


def message_key(topic: TopicSpec[Envelope], event: _Event) -> str:
    """The Kafka key of an event on topic, rendered from the registry's key template."""
    return _key_renderer(topic.key)(event)


@cache
def _constant_headers(schema: BundledSchema) -> tuple[tuple[str, bytes], ...]:
    # Keyed by the schema the record is written in (a topic's version), which hashes cheaply.
    return (
        ("ce_specversion", b"1.0"),
        ("ce_dataschema", schema.id.encode()),
        ("content-type", b"application/json"),
        (CONTRACT_HEADER, schema.sha256.encode()),
    )


def kafka_headers(topic: TopicSpec[Envelope], event: _Event) -> list[tuple[str, bytes]]:
    """CloudEvents binary-mode headers for an event (model or JSON object), plus the topic schema's sha256."""
    if isinstance(event, Mapping):
        event_id, source, venue = event["event_id"], event["source"], event["venue"]
        event_type, time = event["event_type"], event["observed_at"] or event["ingested_at"]
    else:
        event_id, source, venue = event.event_id, event.source, event.venue
        event_type, time = event.event_type, event.observed_at or event.ingested_at
    return [
        ("ce_id", event_id.encode()),
        ("ce_source", (source or f"urn:doran:{venue}").encode()),
        ("ce_type", event_type.encode()),
        ("ce_time", time.encode()),
        *_constant_headers(topic.bundle),
    ]


def kafka_record(topic: TopicSpec[Envelope], event: Envelope) -> KafkaRecord:
    """The record of an event built for `topic` (by `doran.wire.build` or `decode`)."""
    if type(event) is not topic.event_model:
        raise TypeError(f"{type(event).__name__} is not the event model of {topic.name}")
    return KafkaRecord(topic.name, message_key(topic, event), encode(event), kafka_headers(topic, event))


def object_record(topic: TopicSpec[Envelope], event: Mapping[str, Any]) -> KafkaRecord:
    """The record `kafka_record` makes, from the event's JSON object (`doran.wire.derived_object`).

    The same key, headers and bytes: orjson writes a dict in insertion order, which derived_object
    keeps in the schema's field order.
    """
    value = json_bytes(event)
    return KafkaRecord(topic.name, _key_renderer(topic.key)(event), value, kafka_headers(topic, event))
