"""One frame of the NEAR Intents solver relay (JSON-RPC 2.0 over a websocket), parsed; pure, never raises.

The relay sends three kinds of message: answers to our requests (`result` or `error`, carrying our
request id), and notifications of the subscriptions we made (`method: "event"`, `params:
{subscription, data, metadata}`). What a notification's `data` must hold is the venue message's
contract (schemas/venue/), checked by the caller; this module only knows JSON-RPC.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

import orjson

__all__ = [
    "DATA_POINTER",
    "EVENT_METHOD",
    "ErrorAnswer",
    "Frame",
    "Malformed",
    "Notification",
    "ResultAnswer",
    "parse_frame",
    "request_text",
]

#: The method of the relay's subscription notifications.
EVENT_METHOD = "event"
#: Where a notification's venue message sits in the frame (a JSON pointer).
DATA_POINTER = "/params/data"

RequestId = int | str
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True, slots=True)
class ResultAnswer:
    """The relay's successful answer to one of our requests (a subscription id, "OK", ...)."""

    request_id: RequestId
    result: Any


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """The relay's error answer to one of our requests; the error may be a string or {code, message}."""

    request_id: RequestId | None
    code: int | None
    message: str


@dataclass(frozen=True, slots=True)
class Notification:
    """A notification: `data` is the venue message, verbatim; `method` is "event" for subscriptions."""

    method: str
    subscription: str | None
    data: Any


@dataclass(frozen=True, slots=True)
class Malformed:
    """A frame that is not JSON, or not a JSON-RPC 2.0 message; violations are (pointer, message)."""

    reason: Literal["not_json", "invalid_venue_message"]
    violations: tuple[tuple[str, str], ...]


Frame = ResultAnswer | ErrorAnswer | Notification | Malformed


def request_text(request_id: RequestId, method: str, params: Any) -> bytes:
    """The JSON-RPC 2.0 request frame calling `method` with `params`."""
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})


def parse_frame(frame: str | bytes) -> Frame:
    """Parse one websocket frame exactly as received; never raises, whatever its bytes."""
    try:
        message = _loads(frame)
    except (ValueError, RecursionError) as exc:
        return Malformed("not_json", (("", f"The frame is not JSON: {exc}"),))
    if not isinstance(message, dict):
        return _malformed("", f"A JSON-RPC message is an object, got {_kind(message)}")
    if message.get("jsonrpc") != "2.0":
        return _malformed("/jsonrpc", 'Missing or wrong JSON-RPC version: expected "2.0"')
    if "method" in message:
        return _notification(message)
    return _answer(message)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def _loads(frame: str | bytes) -> Any:
    """The JSON value of a frame, integers exact (kept verbatim: orjson would round big ones to floats).

    Raises ValueError for what JSON refuses, lone UTF-16 surrogate escapes included (they decode
    to strings no UTF-8 encoder accepts), RecursionError for nesting deeper than the stack.
    """
    text = frame.decode("utf-8") if isinstance(frame, bytes) else frame
    value = json.loads(text, parse_constant=_reject_constant)
    if _SURROGATE_ESCAPE.search(text):
        # Escaped surrogate pairs decode to one code point; a lone one survives and breaks encoding.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    return value


def _malformed(pointer: str, text: str) -> Malformed:
    return Malformed("invalid_venue_message", ((pointer, text),))


def _answer(message: dict[str, Any]) -> Frame:
    request_id = message.get("id")
    valid_id = isinstance(request_id, int | str) and not isinstance(request_id, bool)
    if "error" in message:
        error = message["error"]
        if isinstance(error, dict):
            code = error.get("code")
            code = code if isinstance(code, int) and not isinstance(code, bool) else None
            text = error.get("message")
            return ErrorAnswer(
                request_id if valid_id else None, code, text if isinstance(text, str) else str(error)
            )
        return ErrorAnswer(
            request_id if valid_id else None, None, error if isinstance(error, str) else str(error)
        )
    if not isinstance(request_id, int | str) or isinstance(request_id, bool):
        return _malformed("/id", "A JSON-RPC answer needs an integer or string id")
    if "result" not in message:
        return _malformed("", "A JSON-RPC answer needs a result or an error")
    return ResultAnswer(request_id, message["result"])


def _notification(message: dict[str, Any]) -> Frame:
    method = message["method"]
    if not isinstance(method, str):
        return _malformed("/method", "A JSON-RPC method is a string")
    params = message.get("params")
    if method != EVENT_METHOD:
        return Notification(method, None, params)
    if not isinstance(params, dict):
        return _malformed("/params", "An event notification needs an object of params")
    subscription = params.get("subscription")
    if not isinstance(subscription, str) or not subscription:
        return _malformed("/params/subscription", "An event notification needs a subscription id")
    if "data" not in params:
        return _malformed(DATA_POINTER, "An event notification carries its message in params.data")
    return Notification(method, subscription, params["data"])


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else type(value).__name__
