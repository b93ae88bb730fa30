"""Confluent wire framing without a registry: the three forms in, specific refusals for broken framing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from confluent_kafka.schema_registry import header_schema_id_serializer, prefix_schema_id_serializer
from confluent_kafka.schema_registry.common.serde import SchemaId
from confluent_kafka.serialization import MessageField, SerializationContext
from support.framing import SCHEMA_IDS, TEST_FRAMING
from support.golden import golden_examples

from doran.contracts import CMD_EXECUTE_TRADE, DEAD_LETTER_TOPIC, NORM_SWAP_DEMAND, DeadLetterReason
from doran.wire import (
    VALUE_SCHEMA_ID_HEADER,
    ContractViolation,
    Framing,
    KnownSchemas,
    decode,
    schema_prefix,
    unframe,
)

TOPIC = NORM_SWAP_DEMAND.name
SUBJECT = NORM_SWAP_DEMAND.value_subject
GUID = uuid.UUID("5e1d3c2a-9f4b-4e6d-8a7c-0b1e2f3a4b5c")
DEMAND = next(g.data for g in golden_examples() if g.topic == TOPIC and g.kind == "valid")


def _confluent(serialize: Any, schema_id: SchemaId) -> tuple[bytes, list[tuple[str, bytes]]]:
    """What confluent-kafka's own schema-id serializer makes of DEMAND: the value and the headers."""
    headers: list[tuple[str, bytes]] = []
    context = SerializationContext(TOPIC, MessageField.VALUE, headers)
    return serialize(DEMAND, context, schema_id), headers


def _refusal(value: bytes, headers: Any = None, framing: Framing = TEST_FRAMING) -> ContractViolation:
    with pytest.raises(ContractViolation) as refused:
        framing.decode(NORM_SWAP_DEMAND, value, headers)
    assert len(refused.value.violations) == 1
    return refused.value


def test_the_prefix_is_confluents_own() -> None:
    value, headers = _confluent(prefix_schema_id_serializer, SchemaId("JSON", 4711))
    assert value == schema_prefix(4711) + DEMAND and headers == []
    assert unframe(TOPIC, value) == unframe(TOPIC, value, [("ce_id", b"x")])
    assert (unframe(TOPIC, value).schema, unframe(TOPIC, value).data) == (4711, DEMAND)


def test_the_header_form_of_confluent_kafka_names_the_schema_guid() -> None:
    value, headers = _confluent(header_schema_id_serializer, SchemaId("JSON", guid=str(GUID)))
    assert value == DEMAND and [name for name, _ in headers] == [VALUE_SCHEMA_ID_HEADER]
    found = unframe(TOPIC, value, [("ce_id", b"x"), *headers])
    assert (found.schema, found.data) == (GUID, DEMAND)


def test_plain_json_names_no_schema() -> None:
    for value in (DEMAND, b" \n" + DEMAND, b"", b"not json"):
        assert (unframe(TOPIC, value).schema, unframe(TOPIC, value).data) == (None, value)


def test_every_form_decodes_to_the_same_event() -> None:
    own = SCHEMA_IDS[TOPIC]
    by_guid = Framing({}, KnownSchemas({GUID: {SUBJECT}}))
    expected = decode(NORM_SWAP_DEMAND, DEMAND)
    assert TEST_FRAMING.decode(NORM_SWAP_DEMAND, DEMAND) == expected
    assert TEST_FRAMING.decode(NORM_SWAP_DEMAND, schema_prefix(own) + DEMAND) == expected
    id_header = [(VALUE_SCHEMA_ID_HEADER, schema_prefix(own))]
    guid_header = [(VALUE_SCHEMA_ID_HEADER, b"\x01" + GUID.bytes)]
    assert TEST_FRAMING.decode(NORM_SWAP_DEMAND, DEMAND, id_header) == expected
    assert by_guid.decode(NORM_SWAP_DEMAND, DEMAND, guid_header) == expected
    assert by_guid.decode(NORM_SWAP_DEMAND, b"\x01" + GUID.bytes + DEMAND) == expected


@pytest.mark.parametrize(
    ("value", "headers", "message"),
    [
        (b"\x07" + DEMAND, None, "the value starts with byte 0x07: Confluent framing starts with 0x00"),
        (b"\x1f" + DEMAND, None, "the value starts with byte 0x1f"),
        (
            DEMAND,
            [(VALUE_SCHEMA_ID_HEADER, b"\x02" + GUID.bytes)],
            "the __value_schema_id header starts with byte 0x02",
        ),
    ],
)
def test_a_wrong_magic_byte_is_refused_as_such(value: bytes, headers: Any, message: str) -> None:
    refused = _refusal(value, headers)
    assert refused.reason is DeadLetterReason.WRONG_MAGIC_BYTE
    assert refused.violations[0].message.startswith(message)


@pytest.mark.parametrize(
    ("value", "headers", "message"),
    [
        (b"\x00", None, "the value has 1 bytes: a Confluent schema id prefix takes 5"),
        (b"\x00\x00\x00\x01", None, "the value has 4 bytes"),
        (b"\x01" + GUID.bytes[:9], None, "the value has 10 bytes: a Confluent schema GUID takes 17"),
        (DEMAND, [(VALUE_SCHEMA_ID_HEADER, b"\x00\x01")], "the __value_schema_id header has 2 bytes"),
        (DEMAND, [(VALUE_SCHEMA_ID_HEADER, b"")], "the __value_schema_id header is empty"),
        (DEMAND, [(VALUE_SCHEMA_ID_HEADER, None)], "the __value_schema_id header is empty"),
    ],
)
def test_a_truncated_prefix_is_refused_as_such(value: bytes, headers: Any, message: str) -> None:
    refused = _refusal(value, headers)
    assert refused.reason is DeadLetterReason.TRUNCATED_SCHEMA_PREFIX
    assert refused.violations[0].message.startswith(message)


def test_an_unknown_schema_id_is_refused_naming_it() -> None:
    refused = _refusal(schema_prefix(4711) + DEMAND)
    assert refused.reason is DeadLetterReason.UNKNOWN_SCHEMA_ID
    assert refused.violations[0].message.startswith("schema id 4711 is not registered in the schema registry")
    guid = _refusal(DEMAND, [(VALUE_SCHEMA_ID_HEADER, b"\x01" + GUID.bytes)])
    assert guid.reason is DeadLetterReason.UNKNOWN_SCHEMA_ID
    assert f"schema GUID {GUID} is not registered" in guid.violations[0].message


@pytest.mark.parametrize("other", [CMD_EXECUTE_TRADE.name, DEAD_LETTER_TOPIC.name])
def test_the_schema_id_of_another_subject_is_refused_naming_both(other: str) -> None:
    schema_id = SCHEMA_IDS[other]
    refused = _refusal(schema_prefix(schema_id) + DEMAND)
    assert refused.reason is DeadLetterReason.SCHEMA_ID_OF_OTHER_SUBJECT
    assert refused.violations[0].message == (
        f"schema id {schema_id} is registered under other subjects than {SUBJECT}, "
        f"the subject of {TOPIC}'s values"
    )


def test_a_schema_held_by_several_subjects_is_taken_for_each() -> None:
    shared = Framing({}, KnownSchemas({9: {SUBJECT, "another-value"}}))
    assert shared.decode(NORM_SWAP_DEMAND, schema_prefix(9) + DEMAND) == decode(NORM_SWAP_DEMAND, DEMAND)


def test_the_json_after_a_valid_prefix_is_judged_as_json() -> None:
    broken = json.loads(DEMAND) | {"event_type": "trade_result"}
    refused = _refusal(schema_prefix(SCHEMA_IDS[TOPIC]) + json.dumps(broken).encode())
    assert refused.reason is DeadLetterReason.WRONG_EVENT_TYPE


def test_a_producer_frames_the_topics_framed_confluent_and_only_those() -> None:
    framing = Framing.of({TOPIC: 3}, KnownSchemas({}))
    assert framing.frame(TOPIC, DEMAND) == b"\x00\x00\x00\x00\x03" + DEMAND
    assert framing.frame(CMD_EXECUTE_TRADE.name, DEMAND) == DEMAND
    assert schema_prefix(2**32 - 1) == b"\x00\xff\xff\xff\xff"
