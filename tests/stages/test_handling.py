"""Stage handlers: valid records flow on, bad ones become dead letters with reason and origin."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from doran.contracts import CMD_EXECUTE_TRADE, DEAD_LETTER_TOPIC, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE
from doran.pipeline import default_policy
from doran.stages.dead_letter import ORIGINAL_KEPT_BYTES
from doran.stages.decide import demand_handler
from doran.stages.handling import Consumed
from doran.stages.normalize import handle_raw_quote
from doran.wire import decode

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _example(topic: str, name: str) -> dict[str, Any]:
    message: dict[str, Any] = json.loads((EXAMPLES / topic / "valid" / f"{name}.json").read_text())["message"]
    return message


def _consumed(topic: str, value: bytes, offset: int = 7) -> Consumed:
    return Consumed(topic, 1, offset, b"key-1", value)


def test_a_raw_quote_becomes_a_validated_swap_demand_keyed_by_pair() -> None:
    handled = handle_raw_quote(
        _consumed(RAW_NEAR_INTENTS_QUOTE, json.dumps(_example(RAW_NEAR_INTENTS_QUOTE, "exact_in")).encode()),
        NOW,
    )
    (record,) = handled.records
    assert (record.topic, handled.dead_letter, handled.declined) == (NORM_SWAP_DEMAND, None, None)
    demand = decode(NORM_SWAP_DEMAND, record.value)
    assert record.key == f"near_intents:{demand.payload.asset_in}->{demand.payload.asset_out}"  # type: ignore[attr-defined]
    assert dict(record.headers)["ce_type"] == b"swap_demand"


@pytest.mark.parametrize(
    ("value", "reason", "pointer"),
    [
        (b"\x00not json", "not_json", ""),
        (
            json.dumps(
                {**_example(RAW_NEAR_INTENTS_QUOTE, "exact_in"), "event_type": "swap_demand"}
            ).encode(),
            "wrong_event_type",
            "/event_type",
        ),
        (
            json.dumps({**_example(RAW_NEAR_INTENTS_QUOTE, "exact_in"), "schema_version": 9}).encode(),
            "unknown_schema_version",
            "/schema_version",
        ),
        (
            json.dumps({**_example(RAW_NEAR_INTENTS_QUOTE, "exact_in"), "payload": {}}).encode(),
            "schema_violation",
            "/payload/message",
        ),
    ],
)
def test_a_bad_record_becomes_a_dead_letter_with_reason_origin_and_bytes(
    value: bytes, reason: str, pointer: str
) -> None:
    handled = handle_raw_quote(_consumed(RAW_NEAR_INTENTS_QUOTE, value), NOW)
    (record,) = handled.records
    assert (record.topic, handled.dead_letter) == (DEAD_LETTER_TOPIC, reason)
    letter = decode(DEAD_LETTER_TOPIC, record.value).payload
    assert letter.reason.value == reason and letter.stage.value == "normalize"  # type: ignore[attr-defined]
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == (
        RAW_NEAR_INTENTS_QUOTE,
        1,
        7,
    )  # type: ignore[attr-defined]
    assert base64.b64decode(letter.original_value_b64) == value  # type: ignore[attr-defined]
    assert base64.b64decode(letter.original_key_b64) == b"key-1"  # type: ignore[attr-defined]
    assert pointer in {v.pointer for v in letter.violations}  # type: ignore[attr-defined]


def test_an_unusable_venue_message_is_dead_lettered_by_normalize() -> None:
    raw = _example(RAW_NEAR_INTENTS_QUOTE, "exact_in")
    raw["payload"]["message"] = {**raw["payload"]["message"], "exact_amount_out": "5"}  # both sides fixed
    handled = handle_raw_quote(_consumed(RAW_NEAR_INTENTS_QUOTE, json.dumps(raw).encode()), NOW)
    assert handled.dead_letter == "invalid_venue_message"
    assert handled.records[0].topic == DEAD_LETTER_TOPIC


def test_dead_letter_ids_are_deterministic_per_origin() -> None:
    first = handle_raw_quote(_consumed(RAW_NEAR_INTENTS_QUOTE, b"{", offset=3), NOW).records[0]
    again = handle_raw_quote(_consumed(RAW_NEAR_INTENTS_QUOTE, b"{", offset=3), NOW).records[0]
    other = handle_raw_quote(_consumed(RAW_NEAR_INTENTS_QUOTE, b"{", offset=4), NOW).records[0]
    assert dict(first.headers)["ce_id"] == dict(again.headers)["ce_id"] != dict(other.headers)["ce_id"]


def test_decide_issues_a_command_keyed_by_execution_key() -> None:
    demand = _example(NORM_SWAP_DEMAND, "exact_in")
    handled = demand_handler(default_policy())(_consumed(NORM_SWAP_DEMAND, json.dumps(demand).encode()), NOW)
    (record,) = handled.records
    command = decode(CMD_EXECUTE_TRADE, record.value).payload
    assert record.topic == CMD_EXECUTE_TRADE and record.key == command.execution_key  # type: ignore[attr-defined]
    assert command.command_id == f"cmd-{demand['payload']['quote_id']}"  # type: ignore[attr-defined]
    assert command.idempotency_key == f"near_intents:{demand['payload']['quote_id']}"  # type: ignore[attr-defined]


def test_decide_counts_a_declined_demand_and_produces_nothing() -> None:
    demand = _example(NORM_SWAP_DEMAND, "exact_in")
    demand["payload"]["asset_out"] = "nep141:not-a-listed-token.near"
    handled = demand_handler(default_policy())(_consumed(NORM_SWAP_DEMAND, json.dumps(demand).encode()), NOW)
    assert handled.records == () and handled.declined == "pair_not_allowed"


def test_an_oversized_bad_message_still_fits_a_dead_letter_that_identifies_it() -> None:
    value = b"{" + b"x" * 1_500_000  # not JSON, and larger than a broker takes by default
    handled = handle_raw_quote(_consumed(RAW_NEAR_INTENTS_QUOTE, value), NOW)
    (record,) = handled.records
    assert handled.dead_letter == "not_json" and len(record.value) < 1_000_000
    letter = decode(DEAD_LETTER_TOPIC, record.value).payload
    assert letter.original_truncated is True  # type: ignore[attr-defined]
    assert letter.original_size_bytes == len(value)  # type: ignore[attr-defined]
    assert letter.original_sha256 == hashlib.sha256(value).hexdigest()  # type: ignore[attr-defined]
    assert base64.b64decode(letter.original_value_b64) == value[:ORIGINAL_KEPT_BYTES]  # type: ignore[attr-defined]


def test_a_normal_bad_message_is_kept_whole() -> None:
    record = handle_raw_quote(_consumed(RAW_NEAR_INTENTS_QUOTE, b"{oops"), NOW).records[0]
    letter = decode(DEAD_LETTER_TOPIC, record.value).payload
    assert letter.original_truncated is False and base64.b64decode(letter.original_value_b64) == b"{oops"  # type: ignore[attr-defined]
