"""The AsyncAPI 3.0 description of doran's bus, built from the topic registry and the wire binding.

Pure: no I/O. Channels carry the Kafka bindings of topics.json; messages carry the Kafka key
template, the headers `doran.wire.kafka_headers` actually writes, and each topic's schema with
every reference inlined (the AsyncAPI Schema Object is a draft-07 superset, which the inlined
form fits).
"""

from __future__ import annotations

import re
from typing import Any

from doran.contracts import CONTRACT_SHA256, TOPICS, VENUE, Envelope, bundled_schema
from doran.publish.inline import inline_schema
from doran.schema_source.registry import TopicSpec
from doran.wire import kafka_headers

__all__ = ["ASYNCAPI_VERSION", "KAFKA_BINDING_VERSION", "build_asyncapi", "channel_id", "header_schema"]

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"

# What each header means (CloudEvents 1.0 Kafka binary mode, and doran's own); names come from the wire.
_HEADER_MEANING = {
    "ce_specversion": "CloudEvents spec version.",
    "ce_id": "CloudEvents id: the envelope's deterministic event_id.",
    "ce_source": "CloudEvents source: the envelope's source, or urn:doran:<venue> when it has none.",
    "ce_type": "CloudEvents type: the envelope's event_type.",
    "ce_time": "CloudEvents time: observed_at, or ingested_at when the venue gave no time (RFC 3339, UTC).",
    "ce_dataschema": "CloudEvents dataschema: the $id of the topic's bundled schema.",
    "content-type": "Media type of the value (CloudEvents datacontenttype).",
    "doran_contract_sha256": "sha256 of the topic's bundled schema the producer was built with.",
}


def channel_id(topic: str) -> str:
    """An AsyncAPI identifier for a topic (identifiers allow letters, digits, _ and - only)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", topic)


def _sample_headers(spec: TopicSpec[Envelope], variant: int) -> dict[str, str]:
    # Two events that differ in every envelope attribute: a header equal in both is constant per topic.
    event = spec.event_model.model_construct(
        event_id=f"sample-{variant}",
        event_type=spec.event_type,
        venue=VENUE,
        source=None if variant == 0 else "sample-source",
        schema_version=spec.schema_version,
        observed_at=None if variant == 0 else "2024-01-02T00:00:00Z",
        ingested_at=f"2024-01-01T00:00:0{variant}Z",
        payload={},
        raw={},
    )
    return {name: value.decode() for name, value in kafka_headers(spec, event)}


def header_schema(spec: TopicSpec[Envelope]) -> dict[str, Any]:
    """Schema of the Kafka headers of a topic's records; per-topic constants are pinned with const."""
    first, second = _sample_headers(spec, 0), _sample_headers(spec, 1)
    properties: dict[str, Any] = {}
    for name, value in first.items():
        prop: dict[str, Any] = {
            "type": "string",
            "description": _HEADER_MEANING.get(name, "Set by doran.wire."),
        }
        if second.get(name) == value:
            prop["const"] = value
        properties[name] = prop
    return {"type": "object", "required": list(first), "properties": properties}


def _payload(topic: str) -> dict[str, Any]:
    schema = inline_schema(bundled_schema(topic))
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$comment")}


def _message(spec: TopicSpec[Envelope]) -> dict[str, Any]:
    return {
        "name": spec.event_type,
        "title": spec.event_model.__name__,
        "summary": spec.description,
        "contentType": "application/json",
        "headers": header_schema(spec),
        "payload": _payload(spec.name),
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": f"Rendered from the envelope by the registry's key template {spec.key}.",
                },
                **_schema_id_binding(spec),
                "schemaLookupStrategy": "TopicNameStrategy",
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "x-doran-key-template": spec.key,
        "x-doran-registry-subject": spec.value_subject,
        "x-doran-schema-version": spec.schema_version,
        "x-doran-schema-id": spec.schema_id,
        "x-doran-schema-sha256": spec.schema_sha256,
        "x-doran-compatibility": spec.compatibility,
    }


def _schema_id_binding(spec: TopicSpec[Envelope]) -> dict[str, str]:
    """Where a record names its schema: the Confluent prefix of the payload on a confluent-framed topic."""
    if spec.framing == "confluent":
        return {"schemaIdLocation": "payload", "schemaIdPayloadEncoding": "confluent"}
    return {}


def _channel(spec: TopicSpec[Envelope], message_id: str) -> dict[str, Any]:
    return {
        "address": spec.name,
        "title": spec.name,
        "description": spec.description,
        "messages": {message_id: {"$ref": f"#/components/messages/{message_id}"}},
        "bindings": {
            "kafka": {
                "topic": spec.name,
                "partitions": spec.partitions,
                "replicas": spec.replication_factor,
                "topicConfiguration": {
                    "cleanup.policy": spec.cleanup_policy.split(","),
                    "retention.ms": spec.retention_ms,
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def build_asyncapi() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every topic in the registry, in registry order."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in TOPICS.values():
        cid, mid = channel_id(spec.name), spec.event_model.__name__
        messages[mid] = _message(spec)
        channels[cid] = _channel(spec, mid)
        for action, verb in (("send", "produce"), ("receive", "consume")):
            operations[f"{verb}_{cid}"] = {
                "action": action,
                "title": f"{verb.capitalize()} {spec.name}",
                "channel": {"$ref": f"#/channels/{cid}"},
                "messages": [{"$ref": f"#/channels/{cid}/messages/{mid}"}],
            }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "doran event bus",
            # The contract's revision: each message states its own payload version (x-doran-schema-version).
            "version": CONTRACT_SHA256[:12],
            "description": (
                f"Contract-first Kafka pipeline for a {VENUE} solver. Every record's value is one JSON "
                "envelope; its key and headers are set by doran.wire. Generated by `doran schemas export`; "
                "do not edit."
            ),
            "x-doran-contract-sha256": CONTRACT_SHA256,
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
