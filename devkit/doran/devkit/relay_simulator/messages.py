"""The JSON-RPC 2.0 frames the simulator sends: subscription events, results and errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "INVALID_REQUEST",
    "METADATA",
    "METHOD_NOT_FOUND",
    "PARSE_ERROR",
    "error_frame",
    "event_frame",
    "result_frame",
]

#: The `metadata` of every event the simulator sends (the relay names the partner that asked).
METADATA: Mapping[str, str] = {"partner_id": "doran-sim"}
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601


def _dumps(message: Mapping[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def event_frame(subscription: str, data: Any, metadata: Mapping[str, Any] = METADATA) -> str:
    """The notification of one event on `subscription`."""
    params = {"subscription": subscription, "data": data, "metadata": dict(metadata)}
    return _dumps({"jsonrpc": "2.0", "method": "event", "params": params})


def result_frame(request_id: Any, result: Any) -> str:
    """The successful answer to request `request_id`."""
    return _dumps({"jsonrpc": "2.0", "id": request_id, "result": result})


def error_frame(request_id: Any, code: int, message: str) -> str:
    """The error answer `{code, message}` to request `request_id` (null when it could not be read)."""
    return _dumps({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})
