"""The stages encode normalize's and decide's outputs without validating them (doran.wire.derived_object):
these properties are why that is safe. For any valid input, the record the stage's handler produces is
byte for byte the record of the validated event, and the reference validator accepts it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from support.framing import TEST_FRAMING

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    NORM_SWAP_DEMAND,
    RAW_NEAR_INTENTS_QUOTE,
    SwapDemandEvent,
    bundled_schema,
)
from doran.pipeline import Declined, decide, default_policy, normalize
from doran.pipeline.pricing import U128_MAX
from doran.stages.decide import demand_handler
from doran.stages.handling import Consumed
from doran.stages.normalize import raw_quote_handler
from doran.wire import ContractViolation, KafkaRecord, decode, json_bytes, kafka_record, violations

NOW = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
LIMIT = 10_000_000
WINDOW_MS = 3_000
POLICY = default_policy()


def _same_record(fast: KafkaRecord, checked: KafkaRecord) -> None:
    assert (fast.topic, fast.key, fast.value, fast.headers) == (
        checked.topic,
        checked.key,
        checked.value,
        checked.headers,
    )
    assert violations(fast.topic, orjson.loads(fast.value)) == []


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_schema(bundled_schema(RAW_NEAR_INTENTS_QUOTE.name)))
def test_normalize_outputs_are_the_validated_events_bytes(instance: dict[str, Any]) -> None:
    value = json_bytes(instance)
    event = decode(RAW_NEAR_INTENTS_QUOTE, value)
    handled = raw_quote_handler(LIMIT, WINDOW_MS, framing=TEST_FRAMING)(
        Consumed(RAW_NEAR_INTENTS_QUOTE.name, 0, 1, b"k", value), NOW
    )
    if handled.dead_letter is not None:  # a date no calendar has: the validated path refuses it alike
        with pytest.raises(ContractViolation, match=handled.dead_letter):
            normalize(event, auction_window_ms=WINDOW_MS)
        return
    checked = normalize(event, auction_window_ms=WINDOW_MS)
    (fast,) = handled.records
    _same_record(fast, kafka_record(NORM_SWAP_DEMAND, checked))


@st.composite
def _demands(draw: st.DrawFn) -> SwapDemandEvent:
    """Demands decide can price: an allowed pair of the demo policy, amounts anywhere up to u128."""
    pair = draw(st.sampled_from(_allowed_pairs()))
    amount = str(draw(st.one_of(st.integers(0, 10**30), st.integers(0, U128_MAX))))
    exact_in = draw(st.booleans())
    return SwapDemandEvent.model_validate(
        {
            "event_id": draw(st.from_regex(r"\A[a-z]{1,8}-[0-9a-f]{8}\Z")),
            "event_type": "swap_demand",
            "venue": "near_intents",
            "source": "doran.normalize",
            "schema_version": 1,
            "observed_at": draw(st.none() | st.just("2026-03-28T19:59:59.5Z")),
            "ingested_at": "2026-03-28T19:59:59.600000Z",
            "payload": {
                "quote_id": draw(st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,40}\Z")),
                "asset_in": pair[0],
                "asset_out": pair[1],
                "amount_in": amount if exact_in else None,
                "amount_out": None if exact_in else amount,
                "ttl_ms": draw(st.integers(0, 86_400_000)),
                "answer_by": "2026-03-28T20:00:02.500000Z",
            },
            "raw": draw(
                st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3)
            ),
        }
    )


def _allowed_pairs() -> list[tuple[str, str]]:
    assets = sorted(POLICY.assets)
    return [(a, b) for a in assets for b in assets if POLICY.allows(a, b)]


def test_decide_outputs_are_the_validated_events_bytes() -> None:
    outcomes: set[str] = set()

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_demands())
    def check(demand: SwapDemandEvent) -> None:
        value = json_bytes(demand.model_dump(mode="json"))
        handled = demand_handler(POLICY, LIMIT, framing=TEST_FRAMING)(
            Consumed(NORM_SWAP_DEMAND.name, 0, 1, b"k", value), NOW
        )
        decision = decide(demand, POLICY)
        if isinstance(decision, Declined):
            assert (handled.records, handled.declined) == ((), decision.reason_code.value)
            outcomes.add("declined")
            return
        (fast,) = handled.records
        _same_record(fast, kafka_record(CMD_EXECUTE_TRADE, decision))
        outcomes.add("command")

    check()
    assert outcomes == {"command", "declined"}, "the cases must include priced commands and declines"
