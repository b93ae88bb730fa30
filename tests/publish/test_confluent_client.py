"""What doran publishes works with confluent-kafka's own registry client and JSON serdes.

Round trips: the client's in-process `mock://` backend (register, latest, serialise and deserialise
the golden examples); the client's real REST path reading back from the recording stand-in after
`doran schemas publish` (latest, lookup, compatibility, config); and JSONDeserializer over HTTP
reading every golden example as doran's producers write it (framed with the registry's id).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError
from support import golden

from doran.contracts import TOPICS
from doran.publish import publish, stage_framing
from doran.publish.publication import contract_sources
from doran.settings import Settings
from doran.wire import decode, kafka_record


def _json_examples(kind: str) -> list[Any]:
    found = []
    for example in golden.golden_examples():
        if example.kind == kind:
            try:
                found.append((example.topic, example.id, json.loads(example.data)))
            except ValueError:
                continue  # not JSON at all: a wire-level case, not a schema case
    return found


def test_mock_registry_round_trip() -> None:
    client = SchemaRegistryClient.new_client({"url": "mock://doran"})
    for source in contract_sources():
        schema_id = client.register_schema(source.subject, Schema(source.text, "JSON"))

        latest = client.get_latest_version(source.subject)
        assert (latest.schema_id, latest.version, latest.schema.schema_str) == (schema_id, 1, source.text)
        assert latest.schema.schema_type == "JSON"
        assert client.register_schema(source.subject, Schema(source.text, "JSON")) == schema_id
        assert client.get_versions(source.subject) == [1]


@pytest.mark.parametrize(("topic", "example_id", "message"), _json_examples("valid"))
def test_json_serdes_accept_every_valid_golden_example(topic: str, example_id: str, message: Any) -> None:
    client = SchemaRegistryClient.new_client({"url": "mock://doran"})
    (source,) = [s for s in contract_sources() if s.topic == topic]
    client.register_schema(source.subject, Schema(source.text, "JSON"))
    context = SerializationContext(topic, MessageField.VALUE)
    serializer = JSONSerializer(
        source.text, client, conf={"auto.register.schemas": False, "use.latest.version": True}
    )

    data = serializer(message, context)

    assert data is not None
    assert data[0] == 0  # Confluent wire format: magic byte, then the schema id
    assert JSONDeserializer(source.text, schema_registry_client=client)(data, context) == message


@pytest.mark.parametrize(("topic", "example_id", "message"), _json_examples("invalid"))
def test_json_serializer_rejects_the_invalid_golden_examples(
    topic: str, example_id: str, message: Any
) -> None:
    client = SchemaRegistryClient.new_client({"url": "mock://doran"})
    (source,) = [s for s in contract_sources() if s.topic == topic]
    client.register_schema(source.subject, Schema(source.text, "JSON"))
    serializer = JSONSerializer(
        source.text, client, conf={"auto.register.schemas": False, "use.latest.version": True}
    )

    with pytest.raises(SerializationError):
        serializer(message, SerializationContext(topic, MessageField.VALUE))


def test_rest_client_reads_back_what_doran_published(registry: Any, registry_url: str) -> None:
    assert publish(registry_url, out=io.StringIO(), err=io.StringIO()) == 0
    client = SchemaRegistryClient({"url": registry_url})
    for source in contract_sources():
        latest = client.get_latest_version(source.subject)
        assert (latest.version, latest.schema.schema_str, latest.schema.schema_type) == (
            1,
            source.text,
            "JSON",
        )
        assert client.lookup_schema(source.subject, Schema(source.text, "JSON")).version == 1
        assert client.test_compatibility(source.subject, Schema(source.text, "JSON")) is True
        assert (
            client.get_config(source.subject).compatibility_level.value == TOPICS[source.topic].compatibility
        )


def test_confluents_deserializer_reads_every_golden_example_as_doran_produces_it(
    registry: Any, registry_url: str
) -> None:
    """doran's producer path (the record `kafka_record` builds, framed with the id a stage looks up at
    start), then confluent-kafka's JSONDeserializer over HTTP: the writer schema it fetches by the
    record's id is the topic's, and the instance it returns is the event, validated against it."""
    assert publish(registry_url, out=io.StringIO(), err=io.StringIO()) == 0
    framing = stage_framing(Settings(registry_url=registry_url), list(TOPICS.values()))
    deserializer = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient({"url": registry_url}))
    seen: set[str] = set()
    for example in golden.golden_examples():
        if example.kind != "valid":
            continue
        spec = example.spec
        record = kafka_record(spec, decode(spec, example.data))
        value = framing.frame(spec.name, record.value)
        context = SerializationContext(spec.name, MessageField.VALUE, record.headers)
        assert value[0] == 0, example.id
        assert deserializer(value, context) == json.loads(record.value), example.id
        seen.add(spec.name)
    assert seen == set(TOPICS)
    fetched = {r.path for r in registry.requests if r.path.startswith("/schemas/ids/")}
    ids = {registry.subjects[spec.value_subject][-1].schema_id for spec in TOPICS.values()}
    assert fetched == {f"/schemas/ids/{schema_id}" for schema_id in ids}
