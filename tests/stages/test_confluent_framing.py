"""normalize and decide on a real broker, against records Confluent's serializers made, and the reverse:
what the stages write, confluent-kafka's JSONDeserializer reads over HTTP from the registry."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, header_schema_id_serializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from support.broker import read_records, run_until, stage_settings
from support.registry import produced_event, registry_framing

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    DEAD_LETTER_TOPIC,
    NORM_SWAP_DEMAND,
    RAW_NEAR_INTENTS_QUOTE,
    DeadLetterEvent,
    SwapDemandEvent,
)
from doran.publish.publication import contract_source
from doran.settings import Settings
from doran.stages.decide import build_decide_app
from doran.stages.metrics import StageMetrics
from doran.stages.normalize import build_normalize_app
from doran.wire import Headers, schema_prefix

pytestmark = pytest.mark.integration
EXAMPLE = json.loads(
    (
        Path(__file__).resolve().parents[2] / "schemas/examples/raw.near_intents.quote/valid/exact_in.json"
    ).read_text()
)["message"]


def _raw_quote(i: int) -> dict[str, Any]:
    message = {
        **EXAMPLE["payload"]["message"],
        "quote_id": f"quote-{i:05d}",
        "exact_amount_in": str(10**24 + i),
    }
    return {**EXAMPLE, "event_id": f"nearq-{i:032x}", "payload": {"message": message}, "raw": message}


def _serializer(client: SchemaRegistryClient, *, header: bool = False) -> Callable[[Any, Headers], bytes]:
    """confluent-kafka's JSONSerializer for raw quotes, with the schema doran published: the prefix form,
    or the `__value_schema_id` header form (its GUID)."""
    conf: dict[str, Any] = {"auto.register.schemas": False, "use.latest.version": True}
    if header:
        conf["schema.id.serializer"] = header_schema_id_serializer
    serializer = JSONSerializer(contract_source(RAW_NEAR_INTENTS_QUOTE).text, client, conf=conf)

    def serialize(quote: Any, headers: Headers) -> bytes:
        value = serializer(
            quote, SerializationContext(RAW_NEAR_INTENTS_QUOTE.name, MessageField.VALUE, headers)
        )
        assert value is not None
        return value

    return serialize


def _produce(broker: str, records: list[tuple[bytes, Headers]]) -> None:
    producer = Producer({"bootstrap.servers": broker})
    for value, headers in records:  # one partition: the stage reads them in this order
        producer.produce(RAW_NEAR_INTENTS_QUOTE.name, value, partition=0, headers=list(headers))
    assert producer.flush(30) == 0


def _normalize(settings: Settings, consumed: int) -> dict[str, Any]:
    metrics = StageMetrics("normalize")
    return run_until(build_normalize_app(settings, str(settings.broker_address), metrics), metrics, consumed)


def _quote_ids(messages: list[Message]) -> list[str]:
    demands = [produced_event(NORM_SWAP_DEMAND, m.value()) for m in messages]
    return sorted(d.payload.quote_id for d in demands if isinstance(d, SwapDemandEvent))


def test_confluent_serialized_quotes_flow_through_and_confluent_reads_what_comes_out(
    fresh_broker: str, tmp_path: Path
) -> None:
    settings = stage_settings(tmp_path, fresh_broker)
    client = SchemaRegistryClient({"url": settings.registry_url})
    prefix, header = _serializer(client), _serializer(client, header=True)
    records: list[tuple[bytes, Headers]] = []
    for i in range(30):
        headers: list[tuple[str, bytes | None]] = []
        value = (prefix, header)[i % 2](_raw_quote(i), headers)
        records.append((value, headers))
    assert {r[0][:1] for r in records} == {b"\x00", b"{"}  # both forms, as confluent-kafka wrote them
    _produce(fresh_broker, records)

    normalized = _normalize(settings, consumed=30)
    decide = StageMetrics("decide")
    decided = run_until(build_decide_app(settings, fresh_broker, decide), decide, consumed=30)

    assert (normalized["produced"], normalized["dead_lettered"], decided["dead_lettered"]) == (30, {}, {})
    assert decided["produced"] + sum(decided["declined"].values()) == 30 and decided["produced"] > 0
    deserialize = JSONDeserializer(None, schema_registry_client=client)
    for spec, count in ((NORM_SWAP_DEMAND, 30), (CMD_EXECUTE_TRADE, decided["produced"])):
        messages = read_records(fresh_broker, spec.name, count)
        assert len(messages) == count
        for message in messages:
            context = SerializationContext(spec.name, MessageField.VALUE, message.headers())
            read = deserialize(message.value(), context)
            assert read == produced_event(spec, message.value()).model_dump(mode="json", exclude_unset=True)


def test_a_producer_switching_from_plain_to_framed_midstream_loses_nothing(
    fresh_broker: str, tmp_path: Path
) -> None:
    settings = stage_settings(tmp_path, fresh_broker)
    quotes = [json.dumps(_raw_quote(i)).encode() for i in range(40)]
    frame = registry_framing().frame
    # The first half as doran wrote before topics were framed; then as it writes them now.
    _produce(
        fresh_broker,
        [(q, []) for q in quotes[:20]] + [(frame(RAW_NEAR_INTENTS_QUOTE.name, q), []) for q in quotes[20:]],
    )

    counts = _normalize(settings, consumed=40)

    assert (counts["produced"], counts["dead_lettered"]) == (40, {})
    demands = read_records(fresh_broker, NORM_SWAP_DEMAND.name, 40)
    assert _quote_ids(demands) == [f"quote-{i:05d}" for i in range(40)]


def test_broken_framing_and_foreign_schema_ids_are_dead_letters_naming_them(
    fresh_broker: str, tmp_path: Path
) -> None:
    settings = stage_settings(tmp_path, fresh_broker)
    quote = json.dumps(_raw_quote(1)).encode()
    demand_id = int.from_bytes(registry_framing().prefixes[NORM_SWAP_DEMAND.name][1:], "big")
    bad = {
        b"\x06" + quote: ("wrong_magic_byte", "the value starts with byte 0x06"),
        b"\x00\x00\x01": ("truncated_schema_prefix", "the value has 3 bytes"),
        schema_prefix(99_999) + quote: ("unknown_schema_id", "schema id 99999 is not registered"),
        schema_prefix(demand_id) + quote: (
            "schema_id_of_other_subject",
            f"schema id {demand_id} is registered under other subjects than raw.near_intents.quote-value",
        ),
    }
    _produce(fresh_broker, [(value, []) for value in bad] + [(quote, [])])

    counts = _normalize(settings, consumed=5)

    assert counts["produced"] == 1
    assert counts["dead_lettered"] == {reason: 1 for reason, _ in bad.values()}
    letters = [
        produced_event(DEAD_LETTER_TOPIC, m.value())
        for m in read_records(fresh_broker, DEAD_LETTER_TOPIC.name, 4)
    ]
    for letter in letters:
        assert isinstance(letter, DeadLetterEvent)
        reason, message = bad[base64.b64decode(letter.payload.original_value_b64)]
        assert letter.payload.reason.value == reason
        assert letter.payload.violations[0].message.startswith(message)
