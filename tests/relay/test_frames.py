"""Classification of relay frames: acks, quote events (both documented shapes), and every rejection."""

from __future__ import annotations

import json
from typing import Any

import pytest

from doran.relay import (
    QuoteEvent,
    RejectedFrame,
    RelayErrorResponse,
    SubscribeAck,
    classify_frame,
    subscribe_request,
)

SUBSCRIPTION = "3f1d9c6e-1a2b-4c3d-8e9f-001122334455"
_ABSENT: Any = object()  # marks a field to leave out


def _quote(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "quote_id": "0b4d6c1e-7a51-4f3e-9c8d-6b2a1f0e9d87",
        "defuse_asset_identifier_in": "nep141:wrap.near",
        "defuse_asset_identifier_out": "nep141:usdt.tether-token.near",
        "exact_amount_in": "1000000000000000000000000",
        "min_deadline_ms": 60000,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not _ABSENT}


def _event(data: Any) -> str:
    params = {"subscription": SUBSCRIPTION, "data": data}
    return json.dumps({"jsonrpc": "2.0", "method": "event", "params": params})


def _rejection(frame: str | bytes) -> RejectedFrame:
    result = classify_frame(frame)
    assert isinstance(result, RejectedFrame), result
    return result


def test_subscribe_request_is_the_relay_json_rpc_call() -> None:
    expected = {"jsonrpc": "2.0", "id": 7, "method": "subscribe", "params": ["quote"]}
    assert json.loads(subscribe_request(7)) == expected


def test_a_result_with_a_subscription_id_is_a_subscribe_ack() -> None:
    assert classify_frame(json.dumps({"jsonrpc": "2.0", "id": 1, "result": SUBSCRIPTION})) == SubscribeAck(
        1, SUBSCRIPTION
    )


def test_an_error_response_is_reported_with_its_code() -> None:
    frame = json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "unauthorized"}})
    assert classify_frame(frame) == RelayErrorResponse(1, -32602, "unauthorized")


def test_a_quote_event_keeps_the_venue_data_verbatim() -> None:
    data = _quote(min_wait_ms=1900, protocol_fee_included=False)
    assert classify_frame(_event(data)) == QuoteEvent(SUBSCRIPTION, data)


def test_bytes_frames_are_classified_like_text() -> None:
    assert isinstance(classify_frame(_event(_quote()).encode()), QuoteEvent)


def test_the_flat_documented_event_shape_is_a_quote_event_without_the_subscription() -> None:
    data = _quote(exact_amount_in=_ABSENT, exact_amount_out="5000000")
    params = {"subscription": SUBSCRIPTION, **data}
    frame = json.dumps({"jsonrpc": "2.0", "method": "subscribe", "params": params})
    assert classify_frame(frame) == QuoteEvent(SUBSCRIPTION, data)


@pytest.mark.parametrize(
    "frame",
    ["{not json", "", '{"jsonrpc":"2.0","method":"event","params":{"x":NaN}}', b"\xff\xfe{}"],
    ids=["truncated", "empty", "nan", "not-utf8"],
)
def test_unparsable_frames_are_not_json(frame: str | bytes) -> None:
    rejection = _rejection(frame)
    assert rejection.reason == "not_json"
    assert rejection.violations[0][0] == ""


@pytest.mark.parametrize(
    ("message", "pointer"),
    [
        ([1, 2], ""),
        ({"id": 1, "result": SUBSCRIPTION}, "/jsonrpc"),
        ({"jsonrpc": "2.0", "method": "quote_status", "params": {}}, "/method"),
        ({"jsonrpc": "2.0", "method": "event", "params": ["quote"]}, "/params"),
        ({"jsonrpc": "2.0", "method": "event", "params": {"data": {}}}, "/params/subscription"),
        ({"jsonrpc": "2.0", "method": "event", "params": {"subscription": SUBSCRIPTION}}, "/params/data"),
        (
            {"jsonrpc": "2.0", "method": "event", "params": {"subscription": SUBSCRIPTION, "data": "x"}},
            "/params/data",
        ),
        ({"jsonrpc": "2.0", "id": True, "result": SUBSCRIPTION}, "/id"),
        ({"jsonrpc": "2.0", "id": 2, "result": ""}, "/result"),
    ],
    ids=[
        "array",
        "no-version",
        "other-method",
        "params-array",
        "no-subscription",
        "no-data",
        "data-string",
        "bool-id",
        "empty-result",
    ],
)
def test_messages_that_are_not_relay_quotes_are_invalid_venue_messages(message: Any, pointer: str) -> None:
    rejection = _rejection(json.dumps(message))
    assert rejection.reason == "invalid_venue_message"
    assert [violation[0] for violation in rejection.violations] == [pointer]


@pytest.mark.parametrize(
    ("data", "pointers"),
    [
        (_quote(quote_id=_ABSENT), ["/params/data/quote_id"]),
        (_quote(quote_id=""), ["/params/data/quote_id"]),
        (_quote(defuse_asset_identifier_in=7), ["/params/data/defuse_asset_identifier_in"]),
        (_quote(exact_amount_in=_ABSENT), ["/params/data"]),
        (_quote(exact_amount_in=1.5), ["/params/data/exact_amount_in"]),
        (_quote(min_deadline_ms=_ABSENT), ["/params/data/min_deadline_ms"]),
        (_quote(min_deadline_ms="60000"), ["/params/data/min_deadline_ms"]),
        (_quote(min_deadline_ms=True), ["/params/data/min_deadline_ms"]),
        (
            _quote(quote_id=_ABSENT, defuse_asset_identifier_out=_ABSENT),
            ["/params/data/quote_id", "/params/data/defuse_asset_identifier_out"],
        ),
    ],
    ids=[
        "no-quote-id",
        "empty-quote-id",
        "asset-number",
        "no-amount",
        "float-amount",
        "no-deadline",
        "string-deadline",
        "bool-deadline",
        "every-violation",
    ],
)
def test_quote_events_missing_fields_list_every_violation(data: dict[str, Any], pointers: list[str]) -> None:
    rejection = _rejection(_event(data))
    assert rejection.reason == "invalid_venue_message"
    assert [violation[0] for violation in rejection.violations] == pointers


@pytest.mark.parametrize(
    "data",
    [
        _quote(exact_amount_out="1"),
        _quote(exact_amount_in="-5"),
        _quote(exact_amount_in="340282366920938463463374607431768211456"),
        _quote(defuse_asset_identifier_in="erc20:0xdeadbeef"),
    ],
    ids=["both-sides", "negative", "above-u128", "unknown-asset-form"],
)
def test_value_rules_are_left_to_normalization(data: dict[str, Any]) -> None:
    # Ingest keeps what the venue sent; normalize owns the value rules and dead-letters them itself.
    assert isinstance(classify_frame(_event(data)), QuoteEvent)
