"""Relay frames as JSON-RPC 2.0: answers, errors, notifications, and every malformed shape; never raises."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doran.relay import ErrorAnswer, Malformed, Notification, ResultAnswer, parse_frame, request_text

SUBSCRIPTION = "3f1d9c6e-1a2b-4c3d-8e9f-001122334455"


def _malformed(frame: str | bytes) -> Malformed:
    result = parse_frame(frame)
    assert isinstance(result, Malformed), result
    return result


def test_request_text_is_a_json_rpc_call() -> None:
    expected = {"jsonrpc": "2.0", "id": 7, "method": "subscribe", "params": ["quote"]}
    assert json.loads(request_text(7, "subscribe", ["quote"])) == expected


def test_a_result_is_an_answer_to_our_request() -> None:
    frame = json.dumps({"jsonrpc": "2.0", "id": 1, "result": SUBSCRIPTION})
    assert parse_frame(frame) == ResultAnswer(1, SUBSCRIPTION)
    assert parse_frame(json.dumps({"jsonrpc": "2.0", "id": "a", "result": "OK"})) == ResultAnswer("a", "OK")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"code": -32602, "message": "unauthorized"}, ErrorAnswer(1, -32602, "unauthorized")),
        ("quote not found or already finished", ErrorAnswer(1, None, "quote not found or already finished")),
        ({"message": "no code"}, ErrorAnswer(1, None, "no code")),
    ],
    ids=["object", "string", "no-code"],
)
def test_an_error_is_an_error_answer_whatever_its_shape(error: Any, expected: ErrorAnswer) -> None:
    assert parse_frame(json.dumps({"jsonrpc": "2.0", "id": 1, "error": error})) == expected


def test_an_event_notification_carries_its_data_verbatim() -> None:
    data = {"quote_id": "q", "anything": [1, {"x": None}], "big": 2**130}
    frame = json.dumps(
        {"jsonrpc": "2.0", "method": "event", "params": {"subscription": SUBSCRIPTION, "data": data}}
    )
    assert parse_frame(frame) == Notification("event", SUBSCRIPTION, data)
    assert parse_frame(frame.encode()) == Notification("event", SUBSCRIPTION, data)


def test_integers_beyond_64_bits_stay_exact() -> None:
    data = '{"n":340282366920938463463374607431768211457}'
    frame = '{"jsonrpc":"2.0","method":"event","params":{"subscription":"s","data":' + data + "}}"
    parsed = parse_frame(frame)
    assert isinstance(parsed, Notification)
    assert parsed.data == {"n": 2**128 + 1}


def test_other_notifications_are_notifications_not_errors() -> None:
    frame = json.dumps({"jsonrpc": "2.0", "method": "ping", "params": [1]})
    assert parse_frame(frame) == Notification("ping", None, [1])


@pytest.mark.parametrize(
    "frame",
    [
        "{not json",
        "",
        '{"jsonrpc":"2.0","method":"event","params":{"x":NaN}}',
        b"\xff\xfe{}",
        '{"jsonrpc":"2.0","method":"event","params":{"subscription":"s","data":{"q":"\\ud800"}}}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["truncated", "empty", "nan", "not-utf8", "lone-surrogate", "too-deep"],
)
def test_unparsable_frames_are_not_json(frame: str | bytes) -> None:
    malformed = _malformed(frame)
    assert malformed.reason == "not_json"
    assert malformed.violations[0][0] == ""


def test_an_escaped_surrogate_pair_is_one_character() -> None:
    frame = '{"jsonrpc":"2.0","method":"event","params":{"subscription":"s","data":{"q":"\\ud83d\\ude00"}}}'
    assert parse_frame(frame) == Notification("event", "s", {"q": "\U0001f600"})


@pytest.mark.parametrize(
    ("message", "pointer"),
    [
        ([1, 2], ""),
        ({"id": 1, "result": SUBSCRIPTION}, "/jsonrpc"),
        ({"jsonrpc": "2.0", "method": 7}, "/method"),
        ({"jsonrpc": "2.0", "method": "event", "params": ["quote"]}, "/params"),
        ({"jsonrpc": "2.0", "method": "event", "params": {"data": {}}}, "/params/subscription"),
        ({"jsonrpc": "2.0", "method": "event", "params": {"subscription": SUBSCRIPTION}}, "/params/data"),
        ({"jsonrpc": "2.0", "id": True, "result": SUBSCRIPTION}, "/id"),
        ({"jsonrpc": "2.0", "id": 2}, ""),
    ],
    ids=[
        "array",
        "no-version",
        "method-number",
        "params-array",
        "no-subscription",
        "no-data",
        "bool-id",
        "no-result",
    ],
)
def test_messages_that_are_not_json_rpc_are_invalid_venue_messages(message: Any, pointer: str) -> None:
    malformed = _malformed(json.dumps(message))
    assert malformed.reason == "invalid_venue_message"
    assert [violation[0] for violation in malformed.violations] == [pointer]


@given(st.binary(max_size=512))
def test_any_bytes_parse_without_raising(frame: bytes) -> None:
    assert isinstance(parse_frame(frame), ResultAnswer | ErrorAnswer | Notification | Malformed)
