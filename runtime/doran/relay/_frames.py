"""Classify one frame of the NEAR Intents solver relay (JSON-RPC 2.0 over a websocket); pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "QUOTE_SUBSCRIPTION",
    "Frame",
    "QuoteEvent",
    "RejectedFrame",
    "RelayErrorResponse",
    "SubscribeAck",
    "classify_frame",
    "subscribe_request",
]

#: The relay subscription that delivers quote requests.
QUOTE_SUBSCRIPTION = "quote"

_AMOUNT_FIELDS = ("exact_amount_in", "exact_amount_out")
_STRING_FIELDS = ("quote_id", "defuse_asset_identifier_in", "defuse_asset_identifier_out")

Violation = tuple[str, str]  # (RFC 6901 pointer into the frame, what is wrong there)


@dataclass(frozen=True, slots=True)
class SubscribeAck:
    """A JSON-RPC result carrying a subscription id (the relay's answer to `subscribe`)."""

    request_id: int | str
    subscription_id: str


@dataclass(frozen=True, slots=True)
class RelayErrorResponse:
    """A JSON-RPC error answer to one of our requests."""

    request_id: int | str | None
    code: int | None
    message: str


@dataclass(frozen=True, slots=True)
class QuoteEvent:
    """A quote request notification; `data` is the venue-native quote, verbatim."""

    subscription_id: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RejectedFrame:
    """A frame that is not JSON, not a relay message we know, or a quote event missing required fields."""

    reason: Literal["not_json", "invalid_venue_message"]
    violations: tuple[Violation, ...]


Frame = SubscribeAck | RelayErrorResponse | QuoteEvent | RejectedFrame


def subscribe_request(request_id: int, subscription: str = QUOTE_SUBSCRIPTION) -> str:
    """The JSON-RPC request text that subscribes to `subscription` on the relay."""
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "subscribe", "params": [subscription]})


def _reject_constant(name: str) -> float:
    # NaN and Infinity are not JSON (RFC 8259) even though Python's parser accepts them.
    raise ValueError(f"{name} is not valid JSON")


def _parse(frame: str | bytes) -> Any:
    text = frame.decode("utf-8") if isinstance(frame, bytes) else frame
    return json.loads(text, parse_constant=_reject_constant)


def classify_frame(frame: str | bytes) -> Frame:
    """Classify one websocket frame exactly as received; never raises."""
    try:
        message = _parse(frame)
    except (UnicodeDecodeError, ValueError) as exc:
        return RejectedFrame("not_json", (("", f"The frame is not JSON: {exc}"),))
    if not isinstance(message, dict):
        return _invalid("", f"A JSON-RPC message is an object, got {type(message).__name__}")
    if message.get("jsonrpc") != "2.0":
        return _invalid("/jsonrpc", 'Missing or wrong JSON-RPC version: expected "2.0"')
    if "method" not in message:
        return _classify_response(message)
    return _classify_notification(message)


def _invalid(pointer: str, text: str) -> RejectedFrame:
    return RejectedFrame("invalid_venue_message", ((pointer, text),))


def _classify_response(message: dict[str, Any]) -> Frame:
    request_id = message.get("id")
    if not isinstance(request_id, int | str) or isinstance(request_id, bool):
        return _invalid("/id", "A JSON-RPC response needs an integer or string id")
    error = message.get("error")
    if error is not None:
        if isinstance(error, dict):
            code = error.get("code")
            return RelayErrorResponse(
                request_id,
                code if isinstance(code, int) and not isinstance(code, bool) else None,
                str(error.get("message", "")),
            )
        return RelayErrorResponse(request_id, None, str(error))
    result = message.get("result")
    if isinstance(result, str) and result:
        return SubscribeAck(request_id, result)
    return _invalid("/result", "Expected a subscription id (a non-empty string) as the result")


def _classify_notification(message: dict[str, Any]) -> Frame:
    method = message["method"]
    params = message.get("params")
    # The relay sends method "event" with params {subscription, data}; the public docs also
    # show a flat variant (method "subscribe", quote fields next to "subscription"): accept both.
    if method not in ("event", "subscribe"):
        return _invalid("/method", f"Not a quote event: unexpected method {method!r}")
    if not isinstance(params, dict):
        return _invalid("/params", "An event notification needs an object of params")
    subscription = params.get("subscription")
    if not isinstance(subscription, str) or not subscription:
        return _invalid("/params/subscription", "An event notification needs a subscription id")
    if "data" in params:
        data, base = params["data"], "/params/data"
    elif "quote_id" in params:
        data = {key: value for key, value in params.items() if key != "subscription"}
        base = "/params"
    else:
        return _invalid("/params/data", "Not a quote event: the notification carries no quote data")
    if not isinstance(data, dict):
        return _invalid(base, f"Quote data must be an object, got {type(data).__name__}")
    violations = _quote_violations(data, base)
    if violations:
        return RejectedFrame("invalid_venue_message", violations)
    return QuoteEvent(subscription, data)


def _quote_violations(data: dict[str, Any], base: str) -> tuple[Violation, ...]:
    """The structural checks ingest owns: required fields present with their JSON types.

    Value rules (one fixed side, u128 range, asset-id forms) belong to normalization, which
    dead-letters with its own stage name; the raw topic keeps what the venue sent.
    """
    found: list[Violation] = []
    for field in _STRING_FIELDS:
        value = data.get(field)
        if field not in data:
            found.append((f"{base}/{field}", f"Missing required field {field!r}"))
        elif not isinstance(value, str) or not value:
            found.append((f"{base}/{field}", f"{field!r} must be a non-empty string"))
    amounts = [field for field in _AMOUNT_FIELDS if field in data]
    if not amounts:
        found.append((base, "Missing both 'exact_amount_in' and 'exact_amount_out'; one is required"))
    for field in amounts:
        if not isinstance(data[field], str):
            kind = _kind(data[field])
            found.append((f"{base}/{field}", f"{field!r} must be a decimal string, got a JSON {kind}"))
    deadline = data.get("min_deadline_ms")
    if "min_deadline_ms" not in data:
        found.append((f"{base}/min_deadline_ms", "Missing required field 'min_deadline_ms'"))
    elif not isinstance(deadline, int) or isinstance(deadline, bool) or deadline < 0:
        found.append((f"{base}/min_deadline_ms", "'min_deadline_ms' must be a non-negative integer"))
    return tuple(found)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    return "array" if isinstance(value, list) else type(value).__name__
