"""Stage handlers: valid records flow on; bad input, broken output and oversize output become dead letters."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.framing import SCHEMA_IDS, TEST_FRAMING
from support.generated import generated_package, walkthrough_tree

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    DEAD_LETTER_TOPIC,
    NORM_SWAP_DEMAND,
    RAW_NEAR_INTENTS_QUOTE,
    DeadLetterStage,
    NearIntentsQuoteRawEvent,
)
from doran.pipeline import default_policy, swap_demand
from doran.stages.dead_letter import ORIGINAL_KEPT_BYTES
from doran.stages.decide import demand_handler
from doran.stages.handling import Consumed, RecordHandler
from doran.stages.normalize import raw_quote_handler
from doran.wire import decode, derive, schema_prefix, writing

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LIMIT = 1_000_000
WINDOW_MS = 3_000
handle_raw_quote = raw_quote_handler(LIMIT, WINDOW_MS, framing=TEST_FRAMING)
handle_demand = demand_handler(default_policy(), LIMIT, framing=TEST_FRAMING)


def _example(topic: str, name: str) -> dict[str, Any]:
    message: dict[str, Any] = json.loads((EXAMPLES / topic / "valid" / f"{name}.json").read_text())["message"]
    return message


def _consumed(topic: str, value: bytes, offset: int = 7) -> Consumed:
    return Consumed(topic, 1, offset, b"key-1", value)


RAW = RAW_NEAR_INTENTS_QUOTE.name
RAW_QUOTE = json.dumps(_example(RAW, "exact_in")).encode()


def test_a_raw_quote_becomes_a_validated_swap_demand_keyed_by_pair() -> None:
    handled = handle_raw_quote(_consumed(RAW, json.dumps(_example(RAW, "exact_in")).encode()), NOW)
    (record,) = handled.records
    assert (record.topic, handled.dead_letter, handled.declined) == (NORM_SWAP_DEMAND.name, None, None)
    demand = decode(NORM_SWAP_DEMAND, record.value)
    assert record.key == f"near_intents:{demand.payload.asset_in}->{demand.payload.asset_out}"
    assert dict(record.headers)["ce_type"] == b"swap_demand"


@pytest.mark.parametrize(
    ("value", "reason", "pointer"),
    [
        (b"not json", "not_json", ""),
        (schema_prefix(SCHEMA_IDS[RAW]) + b"not json", "not_json", ""),
        (b"\x07" + RAW_QUOTE, "wrong_magic_byte", ""),
        (b"\x00\x00\x01", "truncated_schema_prefix", ""),
        (schema_prefix(4711) + RAW_QUOTE, "unknown_schema_id", ""),
        (schema_prefix(SCHEMA_IDS[NORM_SWAP_DEMAND.name]) + RAW_QUOTE, "schema_id_of_other_subject", ""),
        (
            json.dumps({**_example(RAW, "exact_in"), "event_type": "swap_demand"}).encode(),
            "wrong_event_type",
            "/event_type",
        ),
        (
            json.dumps({**_example(RAW, "exact_in"), "schema_version": 9}).encode(),
            "unknown_schema_version",
            "/schema_version",
        ),
        (
            json.dumps({**_example(RAW, "exact_in"), "payload": {}}).encode(),
            "schema_violation",
            "/payload/message",
        ),
    ],
)
def test_a_bad_record_becomes_a_dead_letter_with_reason_origin_and_bytes(
    value: bytes, reason: str, pointer: str
) -> None:
    handled = handle_raw_quote(_consumed(RAW, value), NOW)
    (record,) = handled.records
    assert (record.topic, handled.dead_letter) == (DEAD_LETTER_TOPIC.name, reason)
    letter = decode(DEAD_LETTER_TOPIC, record.value).payload
    assert letter.reason.value == reason and letter.stage.value == "normalize"
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == (RAW, 1, 7)
    assert base64.b64decode(letter.original_value_b64) == value
    assert letter.original_key_b64 is not None and base64.b64decode(letter.original_key_b64) == b"key-1"
    assert pointer in {v.pointer for v in letter.violations}


def test_a_quote_breaking_the_venue_contract_is_refused_by_the_raw_topic_contract() -> None:
    raw = _example(RAW, "exact_in")
    raw["payload"]["message"] = {**raw["payload"]["message"], "exact_amount_out": "5"}  # both sides fixed
    handled = handle_raw_quote(_consumed(RAW, json.dumps(raw).encode()), NOW)
    assert handled.dead_letter == "schema_violation"
    letter = decode(DEAD_LETTER_TOPIC, handled.records[0].value).payload
    assert [v.pointer for v in letter.violations] == ["/payload/message/exact_amount_out"]


def test_a_transform_that_refuses_its_own_output_is_an_output_violation_with_pointers() -> None:
    # A transform may check what it built (derive validates): its refusal is a dead letter, not a crash.
    def broken(event: NearIntentsQuoteRawEvent) -> dict[str, Any]:
        good = swap_demand(event, auction_window_ms=WINDOW_MS)
        payload = good | {"ttl_ms": -1, "asset_in": "not an asset"}
        return derive(NORM_SWAP_DEMAND, event, payload, source="doran.normalize").payload.model_dump()

    handler = RecordHandler(
        DeadLetterStage.NORMALIZE,
        RAW_NEAR_INTENTS_QUOTE,
        NORM_SWAP_DEMAND,
        broken,
        "doran.normalize",
        LIMIT,
        TEST_FRAMING,
    )
    handled = handler(_consumed(RAW, json.dumps(_example(RAW, "exact_in")).encode()), NOW)
    assert handled.dead_letter == "output_violation"
    letter = decode(DEAD_LETTER_TOPIC, handled.records[0].value).payload
    # JSON pointers into the output that was refused, without pydantic's union-branch names.
    assert {v.pointer for v in letter.violations} == {"/payload/asset_in", "/payload/ttl_ms"}


def test_an_output_larger_than_the_broker_takes_is_dead_lettered_not_produced() -> None:
    raw = _example(RAW, "exact_in")
    raw["raw"] = {"padding": "x" * 200_000}  # carried over to the demand's raw
    handler = raw_quote_handler(150_000, WINDOW_MS, framing=TEST_FRAMING)
    handled = handler(_consumed(RAW, json.dumps(raw).encode()), NOW)
    assert handled.dead_letter == "message_too_large"
    (record,) = handled.records
    assert record.topic == DEAD_LETTER_TOPIC.name and record.size <= 150_000
    letter = decode(DEAD_LETTER_TOPIC, record.value).payload
    assert "150000" in letter.violations[0].message
    assert letter.original_size_bytes == len(json.dumps(raw))


def test_a_redelivered_record_yields_byte_identical_output_whenever_it_is_handled() -> None:
    # At-least-once normalize and decide publish a redelivered input again: it must be the same bytes.
    raw = _consumed(RAW, json.dumps(_example(RAW, "exact_in")).encode())
    first = handle_raw_quote(raw, NOW)
    later = handle_raw_quote(raw, NOW + timedelta(hours=3))
    assert [(r.key, r.value, r.headers) for r in first.records] == [
        (r.key, r.value, r.headers) for r in later.records
    ]
    demand = _consumed(NORM_SWAP_DEMAND.name, first.records[0].value)
    decided = [handle_demand(demand, at).records for at in (NOW, NOW + timedelta(days=1))]
    assert decided[0] and [(r.key, r.value, r.headers) for r in decided[0]] == [
        (r.key, r.value, r.headers) for r in decided[1]
    ]


def test_dead_letter_ids_are_deterministic_per_origin() -> None:
    first = handle_raw_quote(_consumed(RAW, b"{", offset=3), NOW).records[0]
    again = handle_raw_quote(_consumed(RAW, b"{", offset=3), NOW).records[0]
    other = handle_raw_quote(_consumed(RAW, b"{", offset=4), NOW).records[0]
    assert dict(first.headers)["ce_id"] == dict(again.headers)["ce_id"] != dict(other.headers)["ce_id"]


def test_decide_issues_a_command_keyed_by_execution_key() -> None:
    demand = _example(NORM_SWAP_DEMAND.name, "exact_in")
    handled = handle_demand(_consumed(NORM_SWAP_DEMAND.name, json.dumps(demand).encode()), NOW)
    (record,) = handled.records
    command = decode(CMD_EXECUTE_TRADE, record.value).payload
    assert record.topic == CMD_EXECUTE_TRADE.name and record.key == command.execution_key
    assert command.command_id == f"cmd-{demand['payload']['quote_id']}"
    assert command.idempotency_key == f"near_intents:{demand['payload']['quote_id']}"


def test_decide_counts_a_declined_demand_and_produces_nothing() -> None:
    demand = _example(NORM_SWAP_DEMAND.name, "exact_in")
    demand["payload"]["asset_out"] = "nep141:not-a-listed-token.near"
    handled = handle_demand(_consumed(NORM_SWAP_DEMAND.name, json.dumps(demand).encode()), NOW)
    assert handled.records == () and handled.declined == "pair_not_allowed"


def test_an_oversized_bad_message_still_fits_a_dead_letter_that_identifies_it() -> None:
    value = b"{" + b"x" * 1_500_000  # not JSON, and larger than a broker takes by default
    handled = handle_raw_quote(_consumed(RAW, value), NOW)
    (record,) = handled.records
    assert handled.dead_letter == "not_json" and record.size < LIMIT
    letter = decode(DEAD_LETTER_TOPIC, record.value).payload
    assert letter.original_truncated is True
    assert letter.original_size_bytes == len(value)
    assert letter.original_sha256 == hashlib.sha256(value).hexdigest()
    assert base64.b64decode(letter.original_value_b64) == value[:ORIGINAL_KEPT_BYTES]


def test_a_normal_bad_message_is_kept_whole() -> None:
    record = handle_raw_quote(_consumed(RAW, b"{oops"), NOW).records[0]
    letter = decode(DEAD_LETTER_TOPIC, record.value).payload
    assert letter.original_truncated is False and base64.b64decode(letter.original_value_b64) == b"{oops"


def test_a_stage_writes_the_version_it_is_told_and_a_failing_downgrade_is_a_dead_letter(
    tmp_path: Path,
) -> None:
    raw = _consumed(RAW, json.dumps(_example(RAW, "exact_in")).encode())
    pinned = writing(generated_package(walkthrough_tree(tmp_path / "a")).TOPICS["norm.swap_demand"], 1)
    (record,) = raw_quote_handler(LIMIT, WINDOW_MS, framing=TEST_FRAMING, target=pinned)(raw, NOW).records
    assert json.loads(record.value)["schema_version"] == 1
    assert dict(record.headers)["ce_dataschema"].decode() == pinned.schema_id

    broken = {
        "description": "x",
        "upgrade": [],
        "downgrade": [{"op": "add", "path": "/no/where", "value": 1}],
    }
    pinned = writing(
        generated_package(walkthrough_tree(tmp_path / "b", broken)).TOPICS["norm.swap_demand"], 1
    )
    handled = raw_quote_handler(LIMIT, WINDOW_MS, framing=TEST_FRAMING, target=pinned)(raw, NOW)
    assert handled.dead_letter == "migration_failed"
    letter = decode(DEAD_LETTER_TOPIC, handled.records[0].value).payload
    assert [v.pointer for v in letter.violations] == ["/payload/no/where"]
    assert "writing norm.swap_demand version 1" in letter.violations[0].message
