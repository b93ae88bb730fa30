"""`decode` returns typed events or lists every violation with its pointer and reason."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import golden

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    NORM_SWAP_DEMAND,
    TOPICS,
    Envelope,
    ExactInSwapDemand,
    ExactOutSwapDemand,
    SwapDemandEvent,
)
from doran.schema_source.registry import TopicSpec
from doran.wire import (
    CONTRACT_HEADER,
    ContractViolation,
    UnknownTopic,
    decode,
    encode,
    kafka_headers,
    message_key,
    topic,
)

EXAMPLES = list(golden.golden_examples())
U128_MAX = 2**128 - 1


def _example(spec: TopicSpec[Envelope], name: str) -> bytes:
    return next(e.data for e in EXAMPLES if e.topic == spec.name and e.name == name)


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "valid"], ids=lambda e: e.id)
def test_valid_examples_decode_and_round_trip(example: golden.Golden) -> None:
    event = decode(example.spec, example.data)
    assert type(event) is TOPICS[example.topic].event_model
    assert json.loads(encode(event)) == json.loads(example.data)


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "invalid"], ids=lambda e: e.id)
def test_invalid_examples_report_their_violation(example: golden.Golden) -> None:
    with pytest.raises(ContractViolation) as info:
        decode(example.spec, example.data)
    assert info.value.reason == example.expect["reason"]
    assert set(example.expect["pointers"]) <= {v.pointer for v in info.value.violations}


def test_every_violation_is_collected_not_just_the_first() -> None:
    message = json.loads(_example(NORM_SWAP_DEMAND, "exact_in"))
    message["payload"].update(asset_in="wrap.near", ttl_ms=-5, surprise=True)
    message["ingested_at"] = "yesterday"
    with pytest.raises(ContractViolation) as info:
        decode(NORM_SWAP_DEMAND, json.dumps(message))
    pointers = {v.pointer for v in info.value.violations}
    assert {"/payload/asset_in", "/payload/ttl_ms", "/payload/surprise", "/ingested_at"} <= pointers
    assert "/payload/asset_in" in str(info.value)


def test_the_typed_payload_says_which_side_is_fixed() -> None:
    exact_in = decode(NORM_SWAP_DEMAND, _example(NORM_SWAP_DEMAND, "exact_in"))
    exact_out = decode(NORM_SWAP_DEMAND, _example(NORM_SWAP_DEMAND, "exact_out_u128_max"))
    assert isinstance(exact_in, SwapDemandEvent) and isinstance(exact_in.payload, ExactInSwapDemand)
    assert isinstance(exact_out, SwapDemandEvent) and isinstance(exact_out.payload, ExactOutSwapDemand)
    assert int(exact_out.payload.amount_out) == U128_MAX


def test_an_unknown_topic_is_named() -> None:
    with pytest.raises(UnknownTopic, match=r"norm\.swap_demands"):
        topic("norm.swap_demands")
    assert topic(NORM_SWAP_DEMAND.name) is NORM_SWAP_DEMAND


@given(
    st.one_of(
        st.integers(min_value=0, max_value=U128_MAX + 10**6), st.integers(U128_MAX - 10**6, U128_MAX + 10**6)
    )
)
def test_amounts_are_accepted_exactly_up_to_u128(amount: int) -> None:
    message = json.loads(_example(NORM_SWAP_DEMAND, "exact_in"))
    message["payload"]["amount_in"] = str(amount)
    data = json.dumps(message)
    if amount <= U128_MAX:
        assert decode(NORM_SWAP_DEMAND, data).payload.amount_in == str(amount)
    else:
        with pytest.raises(ContractViolation):
            decode(NORM_SWAP_DEMAND, data)


def test_message_key_follows_the_registry_template() -> None:
    command = decode(CMD_EXECUTE_TRADE, _example(CMD_EXECUTE_TRADE, "exact_in_priced"))
    assert CMD_EXECUTE_TRADE.key == "${payload.execution_key}"
    assert message_key(CMD_EXECUTE_TRADE, command) == command.payload.execution_key
    demand = decode(NORM_SWAP_DEMAND, _example(NORM_SWAP_DEMAND, "exact_in"))
    assert (
        message_key(NORM_SWAP_DEMAND, demand)
        == "near_intents:nep141:wrap.near->nep141:usdt.tether-token.near"
    )


def test_headers_are_cloudevents_binary_mode_with_the_schema_hash() -> None:
    event = decode(CMD_EXECUTE_TRADE, _example(CMD_EXECUTE_TRADE, "exact_in_priced"))
    headers = dict(kafka_headers(CMD_EXECUTE_TRADE, event))
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_id"] == event.event_id.encode()
    assert headers["ce_type"] == b"execute_trade"
    assert headers["ce_source"] == b"doran.decide"
    assert event.observed_at is not None
    assert headers["ce_time"] == event.observed_at.encode()
    assert headers[CONTRACT_HEADER] == CMD_EXECUTE_TRADE.schema_sha256.encode()
