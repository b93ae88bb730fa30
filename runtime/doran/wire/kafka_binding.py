"""Kafka binding of doran events: the message key from the topic registry and the headers.

Headers follow CloudEvents' Kafka binary mode (ce_* attributes derived from the envelope), so a
CloudEvents-aware consumer routes without parsing the value, plus the topic schema's hash.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from doran.contracts import TOPICS, Envelope
from doran.wire.json_format import UnknownTopic

__all__ = ["CONTRACT_HEADER", "kafka_headers", "message_key"]

CONTRACT_HEADER = "doran_contract_sha256"
_PLACEHOLDER = re.compile(r"\$\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\}")


@cache
def _key_template(topic: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The registry's key template of a topic as (literal text, field path) pairs."""
    if topic not in TOPICS:
        raise UnknownTopic(topic)
    template = TOPICS[topic].key
    parts: list[tuple[str, tuple[str, ...]]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append((template[position : match.start()], tuple(match.group(1).split("."))))
        position = match.end()
    parts.append((template[position:], ()))
    return tuple(parts)


def _field(event: Envelope, path: tuple[str, ...]) -> str:
    value: Any = event
    for name in path:
        value = getattr(value, name)
    return str(getattr(value, "value", value))


def message_key(topic: str, event: Envelope) -> str:
    """The Kafka key of an event on topic, rendered from the registry's key template."""
    return "".join(text + (_field(event, path) if path else "") for text, path in _key_template(topic))


def kafka_headers(topic: str, event: Envelope) -> list[tuple[str, bytes]]:
    """CloudEvents binary-mode headers for an event, plus the topic schema's sha256."""
    spec = TOPICS[topic]
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", event.event_id.encode()),
        ("ce_source", (event.source or f"urn:doran:{event.venue}").encode()),
        ("ce_type", event.event_type.encode()),
        ("ce_time", (event.observed_at or event.ingested_at).encode()),
        ("ce_dataschema", spec.schema_id.encode()),
        ("content-type", b"application/json"),
        (CONTRACT_HEADER, spec.schema_sha256.encode()),
    ]
